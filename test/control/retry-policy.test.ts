import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  createControl,
  resolveBackoff,
  retryPolicy,
  stepRetryPolicy,
  type ControlDecision,
} from "../../src/control/index.js";
import { contextFor, makeTrail } from "./control-helpers.js";

/** Asks `control` about attempts 1..n of step `stepId` failing, in turn. */
async function failures(control: ReturnType<typeof createControl>, stepId: string, n: number): Promise<ControlDecision[]> {
  const trail = makeTrail();
  const decisions: ControlDecision[] = [];
  for (let attempt = 1; attempt <= n; attempt++) {
    const event = trail.stepFailed(stepId, attempt, { name: "Error", message: `boom ${attempt}` });
    decisions.push(await control.check(event, contextFor(event)));
  }
  return decisions;
}

describe("backoff", () => {
  it("computes exponential delays exactly, capped at maxDelayMs", () => {
    const backoff = resolveBackoff({ initialDelayMs: 100, factor: 2, maxDelayMs: 1_000 });
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, backoff))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    const triple = resolveBackoff({ initialDelayMs: 50, factor: 3 });
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, triple))).toEqual([50, 150, 450, 1_350]);
  });

  it("jitters with the injected random: full spreads over [0, d], equal over [d/2, d]", () => {
    const randoms = [0, 0.25, 0.5, 0.999];
    const full = resolveBackoff({ initialDelayMs: 400, factor: 2, jitter: "full" });
    expect(randoms.map((r) => backoffDelay(2, full, () => r))).toEqual([0, 200, 400, 799]);
    const equal = resolveBackoff({ initialDelayMs: 400, factor: 2, jitter: "equal" });
    expect(randoms.map((r) => backoffDelay(2, equal, () => r))).toEqual([400, 500, 600, 800]);
  });

  it("rejects impossible settings when the policy is made", () => {
    expect(() => resolveBackoff({ factor: 0.5 })).toThrow("backoff factor must be >= 1, got 0.5");
    expect(() => resolveBackoff({ initialDelayMs: -1 })).toThrow(/initialDelayMs/);
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow('retry policy "retry": maxAttempts must be an integer >= 1, got 0');
  });
});

describe("retry policy", () => {
  it("answers RETRY with exact delays while attempts remain, then PROCEED so the failure stands", async () => {
    const control = createControl();
    control.use(retryPolicy({ maxAttempts: 4, initialDelayMs: 100, factor: 2, maxDelayMs: 300 }));
    expect(await failures(control, "fetch", 5)).toEqual([
      { signal: "retry", delayMs: 100, reason: "attempt 1 of 4 failed (boom 1); retrying in 100 ms", handler: "retry" },
      { signal: "retry", delayMs: 200, reason: "attempt 2 of 4 failed (boom 2); retrying in 200 ms", handler: "retry" },
      { signal: "retry", delayMs: 300, reason: "attempt 3 of 4 failed (boom 3); retrying in 300 ms", handler: "retry" },
      { signal: "proceed" },
      { signal: "proceed" },
    ]);
  });

  it("lets a later fallback handler act once retries are exhausted", async () => {
    const control = createControl();
    control.use(retryPolicy({ maxAttempts: 2, initialDelayMs: 10 }));
    control.register(() => ({ signal: "fallback", value: [], reason: "empty list on failure" }), {
      name: "fallback",
      eventTypes: ["step.failed"],
    });
    const decisions = await failures(control, "list", 2);
    expect(decisions.map((d) => [d.signal, d.handler])).toEqual([
      ["retry", "retry"],
      ["fallback", "fallback"],
    ]);
  });

  it("applies jitter through the injected random", async () => {
    const control = createControl();
    const draws = [0.5, 0.1, 0.9];
    control.use(retryPolicy({ maxAttempts: 4, initialDelayMs: 1_000, jitter: "full", random: () => draws.shift()! }));
    const decisions = await failures(control, "s", 3);
    expect(decisions.map((d) => (d.signal === "retry" ? d.delayMs : d.signal))).toEqual([500, 200, 3_600]);
  });

  it("retries only what the predicate calls retryable, and by default what the producer did not mark otherwise", async () => {
    const trail = makeTrail();
    const defaults = createControl();
    defaults.use(retryPolicy({ initialDelayMs: 10 }));
    const invalid = trail.stepFailed("s", 1, { name: "ValidationError", message: "bad", retryable: false });
    const flaky = trail.stepFailed("s", 1, { name: "FetchError", message: "503", retryable: true });
    const unknown = trail.stepFailed("s", 1, { name: "Error", message: "?" });
    expect((await defaults.check(invalid, contextFor(invalid))).signal).toBe("proceed");
    expect((await defaults.check(flaky, contextFor(flaky))).signal).toBe("retry");
    expect((await defaults.check(unknown, contextFor(unknown))).signal).toBe("retry");

    const custom = createControl();
    const asked: string[] = [];
    custom.use(
      retryPolicy({
        initialDelayMs: 10,
        retryable: (error, event, ctx) => {
          asked.push(`${error.name}@${event.type}#${ctx.attempt}`);
          return error.name === "FetchError";
        },
      }),
    );
    expect((await custom.check(flaky, contextFor(flaky))).signal).toBe("retry");
    expect((await custom.check(unknown, contextFor(unknown))).signal).toBe("proceed");
    expect(asked).toEqual(["FetchError@step.failed#1", "Error@step.failed#1"]);
  });

  it("answers tool and LLM failures by default, not other events", async () => {
    const trail = makeTrail();
    const control = createControl();
    control.use(retryPolicy({ initialDelayMs: 10 }));
    const tool = trail.toolFailed("s", "search", "c1");
    const llm = trail.llmFailed("s", "gpt");
    const started = trail.stepStarted("s");
    expect(await control.check(tool, contextFor(tool))).toMatchObject({ signal: "retry", delayMs: 10, handler: "retry" });
    expect(await control.check(llm, contextFor(llm))).toMatchObject({ signal: "retry", delayMs: 10, handler: "retry" });
    expect(await control.check(started, contextFor(started))).toEqual({ signal: "proceed" });
  });
});

describe("step retry settings as a policy", () => {
  it("turns { attempts, backoff: ms } into a fixed-delay retry scoped to that step", async () => {
    const policy = stepRetryPolicy("fetch", { attempts: 3, backoff: 500 });
    expect(policy.options).toEqual({ name: "retry:fetch", priority: 40, eventTypes: ["step.failed"], steps: ["fetch"] });
    const control = createControl();
    control.use(policy);
    expect((await failures(control, "fetch", 3)).map((d) => [d.signal, d.handler, "delayMs" in d ? d.delayMs : null])).toEqual([
      ["retry", "retry:fetch", 500],
      ["retry", "retry:fetch", 500],
      ["proceed", undefined, null],
    ]);
    expect(await failures(control, "parse", 1)).toEqual([{ signal: "proceed" }]);
  });

  it("takes exponential backoff settings, and is asked before a workflow-wide retry", async () => {
    const control = createControl();
    control.use(retryPolicy({ maxAttempts: 10, initialDelayMs: 1 }));
    control.use(stepRetryPolicy("upload", { attempts: 3, backoff: { initialDelayMs: 250, factor: 4 } }));
    const upload = await failures(control, "upload", 3);
    expect(upload.map((d) => [d.handler, "delayMs" in d ? d.delayMs : null])).toEqual([
      ["retry:upload", 250],
      ["retry:upload", 1_000],
      // The step's own budget is spent; the workflow-wide policy still has attempts left.
      ["retry", 4],
    ]);
    expect((await failures(control, "other", 1)).map((d) => d.handler)).toEqual(["retry"]);
  });

  it("reports bad settings naming the step", () => {
    expect(() => stepRetryPolicy("fetch", { attempts: 0 })).toThrow(
      'retry policy "retry:fetch": maxAttempts must be an integer >= 1, got 0',
    );
  });
});
