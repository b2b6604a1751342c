/**
 * A suspended run's banner (what it waits for, since when, the deadline, who suspended it and
 * why, with the signal form and Resume), the Suspend action of a running run, and a
 * sub-workflow run's link back to its parent's step. The actions show only when the server says
 * this token may take them here (`/controls`): never for a read-only token, nor for a run another
 * process executes.
 */
import { useEffect, useState } from "react";
import { api, ApiError } from "../api/api-client.js";
import type { Run, RunControls, RunStatus } from "../api/api-types.js";
import { navigate } from "../app/app-route.js";
import { formatDuration, formatTime, shortId } from "../common/format.js";
import { SignalForm } from "./signal-form.js";

/** Re-renders every second, for "since" and "deadline in". */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const messageOf = (error: unknown): string => (error instanceof ApiError || error instanceof Error ? error.message : String(error));

/** POSTs a run action (`suspend`, `resume`); resolves with the error message, if refused. */
async function act(runId: string, action: "suspend" | "resume", reason: string): Promise<string | undefined> {
  try {
    await api(`/runs/${encodeURIComponent(runId)}/${action}`, { body: reason.trim() === "" ? {} : { reason: reason.trim() } });
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

/** Why the actions are not offered, when they are not. */
function whyNoActions(controls: RunControls): string | undefined {
  if (controls.readOnly) return "Read-only token: it cannot signal, suspend or resume runs.";
  if (!controls.held && !controls.can.resume && !controls.can.signal) return "This server does not execute the run and cannot resume it (its workflow is not registered here).";
  return undefined;
}

interface BannerProps {
  readonly runId: string;
  readonly controls: RunControls;
  /** The signal the form sends, from the URL (`?signal=`). */
  readonly signal: string | undefined;
  readonly onSignal: (name: string) => void;
  readonly onChanged: () => void;
  readonly onStep: (stepId: string) => void;
}

/** The banner of a suspended run. */
export function SuspensionBanner({ runId, controls, signal, onSignal, onChanged, onStep }: BannerProps) {
  const now = useNow();
  const [error, setError] = useState<string | undefined>();
  const [sent, setSent] = useState<string | undefined>();
  const s = controls.suspension;
  const waiting = controls.waitingFor;
  const note = whyNoActions(controls);
  const title = waiting.length > 0 ? "Waiting for signal" : "Paused";
  return (
    <div className="suspension-banner" data-testid="suspension-banner" data-waiting-for={waiting.join(",")} data-paused={controls.paused ? "true" : "false"}>
      <div className="banner-main">
        <div className="banner-head">
          <span className="banner-icon" aria-hidden="true">❚❚</span>
          <div className="banner-text">
            <div className="banner-title">
              {title}
              {waiting.map((name) => <code key={name} className="signal-name">{name}</code>)}
              {s?.stepId !== undefined && (
                <> in step <button type="button" className="link" onClick={() => onStep(s.stepId!)}>{s.stepId}</button></>
              )}
            </div>
            {s !== undefined && (
              <div className="banner-facts" data-testid="suspension-facts">
                <span title={formatTime(s.since)}>since {formatTime(s.since)} ({formatDuration(Math.max(0, now - s.since))} ago)</span>
                {s.deadline !== undefined && (
                  <span className={s.deadline < now ? "late" : ""} data-testid="suspension-deadline">
                    deadline {formatTime(s.deadline)} ({s.deadline < now ? "passed" : `in ${formatDuration(s.deadline - now)}`})
                  </span>
                )}
                {s.by !== undefined && <span data-testid="suspended-by">suspended by <span className="mono">{s.by}</span></span>}
                {/* A wait's reason is the engine's own sentence, which the title already says. */}
                {s.reason !== undefined && s.waitingFor === undefined && <span className="reason" data-testid="suspension-reason">“{s.reason}”</span>}
              </div>
            )}
          </div>
          <div className="spacer" />
          {controls.can.resume && (
            <button
              type="button"
              className="primary"
              data-testid="resume-run"
              onClick={() => void act(runId, "resume", "resumed from the dashboard").then((e) => (setError(e), onChanged()))}
            >
              Resume
            </button>
          )}
        </div>
        {sent !== undefined && waiting.length === 0 && <div className="muted small">Signal “{sent}” sent.</div>}
        {note !== undefined && <div className="muted small banner-note" data-testid="no-actions">{note}</div>}
        {error !== undefined && <div className="field-error" role="alert">{error}</div>}
      </div>
      {controls.can.signal && waiting.length > 0 && (
        <SignalForm
          runId={runId}
          names={waiting}
          schema={s?.schema}
          {...(s?.waitingFor === undefined ? {} : { schemaFor: s.waitingFor })}
          {...(signal === undefined ? {} : { chosen: signal })}
          onChoose={onSignal}
          onSent={(name) => {
            setSent(name);
            onChanged();
          }}
        />
      )}
    </div>
  );
}

/** The Suspend action of a running run this server executes (with an optional reason). */
export function SuspendAction({ runId, controls, status, onChanged }: { runId: string; controls: RunControls | undefined; status: RunStatus; onChanged: () => void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | undefined>();
  if (controls === undefined || !controls.can.suspend || status !== "running") return null;
  return (
    <div className="suspend-action">
      <input aria-label="Reason to suspend" placeholder="Reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} />
      <button
        type="button"
        data-testid="suspend-run"
        onClick={() => void act(runId, "suspend", reason === "" ? "suspended from the dashboard" : reason).then((e) => (setError(e), setReason(""), onChanged()))}
      >
        Suspend
      </button>
      {error !== undefined && <span className="field-error" role="alert">{error}</span>}
    </div>
  );
}

/** A sub-workflow run's way back: the parent run, opened at the step that started this one. */
export function ParentLink({ record }: { record: Run }) {
  if (record.parentRunId === undefined) return null;
  const parent = record.parentRunId;
  const step = record.parentStepId;
  const href = `/runs/${encodeURIComponent(parent)}${step === undefined ? "" : `?step=${encodeURIComponent(step)}`}`;
  return (
    <a
      className="parent-link"
      href={href}
      data-testid="parent-link"
      title={parent}
      onClick={(e) => {
        e.preventDefault();
        navigate(`/runs/${encodeURIComponent(parent)}`, { step });
      }}
    >
      ↑ sub-workflow of <span className="mono">{shortId(parent)}</span>
      {step !== undefined && <> · step <span className="mono">{step}</span></>}
    </a>
  );
}
