/**
 * For the auth tests: an SSE stream read with `fetch` that keeps every message, named events
 * (`error`) included, and notes when the server ended it; the CLI's token commands on a file;
 * and waiting for a condition with a deadline.
 */
import { createParser } from "eventsource-parser";
import { tokenCommand } from "../../src/cli/token-command.js";

/** One SSE message: its event name (undefined for plain events), id and data. */
export interface RawMessage {
  readonly event: string | undefined;
  readonly id: string | undefined;
  readonly data: string;
}

/** An open SSE response: what it received so far, and when the server ended it. */
export class RawSse {
  readonly messages: RawMessage[] = [];
  /** `Date.now()` when the body ended. */
  endedAt: number | undefined;
  readonly done: Promise<void>;
  private readonly controller = new AbortController();

  private constructor(response: Response) {
    const parser = createParser({ onEvent: (message) => this.messages.push({ event: message.event, id: message.id, data: message.data }) });
    const decoder = new TextDecoder();
    this.done = (async () => {
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
      } catch {
        // Aborted by close().
      }
      this.endedAt = Date.now();
    })();
  }

  /** Opens `url`; rejects with the status and body unless the server answers 200. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<RawSse> {
    const controller = new AbortController();
    const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    const sse = new RawSse(response);
    sse.controller.signal.addEventListener("abort", () => controller.abort());
    return sse;
  }

  /** Data of the plain (event) messages, parsed. */
  events(): Record<string, unknown>[] {
    return this.messages.filter((m) => m.event === undefined).map((m) => JSON.parse(m.data) as Record<string, unknown>);
  }

  /** The `error` messages' data, parsed. */
  errors(): { error: string; message: string }[] {
    return this.messages.filter((m) => m.event === "error").map((m) => JSON.parse(m.data) as { error: string; message: string });
  }

  close(): void {
    this.controller.abort();
  }
}

/** Polls `check` every 20 ms until it holds; rejects with `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `runtrail token create --account ACCOUNT --file FILE`: the clear token and its id. */
export async function cliCreateToken(file: string, account: string): Promise<{ token: string; id: string }> {
  const lines: string[] = [];
  await tokenCommand((line) => lines.push(line)).parseAsync(["create", "--account", account, "--file", file], { from: "user" });
  const token = lines[0]!;
  return { token, id: /^rt_([A-Za-z0-9]{12})_/.exec(token)![1]! };
}

/** `runtrail token revoke ID --file FILE`. */
export async function cliRevokeToken(file: string, id: string): Promise<void> {
  await tokenCommand(() => undefined).parseAsync(["revoke", id, "--file", file], { from: "user" });
}
