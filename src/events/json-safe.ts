/**
 * The one boundary where a value becomes JSON-safe. Events are plain JSON data, but step outputs,
 * inputs and tool results come from user code: a BigInt, a circular object, a `toJSON` that
 * throws, 10,000 nested arrays, a Map. `JSON.stringify` throws on some, recurses until the stack
 * ends on others, and silently changes the rest (Map → `{}`, NaN → `null`). Here each is replaced
 * by a marker that says what and where, and reported, so nothing is lost without a word and no
 * input can exhaust the stack: the walk is iterative and depth-bounded.
 */

/** What a marker stands for. */
export type UnserializableKind =
  | "BigInt"
  | "Circular"
  | "ToJSONError"
  | "TooDeep"
  | "Map"
  | "Set"
  | "NaN"
  | "Infinity"
  | "undefined"
  | "function"
  | "symbol"
  | "Error"
  | "TypedArray"
  | "Unreadable";

/**
 * The marker stored in place of a value JSON cannot hold as it is.
 * @example
 * { $unserializable: "BigInt", path: "output.total", detail: "10" }
 */
export interface UnserializableMarker {
  readonly $unserializable: UnserializableKind;
  /** Where the value was, as a dotted path from the root (`output.items[2].price`). */
  readonly path: string;
  /** A short description: the BigInt's digits, the Error's message, the limit, the first path of a circle. */
  readonly detail?: string;
}

/** One value replaced by a marker. */
export interface JsonFault {
  readonly kind: UnserializableKind;
  readonly path: string;
  readonly detail?: string;
}

/** Options of {@link toJsonSafe}. */
export interface JsonSafeOptions {
  /**
   * Nesting deeper than this becomes a `TooDeep` marker. Default 64, at most {@link MAX_DEPTH_LIMIT}
   * (a larger value is taken as the limit).
   */
  readonly maxDepth?: number;
  /** The root's name in paths. Default `""` (paths start at the first key). */
  readonly root?: string;
}

/** The result: the value to store (the input itself when nothing had to change) and what changed. */
export interface JsonSafe<T> {
  readonly value: T;
  readonly faults: readonly JsonFault[];
}

export const DEFAULT_MAX_DEPTH = 64;

/**
 * The deepest `maxDepth` accepted: `JSON.stringify` and `JSON.parse` recurse, and a few thousand
 * levels end Node's stack, so what comes out of here must stay well below that.
 */
export const MAX_DEPTH_LIMIT = 1_000;

const childPath = (parent: string, key: string | number): string =>
  typeof key === "number" ? `${parent}[${key}]` : parent === "" ? key : `${parent}.${key}`;

/** Why `value` cannot go into JSON as it is, or undefined when it can (containers are walked, not judged). */
function faultOf(value: unknown, inArray: boolean): [UnserializableKind, string?] | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      if (Number.isFinite(value)) return undefined;
      return Number.isNaN(value) ? ["NaN"] : ["Infinity", String(value)];
    case "bigint":
      return ["BigInt", value.toString()];
    case "undefined":
      // An absent optional field is normal; only an array hole changes meaning (it becomes null).
      return inArray ? ["undefined"] : undefined;
    case "function":
      return ["function", (value as { name?: string }).name || "anonymous"];
    case "symbol":
      return ["symbol", value.description ?? ""];
    default:
      if (value === null) return undefined;
      if (value instanceof Map) return ["Map", `${value.size} entries`];
      if (value instanceof Set) return ["Set", `${value.size} values`];
      if (value instanceof Error) return ["Error", `${value.name}: ${value.message}`];
      if (ArrayBuffer.isView(value) && !isBuffer(value)) return ["TypedArray", `${value.constructor.name}(${value.byteLength} bytes)`];
      return undefined;
  }
}

function isBuffer(value: ArrayBufferView): boolean {
  // Node's Buffer has a toJSON of its own ({ type: "Buffer", data }), which JSON honours.
  return typeof (value as { toJSON?: unknown }).toJSON === "function";
}

/** The objects above a value, innermost first: a circle is a value that is its own ancestor. */
interface Chain {
  readonly object: object;
  readonly path: string;
  readonly parent: Chain | undefined;
}

interface Frame {
  readonly source: unknown;
  readonly chain: Chain | undefined;
  readonly path: string;
  readonly depth: number;
  /** Where the copy of this value goes: the parent copy and the key. */
  readonly into: Record<string, unknown> | unknown[] | undefined;
  readonly key: string | number;
}

/**
 * Makes `value` JSON-safe: returns it unchanged when `JSON.stringify` would keep it exactly,
 * else a copy in which each value JSON cannot hold is a {@link UnserializableMarker}, with one
 * {@link JsonFault} per marker. Never throws and never recurses.
 *
 * @example
 * const { value, faults } = toJsonSafe({ total: 10n, items: [1, NaN] }, { root: "output" });
 * // value: { total: { $unserializable: "BigInt", path: "output.total", detail: "10" },
 * //          items: [1, { $unserializable: "NaN", path: "output.items[1]" }] }
 * // faults: [{ kind: "BigInt", path: "output.total", detail: "10" }, { kind: "NaN", path: "output.items[1]" }]
 */
export function toJsonSafe<T>(value: T, options: JsonSafeOptions = {}): JsonSafe<T> {
  const maxDepth = Math.min(options.maxDepth ?? DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT);
  const root = options.root ?? "";
  if (isCleanOrFalse(value, maxDepth)) return { value, faults: [] };
  const faults: JsonFault[] = [];
  const holder: unknown[] = [];
  const stack: Frame[] = [{ source: value, chain: undefined, path: root, depth: 0, into: holder, key: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const out = copyOrMark(frame, maxDepth, faults);
    if (frame.into !== undefined) (frame.into as Record<string | number, unknown>)[frame.key] = out.copy;
    for (let i = out.children.length - 1; i >= 0; i--) stack.push(out.children[i]!);
  }
  return { value: holder[0] as T, faults };
}

/** Longest `detail` kept: a million-digit BigInt or a long error message must not make a huge marker. */
const MAX_DETAIL_CHARS = 200;

function marker(kind: UnserializableKind, path: string, fullDetail: string | undefined, faults: JsonFault[]): UnserializableMarker {
  const detail = fullDetail !== undefined && fullDetail.length > MAX_DETAIL_CHARS ? `${fullDetail.slice(0, MAX_DETAIL_CHARS)}…` : fullDetail;
  const fault: JsonFault = detail === undefined ? { kind, path } : { kind, path, detail };
  faults.push(fault);
  return detail === undefined ? { $unserializable: kind, path } : { $unserializable: kind, path, detail };
}

/** {@link copyOne}, where a getter or a proxy trap that throws becomes an `Unreadable` marker. */
function copyOrMark(frame: Frame, maxDepth: number, faults: JsonFault[]): { copy: unknown; children: Frame[] } {
  try {
    return copyOne(frame, maxDepth, faults);
  } catch (error) {
    return { copy: marker("Unreadable", frame.path, errorText(error), faults), children: [] };
  }
}

function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "an error that cannot be described";
  }
}

/** The copy of one value, and the frames of its children still to copy into it. */
function copyOne(frame: Frame, maxDepth: number, faults: JsonFault[]): { copy: unknown; children: Frame[] } {
  let source = frame.source;
  const { path, depth } = frame;
  const inArray = typeof frame.key === "number" && frame.into !== undefined && Array.isArray(frame.into) && depth > 0;
  if (source !== null && typeof source === "object" && typeof (source as { toJSON?: unknown }).toJSON === "function") {
    try {
      source = (source as { toJSON: (key: string) => unknown }).toJSON(String(frame.key));
    } catch (error) {
      return { copy: marker("ToJSONError", path, errorText(error), faults), children: [] };
    }
  }
  const fault = faultOf(source, inArray);
  if (fault !== undefined) return { copy: marker(fault[0], path, fault[1], faults), children: [] };
  if (source === null || typeof source !== "object") return { copy: source, children: [] };
  // The chain is at most maxDepth long, so this scan is bounded.
  for (let link = frame.chain; link !== undefined; link = link.parent) {
    if (link.object === source) return { copy: marker("Circular", path, `same object as ${link.path || "the root"}`, faults), children: [] };
  }
  if (depth >= maxDepth) return { copy: marker("TooDeep", path, `nested deeper than ${maxDepth} levels`, faults), children: [] };
  const chain: Chain = { object: source, path, parent: frame.chain };
  const children: Frame[] = [];
  if (Array.isArray(source)) {
    const copy: unknown[] = new Array<unknown>(source.length);
    for (let i = 0; i < source.length; i++) children.push({ source: source[i], chain, path: childPath(path, i), depth: depth + 1, into: copy, key: i });
    return { copy, children };
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const child = (source as Record<string, unknown>)[key];
    if (child === undefined) continue; // JSON leaves absent fields out; so do we
    children.push({ source: child, chain, path: childPath(path, key), depth: depth + 1, into: copy, key });
  }
  return { copy, children };
}

/** {@link isClean}, where a getter or proxy trap that throws sends the value to the copying path. */
function isCleanOrFalse(value: unknown, maxDepth: number): boolean {
  try {
    return isClean(value, maxDepth);
  } catch {
    return false;
  }
}

/**
 * The fast path: whether `value` needs no change. Iterative; allocates only its stack. It keeps no
 * set of objects seen (that set cost as much as the walk on every event): a circle is an endless
 * nesting, so it reaches `maxDepth` and sends the value to the copying path, which names it.
 */
function isClean(value: unknown, maxDepth: number): boolean {
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  let top = 0;
  while (top >= 0) {
    const current = stack[top];
    const depth = depths[top]!;
    top--;
    if (current === null) continue;
    const type = typeof current;
    if (type === "string" || type === "boolean") continue;
    if (type === "number") {
      if (!Number.isFinite(current)) return false;
      continue;
    }
    if (type !== "object") return false; // bigint, function, symbol (undefined only inside arrays)
    const object = current as object;
    if (typeof (object as { toJSON?: unknown }).toJSON === "function") return false;
    if (depth >= maxDepth || object instanceof Map || object instanceof Set || object instanceof Error || ArrayBuffer.isView(object)) return false;
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        const item: unknown = object[i];
        if (item === undefined) return false;
        stack[++top] = item;
        depths[top] = depth + 1;
      }
    } else {
      for (const key in object) {
        if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
        const item = (object as Record<string, unknown>)[key];
        if (item === undefined) continue;
        stack[++top] = item;
        depths[top] = depth + 1;
      }
    }
  }
  return true;
}
