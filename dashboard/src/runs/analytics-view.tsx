/** Per-step analytics of a workflow (or all): runs, failures, average and p95 duration. */
import { useEffect, useState } from "react";
import { api } from "../api/api-client.js";
import type { StepAnalytics } from "../api/api-types.js";
import { setParams } from "../app/app-route.js";
import { formatDuration } from "../common/format.js";

export default function AnalyticsView({ params }: { params: URLSearchParams }) {
  const workflow = params.get("workflow") ?? "";
  const [data, setData] = useState<StepAnalytics | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<StepAnalytics>("/analytics/steps", { query: { workflow: workflow === "" ? undefined : workflow } }).then(setData, (e: unknown) => setError(String(e)));
  }, [workflow]);
  const failures = new Map(data?.failures.map((f) => [f.stepId, f]) ?? []);
  const slowest = Math.max(1, ...(data?.durations.map((d) => d.p95Ms) ?? []));
  return (
    <section className="analytics-view">
      <div className="toolbar">
        <h1>Analytics</h1>
        <input className="filter" placeholder="Workflow" aria-label="Workflow" defaultValue={workflow} onChange={(e) => setParams({ workflow: e.target.value })} />
      </div>
      {error !== undefined && <div className="alert">{error}</div>}
      <table className="analytics">
        <thead><tr><th>Step</th><th>Completed</th><th>Failed attempts</th><th>Runs failed</th><th>Average</th><th>p95</th><th className="wide">Duration</th></tr></thead>
        <tbody>
          {data?.durations.map((d) => (
            <tr key={d.stepId}>
              <td className="mono">{d.stepId}</td>
              <td>{d.count}</td>
              <td>{failures.get(d.stepId)?.failures ?? 0}</td>
              <td>{failures.get(d.stepId)?.runsFailed ?? 0}</td>
              <td className="mono">{formatDuration(d.avgMs)}</td>
              <td className="mono">{formatDuration(d.p95Ms)}</td>
              <td className="wide">
                <div className="abar"><span className="abar-avg" style={{ width: `${(d.avgMs / slowest) * 100}%` }} /><span className="abar-p95" style={{ left: `${(d.p95Ms / slowest) * 100}%` }} /></div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
