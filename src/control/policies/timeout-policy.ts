/**
 * Timeouts as policy: at before-step, answers PROCEED with `timeoutMs`, which the engine applies
 * to the attempt. When several handlers bound a step, the manager keeps the smallest.
 */
import type { TypePattern } from "../../bus/index.js";
import type { RuntrailEvent } from "../../events/index.js";
import type { ControlContext, Proceed } from "../control-types.js";
import type { ControlHandlerFn, ControlPolicy } from "../handler-types.js";

/** Options of {@link timeoutPolicy}. */
export interface TimeoutOptions {
  /** Handler name. Default `"timeout"`. */
  name?: string;
  /** The bound in ms, or a function choosing it per event (`undefined`: no bound). */
  timeoutMs: number | ((event: RuntrailEvent, ctx: ControlContext) => number | undefined);
  /** Only these steps. Default: every step. */
  steps?: readonly string[];
  /** Default `["step.started"]`. */
  eventTypes?: readonly TypePattern[];
}

/** Suggested priority: last among the built-ins; a bound never vetoes, so it need not be early. */
export const TIMEOUT_PRIORITY = 90;

/**
 * Creates a timeout policy.
 *
 * @example
 * control.use(timeoutPolicy({ timeoutMs: 30_000, steps: ["render", "upload"] }));
 * // step.started of "render" -> { signal: "proceed", timeoutMs: 30000, handler: "timeout" }
 */
export function timeoutPolicy(options: TimeoutOptions): ControlPolicy<ControlHandlerFn> {
  const { name = "timeout", timeoutMs, steps } = options;
  if (typeof timeoutMs === "number" && !(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new RangeError(`timeout policy "${name}": timeoutMs must be a positive finite number, got ${timeoutMs}`);
  }
  const handler: ControlHandlerFn =
    typeof timeoutMs === "number"
      ? (): Proceed => ({ signal: "proceed", timeoutMs })
      : (event, ctx): Proceed | undefined => {
          const ms = timeoutMs(event, ctx);
          return ms !== undefined && ms > 0 && Number.isFinite(ms) ? { signal: "proceed", timeoutMs: ms } : undefined;
        };
  return {
    handler,
    options: {
      name,
      priority: TIMEOUT_PRIORITY,
      eventTypes: options.eventTypes ?? ["step.started"],
      ...(steps === undefined ? {} : { steps }),
    },
  };
}
