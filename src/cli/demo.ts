/**
 * `npm run demo`: one order-processing run on the embedded default (SQLite, `./runtrail.db`),
 * its trail printed live, then read back from the store: the run, its steps, analytics, and the
 * replayed state. Set RUNTRAIL_DB to use another file.
 */
import { createBus, createControl, retryPolicy, workflow, type RuntrailEvent } from "../index.js";
import { createStoreWriter, openSqliteStore, stateAt } from "../store/sqlite/index.js";

interface Order {
  readonly id: string;
  readonly amount: number;
}

const validate = workflow<Order>("validate-order")
  .step("check", (ctx) => {
    if (ctx.input.amount > 400) ctx.issues.push(`order ${ctx.input.id}: unusually large`);
    ctx.metrics.amount = ctx.input.amount;
    return ctx.input.amount;
  })
  .build();

let pricingCalls = 0;
const pipeline = workflow<{ orders: Order[] }>("order-pipeline", { version: "1" })
  .vars({ status: "received" })
  .foreach("validate", { items: "input.orders", concurrency: 3, do: validate })
  .step("total", (ctx) => ctx.steps.validate.reduce((sum, amount) => sum + amount, 0), { needs: ["validate"] })
  .step(
    "price",
    async (ctx) => {
      // A flaky pricing service: the first call fails, the retry policy tries again.
      return ctx.tool("pricing", { total: ctx.steps.total }, (args) => {
        if (++pricingCalls === 1) throw new Error("pricing service: 503");
        return { total: args.total, tax: Math.round(args.total * 0.2) };
      });
    },
    { needs: ["total"] },
  )
  .step("review", () => "manual review queued", { needs: ["total"], when: "steps.total > 1000.0" })
  .step(
    "summarise",
    async (ctx) => {
      const reply = await ctx.llm({ model: "demo-model", prompt: `Summarise a total of ${ctx.steps.total}` }, async () => ({
        text: `${ctx.input.orders.length} orders, ${ctx.steps.total} in all`,
        usage: { promptTokens: 12, completionTokens: 9 },
      }));
      ctx.vars.set("status", "summarised");
      return reply.text;
    },
    { needs: ["price", "review"] },
  )
  .build();

const path = process.env.RUNTRAIL_DB ?? "./runtrail.db";
const store = await openSqliteStore({ path });
const bus = createBus();
const writer = createStoreWriter(bus, store);
const control = createControl();
control.use(retryPolicy({ maxAttempts: 3, initialDelayMs: 20 }));

const started = Date.now();
bus.onEvent((event: RuntrailEvent) => {
  const where = event.stepId === undefined ? "" : ` ${event.stepId}${event.path ? `[${event.path.join(".")}]` : ""}`;
  const extra =
    event.type === "step.retrying"
      ? ` (attempt ${event.nextAttempt} in ${event.delayMs} ms, decided by ${event.decision?.handler})`
      : event.type === "tool.called" && event.decision !== undefined
        ? ` again, decided by control handler "${event.decision.handler}"`
        : event.type === "tool.failed"
          ? `: ${event.error.message}`
          : event.type === "progress.updated"
        ? ` ${event.progress.percent}%`
        : event.type === "condition.evaluated"
          ? ` ${event.expression} → ${event.result}`
          : "";
  const run = event.parentRunId === undefined ? "" : "    ";
  console.log(`${String(event.ts - started).padStart(4)} ms ${run}#${event.seq} ${event.type}${where}${extra}`);
});

const orders = [
  { id: "A-1", amount: 120 },
  { id: "A-2", amount: 480 },
  { id: "A-3", amount: 75 },
];
const run = pipeline.start({ orders }, { bus, control, accountId: "demo" });
const output = await run.result;
await writer.close();

const stored = await store.getRun("demo", run.runId);
const steps = await store.listSteps("demo", run.runId);
const durations = await store.stepDurations("demo", { workflow: "order-pipeline" });
const replayed = await stateAt(store, "demo", run.runId);
console.log(`\noutput: ${String(output)}`);
console.log(`stored in ${path}: run ${run.runId} ${stored?.status}, ${stored?.eventCount} events, ${stored?.issueCount} issue(s)`);
console.log(`steps: ${steps.map((s) => `${s.stepId}=${s.status}`).join(", ")}`);
console.log(`average step durations (all demo runs so far): ${durations.map((d) => `${d.stepId} ${d.avgMs.toFixed(1)} ms`).join(", ")}`);
console.log(`replayed from the store: ${replayed?.status}, variables ${JSON.stringify(replayed?.variables)}, progress ${replayed?.progress.percent}%`);
await store.close();
