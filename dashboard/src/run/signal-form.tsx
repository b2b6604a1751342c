/**
 * The form that sends a waiting run its signal: the payload as JSON in a textarea, checked for
 * JSON syntax as it is typed (the button waits for valid JSON), prefilled from the wait's schema
 * when there is one. The server checks the payload against that schema; its 400 names the field
 * at fault (`body.approved`), and the form shows it next to the payload.
 */
import { useEffect, useMemo, useState } from "react";
import { api, ApiError } from "../api/api-client.js";

/** A starting payload for a JSON Schema: each required property with an empty value of its type. */
export function payloadTemplate(schema: unknown): string {
  if (typeof schema !== "object" || schema === null) return "{}";
  const { type, properties, required } = schema as { type?: unknown; properties?: Record<string, { type?: unknown }>; required?: unknown };
  if (type !== "object" || properties === undefined) return "{}";
  const names = Array.isArray(required) ? required.filter((name): name is string => typeof name === "string") : [];
  const empty: Record<string, unknown> = { boolean: true, string: "", number: 0, integer: 0, array: [], object: {} };
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = empty[String(properties[name]?.type)] ?? null;
  return JSON.stringify(out, null, 2);
}

/** Why `text` is not JSON, or undefined when it is. */
function syntaxError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

interface Props {
  readonly runId: string;
  /** The signals the run waits for, oldest first; the form sends the chosen one. */
  readonly names: readonly string[];
  /** The schema of the latest wait (its signal is `schemaFor`), when known. */
  readonly schema?: unknown;
  readonly schemaFor?: string;
  /** The signal chosen (the URL's `?signal=`), when the run waits for several. */
  readonly chosen?: string;
  readonly onChoose: (name: string) => void;
  readonly onSent: (name: string) => void;
}

export function SignalForm({ runId, names, schema, schemaFor, chosen, onChoose, onSent }: Props) {
  // The URL's choice while the run waits for it, else the oldest wait.
  const name = chosen !== undefined && names.includes(chosen) ? chosen : (names[0] ?? "");
  const mySchema = name === schemaFor ? schema : undefined;
  const template = useMemo(() => payloadTemplate(mySchema), [mySchema]);
  const [text, setText] = useState(template);
  const [edited, setEdited] = useState(false);
  useEffect(() => {
    if (!edited) setText(template);
  }, [template, edited]);
  const [serverError, setServerError] = useState<{ message: string; field?: string } | undefined>();
  const [sending, setSending] = useState(false);
  const invalid = syntaxError(text);
  const send = async (): Promise<void> => {
    if (invalid !== undefined || name === "") return;
    setSending(true);
    setServerError(undefined);
    try {
      await api(`/runs/${encodeURIComponent(runId)}/signals/${encodeURIComponent(name)}`, { body: JSON.parse(text) as unknown });
      setEdited(false);
      onSent(name);
    } catch (error) {
      setServerError(error instanceof ApiError ? { message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } : { message: String(error) });
    } finally {
      setSending(false);
    }
  };
  const fieldError = invalid !== undefined ? `Not JSON: ${invalid}` : serverError?.field !== undefined ? `${serverError.field}: ${serverError.message}` : undefined;
  return (
    <form
      className="signal-form"
      data-testid="signal-form"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <div className="signal-row">
        <label htmlFor="signal-name">Signal</label>
        {names.length > 1 ? (
          <select id="signal-name" value={name} onChange={(e) => onChoose(e.target.value)}>
            {names.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        ) : (
          <code id="signal-name" className="mono">{name}</code>
        )}
        <div className="spacer" />
        <button type="submit" className="primary" disabled={invalid !== undefined || sending || name === ""} data-testid="signal-send">
          {sending ? "Sending…" : "Send signal"}
        </button>
      </div>
      <label htmlFor="signal-payload" className="muted small">Payload (JSON)</label>
      <textarea
        id="signal-payload"
        className="mono"
        rows={Math.min(8, Math.max(3, text.split("\n").length))}
        spellCheck={false}
        value={text}
        aria-invalid={fieldError !== undefined}
        aria-describedby={fieldError === undefined ? undefined : "signal-payload-error"}
        onChange={(e) => {
          setText(e.target.value);
          setEdited(true);
          setServerError(undefined);
        }}
      />
      {fieldError !== undefined && <div id="signal-payload-error" className="field-error" data-testid="signal-field-error" role="alert">{fieldError}</div>}
      {serverError !== undefined && serverError.field === undefined && <div className="field-error" data-testid="signal-error" role="alert">{serverError.message}</div>}
      {mySchema !== undefined && (
        <details className="schema-hint">
          <summary className="muted small">Expected payload (JSON Schema)</summary>
          <pre className="json">{JSON.stringify(mySchema, null, 2)}</pre>
        </details>
      )}
    </form>
  );
}
