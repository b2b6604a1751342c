/**
 * A short, bounded text of any JSON value: walks the value only until `max` characters are
 * written, so a row showing a 50 MB output costs as much as one showing a number.
 */
export function previewValue(value: unknown, max = 160): string {
  let out = "";
  const write = (text: string): boolean => {
    out += text;
    return out.length < max;
  };
  const walk = (v: unknown): boolean => {
    if (v === null || typeof v !== "object") {
      const text = typeof v === "string" ? JSON.stringify(v.length > max ? v.slice(0, max) : v) : String(v);
      return write(text);
    }
    if (Array.isArray(v)) {
      if (!write("[")) return false;
      for (let i = 0; i < v.length; i++) if ((i > 0 && !write(", ")) || !walk(v[i])) return false;
      return write("]");
    }
    if (!write("{")) return false;
    let first = true;
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      if ((!first && !write(", ")) || !write(`${key}: `) || !walk((v as Record<string, unknown>)[key])) return false;
      first = false;
    }
    return write("}");
  };
  return walk(value) ? out : `${out.slice(0, max)}…`;
}
