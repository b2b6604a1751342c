/** The event bus: listeners, observers, stream subscriptions with backpressure, filters. */
export { createBus, type BusOptions, type BusStats, type EventBus, type Listener } from "./bus.js";
export {
  BusClosedError,
  EventReusedError,
  ObserverQueueFullError,
  ObserverTimeoutError,
  RunAccountError,
  RunEndedError,
  SubscriptionOverflowError,
  type ConsumerFailure,
} from "./errors.js";
export { compileFilter, compileTypePatterns, type EventFilter, type Matcher, type Matching, type TypePattern } from "./filter.js";
export { typePatternProblem } from "./type-pattern-check.js";
export type { ObserveOptions, Observer } from "./observer.js";
export type { OverflowPolicy, StreamGap, StreamItem, SubscribeOptions, Subscription } from "./subscription.js";
/** The bounded FIFO the bus and the store writer buffer with. */
export { Queue } from "./queue.js";
