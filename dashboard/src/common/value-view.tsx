/**
 * Shows a JSON value: pretty-printed when small; over {@link LARGE_VALUE_BYTES}, a preview of its
 * start and a download of the whole, so a huge output never becomes a huge DOM.
 */
import { useMemo } from "react";
import { formatBytes } from "./format.js";

export const LARGE_VALUE_BYTES = 100 * 1024;
const PREVIEW_CHARS = 4 * 1024;

interface Truncated {
  readonly $truncated: true;
  readonly size: number;
  readonly sha256: string;
  readonly preview: string;
}

const isTruncated = (value: unknown): value is Truncated => typeof value === "object" && value !== null && (value as { $truncated?: unknown }).$truncated === true;

export function ValueView({ value, name }: { value: unknown; name: string }) {
  // The store kept only the start of a field over its limit: say so, and show that start.
  if (isTruncated(value)) {
    return (
      <div className="large-value" data-testid="truncated-value">
        <div className="large-value-bar">
          <span>
            Stored truncated: {formatBytes(value.size)} (sha256 {value.sha256.slice(0, 12)}…)
          </span>
        </div>
        <pre className="json">{value.preview}…</pre>
      </div>
    );
  }
  return <JsonView value={value} name={name} />;
}

function JsonView({ value, name }: { value: unknown; name: string }) {
  const text = useMemo(() => (value === undefined ? undefined : JSON.stringify(value, null, 2)), [value]);
  if (text === undefined) return <span className="muted">none</span>;
  if (text.length <= LARGE_VALUE_BYTES) return <pre className="json">{text}</pre>;
  const download = (): void => {
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `${name}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <div className="large-value" data-testid="large-value">
      <div className="large-value-bar">
        <span>{formatBytes(text.length)}: showing the first {formatBytes(PREVIEW_CHARS)}</span>
        <button type="button" onClick={download}>
          Download
        </button>
      </div>
      <pre className="json">{text.slice(0, PREVIEW_CHARS)}…</pre>
    </div>
  );
}
