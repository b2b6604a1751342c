/**
 * Stream and consumer setup: created when missing with the documented defaults, brought up to
 * date when present, refused with a clear error when what is there cannot be what was asked.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import { ensureCollectorConsumer, ensureNatsStream } from "runtrail/nats";
import { natsConnect, testNames } from "./nats-fixtures.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("stream setup", () => {
  it("creates the stream with the defaults, updates its limits, refuses other subjects", async () => {
    const nc = await natsConnect();
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const names = testNames();
    cleanups.push(() => jsm.streams.delete(names.stream).catch(() => false));
    await ensureNatsStream(nc, { name: names.stream, prefix: names.prefix, storage: "memory" });
    let { config } = await jsm.streams.info(names.stream);
    expect(config).toMatchObject({ subjects: [`${names.prefix}.>`], retention: "limits", duplicate_window: 120_000_000_000, max_age: 7 * 86_400_000_000_000, max_bytes: -1, max_msgs: -1 });
    await ensureNatsStream(nc, { name: names.stream, prefix: names.prefix, storage: "memory", duplicateWindowMs: 30_000, maxMessages: 1_000 });
    ({ config } = await jsm.streams.info(names.stream));
    expect(config).toMatchObject({ duplicate_window: 30_000_000_000, max_msgs: 1_000 });
    await expect(ensureNatsStream(nc, { name: names.stream, prefix: "elsewhere.ev" })).rejects.toThrow(`NATS stream "${names.stream}" takes ["${names.prefix}.>"], not "elsewhere.ev.>"`);
    await expect(ensureNatsStream(nc, { name: names.stream, prefix: "bad prefix.*" })).rejects.toThrow(/invalid subject prefix "bad prefix\.\*"/);
  });

  it("creates the collectors' consumer, updates its ack wait, refuses another filter", async () => {
    const nc = await natsConnect();
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const names = testNames();
    cleanups.push(() => jsm.streams.delete(names.stream).catch(() => false));
    await ensureNatsStream(nc, { name: names.stream, prefix: names.prefix, storage: "memory" });
    const options = { stream: names.stream, prefix: names.prefix, durable: names.durable };
    await ensureCollectorConsumer(nc, options);
    expect((await jsm.consumers.info(names.stream, names.durable)).config).toMatchObject({ ack_policy: "explicit", ack_wait: 30_000_000_000, max_ack_pending: 20_000, filter_subject: `${names.prefix}.>` });
    await ensureCollectorConsumer(nc, { ...options, ackWaitMs: 5_000 });
    expect((await jsm.consumers.info(names.stream, names.durable)).config.ack_wait).toBe(5_000_000_000);
    await expect(ensureCollectorConsumer(nc, { ...options, filterSubject: `${names.prefix}.acme.>` })).rejects.toThrow(/filters ".*", not ".*acme\.>": use another durable name/);
    await expect(ensureCollectorConsumer(nc, { ...options, durable: "no.dots" })).rejects.toThrow(/invalid consumer name "no\.dots"/);
  });
});
