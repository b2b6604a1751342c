/**
 * The demo's workflows. Between them they emit every event family: waves of parallel steps, a
 * `when` guard that skips a step, an if/else branch, a foreach loop, run variables, progress, a
 * tool call that fails and is retried by the retry policy, an LLM call, a sub-workflow, a custom
 * `x.*` event, a sign-off that waits for a signal (the demo sends it; a run started through the
 * API signs itself off after a second), and a run that fails (a warehouse that stays down).
 */
import { workflow, type Workflow } from "../../engine/index.js";
import { post } from "./demo-stand-in.js";

interface Order {
  readonly id: string;
  readonly amount: number;
}

/** The demo's orders: a total of 675, so `review` (over 1,000) is skipped and `large` is true. */
export const DEMO_ORDERS: readonly Order[] = [
  { id: "A-1", amount: 120 },
  { id: "A-2", amount: 480 },
  { id: "A-3", amount: 75 },
];

/**
 * The demo's workflows, calling the stand-in at `url`.
 *
 * @example
 * const { orders, inventory } = demoWorkflows("http://127.0.0.1:4000");
 */
export function demoWorkflows(url: string): { readonly orders: Workflow<{ orders: readonly Order[] }, string>; readonly inventory: Workflow<{ skus: readonly string[] }, unknown> } {
  const checkOrder = workflow<Order>("check-order")
    .step("check", (ctx) => {
      if (ctx.input.amount > 400) ctx.issues.push(`order ${ctx.input.id}: unusually large`);
      ctx.metrics.amount = ctx.input.amount;
      return ctx.input.amount;
    })
    .build();

  const customer = workflow<{ total: number }>("customer-tier")
    .step("lookup", (ctx) => (ctx.input.total > 500 ? "gold" : "silver"))
    .step("discount", (ctx) => (ctx.steps.lookup === "gold" ? 0.05 : 0), { needs: ["lookup"] })
    .build();

  const orders = workflow<{ orders: readonly Order[] }>("order-pipeline", { version: "1" })
    .vars({ status: "received" })
    .foreach("validate", { items: "input.orders", concurrency: 2, do: checkOrder })
    .step("total", (ctx) => ctx.steps.validate.reduce((sum, amount) => sum + amount, 0), { needs: ["validate"] })
    .step("price", (ctx) => ctx.tool("pricing", { total: ctx.steps.total }, (args) => post<{ total: number; tax: number }>(`${url}/pricing`, args)), { needs: ["total"] })
    .step("review", () => "manual review queued", { needs: ["total"], when: "steps.total > 1000.0" })
    .subworkflow("customer", customer, { needs: ["total"], input: (s) => ({ total: s.steps.total }) })
    .step("sign-off", (ctx) => ctx.waitFor<{ approved: boolean; by: string }>("sign-off", { timeoutMs: 1_000, onTimeout: "resume", timeoutValue: { approved: true, by: "nobody objected" } }), { needs: ["total"] })
    .if("large", "steps.total > 500.0", { then: ["priority"], else: ["standard"] }, { needs: ["total"] })
    .step("priority", (ctx) => {
      ctx.vars.set("status", "priority");
      return "priority shipping";
    })
    .step("standard", () => "standard shipping")
    .step(
      "summarise",
      async (ctx) => {
        const prompt = `${ctx.input.orders.length} orders totalling ${ctx.steps.total} with tax ${ctx.steps.price.tax}, ${String(ctx.steps.priority ?? ctx.steps.standard)}`;
        const reply = await ctx.llm({ model: "stand-in-model", prompt }, (request) => post<{ text: string; usage: { promptTokens: number; completionTokens: number; totalTokens: number } }>(`${url}/model`, request));
        ctx.emit("x.summary", { chars: reply.text.length });
        ctx.vars.set("status", "summarised");
        return reply.text;
      },
      { needs: ["price", "review", "customer", "priority", "standard", "sign-off"] },
    )
    .build();

  const inventory = workflow<{ skus: readonly string[] }>("inventory-sync", { version: "1" })
    .step("count", (ctx) => ctx.input.skus.length)
    .step("push", (ctx) => ctx.tool("warehouse", { skus: ctx.input.skus }, (args) => post(`${url}/warehouse`, args)), { needs: ["count"] })
    .step("report", (ctx) => `pushed ${ctx.steps.count} skus`, { needs: ["push"] })
    .build();

  return { orders, inventory };
}
