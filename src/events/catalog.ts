/**
 * Every event type Runtrail produces, as one discriminated union on `type`.
 */
import { Type, type Static } from "@sinclair/typebox";
import { conditionEvents } from "./families/condition.js";
import { customEvents } from "./families/custom.js";
import { llmEvents } from "./families/llm.js";
import { loopEvents } from "./families/loop.js";
import { progressEvents } from "./families/progress.js";
import { runEvents } from "./families/run.js";
import { signalEvents } from "./families/signal.js";
import { stepEvents } from "./families/step.js";
import { toolEvents } from "./families/tool.js";
import { variableEvents } from "./families/variable.js";
import { waveEvents } from "./families/wave.js";

/** The schemas of Runtrail's own event types (not custom `x.*` ones), in DESIGN.md's order. */
export const builtinEventSchemas = [
  ...runEvents,
  ...signalEvents,
  ...stepEvents,
  ...waveEvents,
  ...conditionEvents,
  ...loopEvents,
  ...variableEvents,
  ...progressEvents,
  ...toolEvents,
  ...llmEvents,
] as const;

/** The schema of any event: the union of every built-in type and custom `x.*` events. */
export const RuntrailEventSchema = Type.Union([...builtinEventSchemas, ...customEvents], {
  $id: "RuntrailEvent",
  title: "Runtrail event",
});

/** Any event. Narrow it by `type`: `if (e.type === "step.failed") e.error.message`. */
export type RuntrailEvent = Static<typeof RuntrailEventSchema>;

/** The name of any event type, built-in or custom. */
export type EventType = RuntrailEvent["type"];

/** The names of the built-in event types. */
export type BuiltinEventType = Static<(typeof builtinEventSchemas)[number]>["type"];

/** The event with the given `type`. */
export type EventOf<T extends EventType> = T extends `x.${string}`
  ? Extract<RuntrailEvent, { type: `x.${string}` }>
  : Extract<RuntrailEvent, { type: T }>;

/** Every built-in type name, at run time. */
export const BUILTIN_EVENT_TYPES: readonly BuiltinEventType[] = builtinEventSchemas.map(
  (schema) => schema.properties.type.const,
);

/** Events that end a run: after one of them the run emits nothing more. */
export const TERMINAL_RUN_EVENTS = ["run.completed", "run.failed", "run.cancelled"] as const;

const terminal: ReadonlySet<string> = new Set(TERMINAL_RUN_EVENTS);

/**
 * Whether an event of this type ends its run.
 *
 * @example
 * if (isTerminalRunEvent(event.type)) console.log(`run ${event.runId} is over`);
 */
export function isTerminalRunEvent(type: string): boolean {
  return terminal.has(type);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * What a producer passes to `bus.emit`: an event without the fields the bus stamps
 * (`id`, `seq`, `ts`), and with `accountId` optional (it defaults to `"default"`).
 */
export type EventInput = DistributiveOmit<RuntrailEvent, "id" | "seq" | "ts" | "accountId"> & {
  accountId?: string;
};
