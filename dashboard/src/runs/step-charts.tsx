/**
 * One step's charts over time: its duration (average and p95) and its outcomes (completed,
 * failed attempts, runs failed), bucket by bucket, with cursors in step. The view loads this
 * module on demand, uPlot with it, so neither weighs on the runs list's first load.
 */
import { useMemo } from "react";
import { formatDuration } from "../common/format.js";
import { stepColumns, type StepSeriesAnswer } from "./analytics-range.js";
import { TimeChart, type ChartSeries } from "./time-chart.js";

const COLOURS = { avg: "#3b82f6", p95: "#f59e0b", completed: "#22c55e", failures: "#ef4444", runsFailed: "#fca5a5" } as const;

const durationLabel = (ms: number): string => formatDuration(ms);
const countLabel = (n: number): string => n.toLocaleString();

export default function StepCharts({ answer, stepId }: { answer: StepSeriesAnswer; stepId: string }) {
  const columns = useMemo(() => stepColumns(answer, stepId), [answer, stepId]);
  const durations = useMemo<ChartSeries[]>(
    () => [
      { label: "Average", values: columns.avgMs, color: COLOURS.avg, kind: "line" },
      { label: "p95", values: columns.p95Ms, color: COLOURS.p95, kind: "line", dash: [6, 4] },
    ],
    [columns],
  );
  const outcomes = useMemo<ChartSeries[]>(
    () => [
      { label: "Completed", values: columns.completed, color: COLOURS.completed, kind: "bars", side: -1 },
      { label: "Failed attempts", values: columns.failures, color: COLOURS.failures, kind: "bars", side: 1 },
      { label: "Runs failed", values: columns.runsFailed, color: COLOURS.runsFailed, kind: "dots" },
    ],
    [columns],
  );
  const per = `per ${answer.bucket}`;
  return (
    <div className="step-charts" data-step={stepId}>
      <figure className="chart-card">
        <figcaption>
          <span className="chart-title">Duration</span>
          <span className="muted">average and p95 of completed attempts, {per}</span>
        </figcaption>
        <TimeChart testId="duration-chart" t={columns.t} bucketMs={answer.bucketMs} series={durations} format={durationLabel} />
      </figure>
      <figure className="chart-card">
        <figcaption>
          <span className="chart-title">Runs and failures</span>
          <span className="muted">completed, failed attempts and runs in which it failed, {per}</span>
        </figcaption>
        <TimeChart testId="runs-chart" t={columns.t} bucketMs={answer.bucketMs} series={outcomes} format={countLabel} integers />
      </figure>
    </div>
  );
}
