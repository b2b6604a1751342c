/**
 * @module runtrail
 * The core: the event model and the event bus. No database driver, no server, no Node-only
 * dependency: this entry point loads in a browser or an edge runtime too.
 */
export * from "./events/index.js";
export * from "./bus/index.js";
export * from "./control/index.js";
export * from "./engine/index.js";
export * from "./projections/index.js";
