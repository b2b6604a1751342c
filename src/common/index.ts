/**
 * Small helpers every piece uses (internal: not exported from the package).
 */
export { elapsedMs, now } from "./elapsed.js";
export { isThenable } from "./is-thenable.js";
export { abortableSleep } from "./abortable-sleep.js";
