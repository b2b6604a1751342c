/**
 * An expense approval flow built with the TypeScript builder: a guard, an if/else branch, a
 * foreach over line items with its own concurrency, run variables, and a live trail printed by
 * `wf.onEvent`. Run it: `npx tsx examples/approval-flow.ts`, or through the CLI:
 * `npm run runtrail -- run examples/approval-flow.ts --input @examples/expense.json` (the CLI runs the
 * default export).
 */
import { workflow } from "../src/engine/index.js";

interface Expense {
  readonly employee: string;
  readonly items: readonly { readonly what: string; readonly amount: number }[];
}

const checkItem = workflow<{ what: string; amount: number }>("check-item")
  .step("check", (ctx) => {
    if (ctx.input.amount > 500) ctx.issues.push(`${ctx.input.what}: over the per-item limit`);
    ctx.metrics.amount = ctx.input.amount;
    return ctx.input.amount;
  })
  .build();

export const approval = workflow<Expense>("expense-approval", { version: "1" })
  .vars({ status: "submitted" })
  .foreach("items", { items: "input.items", concurrency: 3, do: checkItem })
  .step("total", (ctx) => ctx.steps.items.reduce((sum, amount) => sum + amount, 0), { needs: ["items"] })
  .if("large", "steps.total > 1000.0", { then: ["manager"], else: ["auto"] }, { needs: ["total"] })
  .step("manager", (ctx) => {
    ctx.vars.set("status", "needs-manager");
    return "sent to manager";
  })
  .step("auto", (ctx) => {
    ctx.vars.set("status", "approved");
    return "approved automatically";
  })
  .step("notify", (ctx) => `${ctx.input.employee}: ${String(ctx.steps.manager ?? ctx.steps.auto)}`, { needs: ["manager", "auto"] })
  .build();

export default approval;

/** Runs one expense and returns its output, trail lines and final variables. */
export async function main(expense: Expense, print = false): Promise<{ output: string; trail: string[]; variables: Record<string, unknown> }> {
  const trail: string[] = [];
  const stop = approval.onEvent((e) => {
    const where = e.stepId === undefined ? "" : ` ${e.stepId}${e.path ? `[${e.path.join(".")}]` : ""}`;
    trail.push(`#${e.seq} ${e.type}${where}`);
  });
  try {
    const run = approval.start(expense);
    const output = await run.result;
    if (print) for (const line of trail) console.log(line);
    return { output, trail, variables: { ...run.variables() } };
  } finally {
    stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await main({ employee: "ada", items: [{ what: "flight", amount: 900 }, { what: "hotel", amount: 300 }] }, true);
  console.log(result.output, result.variables);
}
