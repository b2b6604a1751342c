/**
 * What the OTel tests share: a provider with the SDK's in-memory exporter, a workflow that leaves
 * every kind of span (retried step, waves, tool and LLM calls, a sub-workflow, a foreach loop, a
 * skipped step), and lookups over the finished spans.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { workflow } from "runtrail";

export function memoryProvider(): { provider: BasicTracerProvider; memory: InMemorySpanExporter } {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  return { provider, memory };
}

const child = workflow("enrich", { version: "2" })
  .step("lookup", () => "found")
  .build();

/** A workflow whose first step fails once, then every kind of work. */
export function demoWorkflow() {
  let failures = 0;
  return workflow<{ items: number[] }>("demo", { version: "1" })
    .step(
      "fetch",
      () => {
        if (failures++ === 0) throw new Error("503 from upstream");
        return 1;
      },
      { retry: { attempts: 2, backoff: 1 } },
    )
    .step(
      "ask",
      async (ctx) => {
        await ctx.tool("search", { q: "runtrail" }, async () => ["a", "b"]);
        return ctx.llm({ model: "openai/gpt-4o", prompt: "secret prompt" }, async () => ({ text: "secret answer", usage: { promptTokens: 12, completionTokens: 5 } }));
      },
      { needs: ["fetch"] },
    )
    .subworkflow("sub", child, { needs: ["fetch"] })
    .step("audit", () => "audited", { needs: ["fetch"], when: "size(input.items) > 10" })
    .foreach("each", { items: (s) => s.input.items, do: workflow<number>("body").step("double", (ctx) => ctx.input * 2).build() }, { needs: ["ask"] })
    .build();
}

/** Lookups over finished spans. */
export class SpanTree {
  constructor(readonly spans: readonly ReadableSpan[]) {}

  named(name: string): ReadableSpan[] {
    return this.spans.filter((span) => span.name === name);
  }

  one(name: string): ReadableSpan {
    const found = this.named(name);
    if (found.length !== 1) throw new Error(`expected one span "${name}", found ${found.length}: ${this.spans.map((s) => s.name).join(", ")}`);
    return found[0]!;
  }

  parentOf(span: ReadableSpan): ReadableSpan | undefined {
    const id = span.parentSpanContext?.spanId;
    return this.spans.find((other) => other.spanContext().spanId === id);
  }

  /** The names from a span up to the root. */
  ancestry(span: ReadableSpan): string[] {
    const names: string[] = [];
    for (let at: ReadableSpan | undefined = this.parentOf(span); at !== undefined; at = this.parentOf(at)) names.push(at.name);
    return names;
  }
}
