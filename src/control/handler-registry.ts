/**
 * The registered handlers, kept sorted by (priority, registration order), and per event type the
 * precomputed list of those that want it. A check reads one cached array; only (un)registering
 * pays for sorting and filtering, and it clears the cache.
 */
import { compileTypePatterns, type Matcher } from "../bus/index.js";
import type { RuntrailEvent } from "../events/index.js";
import type { ControlContext } from "./control-types.js";
import { DuplicateHandlerError } from "./control-errors.js";
import type { ControlHandler, HandlerInfo, HandlerResult, RegisterOptions } from "./handler-types.js";

/** A registered handler, ready to call. */
export interface HandlerEntry {
  readonly name: string;
  readonly priority: number;
  /** Registration counter: the tie-break that makes equal priorities keep their order. */
  readonly order: number;
  readonly critical: boolean;
  /** Resolved limit for async answers; `0` means none. */
  readonly timeoutMs: number;
  readonly check: (event: RuntrailEvent, ctx: ControlContext) => HandlerResult | Promise<HandlerResult>;
  readonly onEvent: ((event: RuntrailEvent) => void) | undefined;
  readonly checkMatcher: Matcher;
  readonly observeMatcher: Matcher;
  readonly steps: ReadonlySet<string> | undefined;
  readonly info: HandlerInfo;
  /** Cleared on unregister, so a check already iterating a cached list skips it. */
  active: boolean;
}

/** Distinct event types are few; the bound only guards against unbounded custom `x.*` types. */
const MAX_CACHED_TYPES = 1_024;

function validate(options: RegisterOptions): void {
  if (typeof options?.name !== "string" || options.name.length === 0) {
    throw new TypeError("control handler options need a non-empty `name`: decisions are explained by it");
  }
  const { name, priority, timeoutMs } = options;
  if (priority !== undefined && !Number.isFinite(priority)) {
    throw new RangeError(`control handler "${name}": priority must be a finite number, got ${String(priority)}`);
  }
  if (timeoutMs !== undefined && !(timeoutMs >= 0)) {
    throw new RangeError(`control handler "${name}": timeoutMs must be >= 0, got ${String(timeoutMs)}`);
  }
}

export class HandlerRegistry {
  private entries: HandlerEntry[] = [];
  private readonly byName = new Map<string, HandlerEntry>();
  private checkCache = new Map<string, readonly HandlerEntry[]>();
  private observeCache = new Map<string, readonly HandlerEntry[]>();
  private registered = 0;

  constructor(private readonly defaultTimeoutMs: number) {}

  get size(): number {
    return this.entries.length;
  }

  add(handler: ControlHandler, options: RegisterOptions): HandlerEntry {
    validate(options);
    if (this.byName.has(options.name)) throw new DuplicateHandlerError(options.name);
    const isFunction = typeof handler === "function";
    if (!isFunction && typeof handler?.check !== "function") {
      throw new TypeError(`control handler "${options.name}" must be a function or an object with a check method`);
    }
    const priority = options.priority ?? 100;
    const limit = options.timeoutMs ?? this.defaultTimeoutMs;
    const timeoutMs = limit === Number.POSITIVE_INFINITY ? 0 : limit;
    const critical = options.critical ?? false;
    const steps = options.steps === undefined ? undefined : [...options.steps];
    const eventTypes = options.eventTypes === undefined ? undefined : [...options.eventTypes];
    const entry: HandlerEntry = {
      name: options.name,
      priority,
      order: this.registered++,
      critical,
      timeoutMs,
      check: isFunction ? handler : handler.check.bind(handler),
      onEvent: isFunction || handler.onEvent === undefined ? undefined : handler.onEvent.bind(handler),
      checkMatcher: eventTypes === undefined ? undefined : compileTypePatterns(eventTypes),
      observeMatcher: isFunction || handler.observes === undefined ? undefined : compileTypePatterns(handler.observes),
      steps: steps === undefined ? undefined : new Set(steps),
      info: {
        name: options.name,
        priority,
        critical,
        timeoutMs,
        ...(eventTypes === undefined ? {} : { eventTypes }),
        ...(steps === undefined ? {} : { steps }),
      },
      active: true,
    };
    // Insert after every entry of lower or equal priority: a stable order without re-sorting.
    let at = this.entries.length;
    while (at > 0 && this.entries[at - 1]!.priority > priority) at--;
    this.entries = [...this.entries.slice(0, at), entry, ...this.entries.slice(at)];
    this.byName.set(entry.name, entry);
    this.invalidate();
    return entry;
  }

  remove(name: string): boolean {
    const entry = this.byName.get(name);
    if (entry === undefined) return false;
    entry.active = false;
    this.byName.delete(name);
    this.entries = this.entries.filter((other) => other !== entry);
    this.invalidate();
    return true;
  }

  /** The handlers `check` consults for this event's type, in order. */
  forCheck(event: RuntrailEvent): readonly HandlerEntry[] {
    return this.checkCache.get(event.type) ?? this.build(this.checkCache, event, false);
  }

  /** The handlers with `onEvent` that observe this event's type, in order. */
  forObserve(event: RuntrailEvent): readonly HandlerEntry[] {
    return this.observeCache.get(event.type) ?? this.build(this.observeCache, event, true);
  }

  list(): readonly HandlerInfo[] {
    return this.entries.map((entry) => entry.info);
  }

  private build(cache: Map<string, readonly HandlerEntry[]>, event: RuntrailEvent, observe: boolean): readonly HandlerEntry[] {
    // The matchers read only `event.type`, so the first event of a type stands for all of them.
    const list = this.entries.filter((entry) => {
      if (observe && entry.onEvent === undefined) return false;
      const matcher = observe ? entry.observeMatcher : entry.checkMatcher;
      return matcher === undefined || matcher(event);
    });
    if (cache.size >= MAX_CACHED_TYPES) cache.clear();
    cache.set(event.type, list);
    return list;
  }

  private invalidate(): void {
    // New maps rather than clear(): a check iterating an old list keeps a consistent snapshot.
    this.checkCache = new Map();
    this.observeCache = new Map();
  }
}

/**
 * Two handler lists (each already in order) as one, by priority; on equal priority `first`'s
 * handlers come first (a manager's own before a run's scoped ones).
 */
export function mergeByPriority(first: readonly HandlerEntry[], second: readonly HandlerEntry[]): readonly HandlerEntry[] {
  const merged: HandlerEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < first.length && j < second.length) merged.push(second[j]!.priority < first[i]!.priority ? second[j++]! : first[i++]!);
  while (i < first.length) merged.push(first[i++]!);
  while (j < second.length) merged.push(second[j++]!);
  return merged;
}
