/**
 * Per-step analytics of a workflow: charts over time of one step's duration (average, p95) and
 * outcomes (completed, failed attempts, runs failed), and the totals table of every step. All its
 * state is in the URL (`?workflow=&step=&range=&bucket=`), so a link opens the same view. The
 * charts' code (uPlot) loads on demand.
 */
import { useEffect, useMemo, useState } from "react";
import { api } from "../api/api-client.js";
import type { StepAnalytics } from "../api/api-types.js";
import { setParams } from "../app/app-route.js";
import { formatDuration } from "../common/format.js";
import { once, useModule } from "../common/use-module.js";
import { bucketsFor, RANGES, viewRange, type Range, type StepSeriesAnswer } from "./analytics-range.js";
import "./analytics-charts.css";

const loadCharts = once(() => import("./step-charts.js"));

const RANGE_LABELS: Record<Range, string> = { "1h": "Last hour", "6h": "Last 6 hours", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days" };

type Loaded<T> = { readonly state: "loading" } | { readonly state: "done"; readonly data: T } | { readonly state: "failed"; readonly message: string };

/** GETs `path` whenever `key` changes (the latest answer wins; an earlier one still in flight is aborted). */
function useApi<T>(path: string | undefined, query: Record<string, string | number | undefined>, key: string): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    if (path === undefined) return undefined;
    const aborted = new AbortController();
    setLoaded({ state: "loading" });
    api<T>(path, { query, signal: aborted.signal }).then(
      (data) => setLoaded({ state: "done", data }),
      (error: unknown) => {
        if (!aborted.signal.aborted) setLoaded({ state: "failed", message: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => aborted.abort();
    // `key` stands for `path` and `query`, which are new objects each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return loaded;
}

function Charts({ answer, stepId }: { answer: StepSeriesAnswer; stepId: string }) {
  const module = useModule(loadCharts);
  if (module === undefined) return <div className="chart-hint">Loading charts…</div>;
  const StepCharts = module.default;
  return <StepCharts answer={answer} stepId={stepId} />;
}

export default function AnalyticsView({ params }: { params: URLSearchParams }) {
  const workflow = params.get("workflow") ?? "";
  const { range, bucket } = viewRange(params);
  // "Now" is fixed when the scope changes, so re-renders ask for the same window.
  const span = useMemo(() => {
    const to = Date.now();
    return { from: to - RANGES[range], to };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [workflow, range, bucket]);
  const scope = `${workflow}\u0000${range}\u0000${bucket}\u0000${span.to}`;
  const totals = useApi<StepAnalytics>("/analytics/steps", { workflow: workflow === "" ? undefined : workflow, from: span.from, to: span.to }, scope);
  const series = useApi<StepSeriesAnswer>(workflow === "" ? undefined : "/analytics/steps/series", { workflow, bucket, from: span.from, to: span.to }, scope);

  const answer = series.state === "done" ? series.data : undefined;
  const stepIds = answer?.steps.map((s) => s.stepId) ?? [];
  const asked = params.get("step") ?? "";
  const step = asked !== "" ? asked : stepIds[0];
  const options = step !== undefined && !stepIds.includes(step) ? [step, ...stepIds] : stepIds;

  const data = totals.state === "done" ? totals.data : undefined;
  const failures = new Map(data?.failures.map((f) => [f.stepId, f]) ?? []);
  const slowest = Math.max(1, ...(data?.durations.map((d) => d.p95Ms) ?? []));
  // A step that only failed has no duration row; it still gets a row of the table.
  const rows = [...(data?.durations ?? []), ...(data?.failures.filter((f) => !data.durations.some((d) => d.stepId === f.stepId)).map((f) => ({ stepId: f.stepId, count: 0, avgMs: undefined, p95Ms: undefined })) ?? [])];

  return (
    <section className="analytics-view" data-testid="analytics-view">
      <div className="toolbar">
        <h1>Analytics</h1>
        <input className="filter" placeholder="Workflow" aria-label="Workflow" defaultValue={workflow} onChange={(e) => setParams({ workflow: e.target.value, step: undefined })} />
        <label>
          Step
          <select aria-label="Step" value={step ?? ""} disabled={options.length === 0} onChange={(e) => setParams({ step: e.target.value })}>
            {options.length === 0 && <option value="">–</option>}
            {options.map((id) => (
              <option key={id} value={id}>{id}</option>
            ))}
          </select>
        </label>
        <label>
          Range
          <select aria-label="Range" value={range} onChange={(e) => setParams({ range: e.target.value })}>
            {(Object.keys(RANGES) as Range[]).map((r) => (
              <option key={r} value={r}>{RANGE_LABELS[r]}</option>
            ))}
          </select>
        </label>
        <label>
          Bucket
          <select aria-label="Bucket" value={bucket} onChange={(e) => setParams({ bucket: e.target.value })}>
            {bucketsFor(range).map((b) => (
              <option key={b} value={b}>{b}</option>
            ))}
          </select>
        </label>
      </div>

      {workflow === "" && <div className="chart-hint">Type a workflow's name to chart its steps over time.</div>}
      {workflow !== "" && series.state === "loading" && <div className="chart-hint">Loading…</div>}
      {series.state === "failed" && <div className="alert">{series.message}</div>}
      {answer !== undefined && step === undefined && <div className="chart-hint">No step of {workflow} ended in this range.</div>}
      {answer !== undefined && step !== undefined && <Charts answer={answer} stepId={step} />}

      <h2>Totals over the runs started in this range{workflow === "" ? ", every workflow" : ""}</h2>
      {totals.state === "failed" && <div className="alert">{totals.message}</div>}
      <table className="analytics" data-testid="analytics-totals">
        <thead><tr><th>Step</th><th>Completed</th><th>Failed attempts</th><th>Runs failed</th><th>Average</th><th>p95</th><th className="wide">Duration</th></tr></thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.stepId} className={d.stepId === step ? "selected" : ""} onClick={() => setParams({ step: d.stepId })}>
              <td className="mono">{d.stepId}</td>
              <td>{d.count}</td>
              <td>{failures.get(d.stepId)?.failures ?? 0}</td>
              <td>{failures.get(d.stepId)?.runsFailed ?? 0}</td>
              <td className="mono">{formatDuration(d.avgMs)}</td>
              <td className="mono">{formatDuration(d.p95Ms)}</td>
              <td className="wide">
                {d.avgMs !== undefined && d.p95Ms !== undefined && (
                  <div className="abar"><span className="abar-avg" style={{ width: `${(d.avgMs / slowest) * 100}%` }} /><span className="abar-p95" style={{ left: `${(d.p95Ms / slowest) * 100}%` }} /></div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
