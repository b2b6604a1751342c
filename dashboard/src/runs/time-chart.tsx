/**
 * A time chart drawn by uPlot: lines and bars over the buckets of a range, in the dashboard's
 * colours, as wide as its box. The box carries what uPlot was given (`data-series`,
 * `data-buckets`, `data-points`), so a test can check what is drawn without reading pixels.
 * uPlot comes with this module, which the view loads on demand.
 */
import { memo, useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** One series of a chart. */
export interface ChartSeries {
  readonly label: string;
  /** One value per bucket; null draws nothing there (a gap in a line). */
  readonly values: readonly (number | null)[];
  readonly color: string;
  /** A line through the values; bars; or dots only where the value is above 0 (a count that is mostly 0). */
  readonly kind: "line" | "bars" | "dots";
  /** Bars side by side: -1 to the left of the bucket's middle, 1 to the right. */
  readonly side?: -1 | 1;
  readonly dash?: number[];
}

export interface TimeChartProps {
  readonly testId: string;
  /** The buckets' starts (epoch ms). */
  readonly t: readonly number[];
  readonly bucketMs: number;
  readonly series: readonly ChartSeries[];
  /** How the y axis and the legend write a value. */
  readonly format: (value: number) => string;
  /** Whole numbers only on the y axis (counts). */
  readonly integers?: boolean;
  readonly height?: number;
}

const AXIS = { stroke: "#8b93a7", grid: { stroke: "#242a38", width: 1 }, ticks: { stroke: "#2e3546", width: 1, size: 4 }, font: "11px Inter, system-ui, sans-serif" };
/** Steps of a count axis: never between two whole numbers. */
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000];

const day = (ts: number): string => new Date(ts).toLocaleDateString(undefined, { month: "short", day: "numeric" });
const time = (ts: number): string => new Date(ts).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });

/** A bucket as the legend names it: `Dec 4, 17:00–18:00` (the end's date too when it is another day's). */
function bucketLabel(start: number, end: number): string {
  const endDay = day(end - 1) === day(start) ? "" : `${day(end)}, `;
  return `${day(start)}, ${time(start)}–${endDay}${time(end)}`;
}

/** The series' options for its kind. */
function seriesOf(s: ChartSeries, format: (value: number) => string): uPlot.Series {
  const common: uPlot.Series = {
    label: s.label,
    stroke: s.color,
    value: (_u, v) => (v === null || v === undefined ? "–" : format(v)),
    ...(s.dash === undefined ? {} : { dash: s.dash }),
  };
  switch (s.kind) {
    case "line":
      return { ...common, width: 2, points: { show: true, size: 5, fill: s.color } };
    case "bars":
      return { ...common, width: 0, fill: `${s.color}cc`, paths: uPlot.paths.bars!({ size: [0.38, 48, 2], align: s.side ?? 0, gap: 1, radius: 0.15 }), points: { show: false } };
    case "dots":
      return {
        ...common,
        width: 0,
        paths: () => null,
        points: { show: true, size: 8, fill: s.color, filter: (u, i) => Array.from(u.data[i] ?? [], (v, idx) => (typeof v === "number" && v > 0 ? idx : -1)).filter((idx) => idx >= 0) },
      };
  }
}

function options(props: TimeChartProps, width: number): uPlot.Options {
  const { bucketMs, format } = props;
  return {
    width,
    height: props.height ?? 220,
    ms: 1,
    // Each value sits in the middle of its bucket (x is the bucket's start plus half a width).
    scales: {
      x: { time: true, range: (_u, min, max) => [min - bucketMs / 2, max + bucketMs / 2] },
      y: { range: (_u, _min, max) => uPlot.rangeNum(0, max > 0 ? max : 1, 0.25, true) as uPlot.Range.MinMax },
    },
    axes: [
      { ...AXIS },
      {
        ...AXIS,
        size: 64,
        values: (_u, splits) => splits.map((v) => format(v)),
        ...(props.integers === true ? { incrs: INTEGER_STEPS } : {}),
      },
    ],
    padding: [14, 14, 0, 0],
    cursor: { sync: { key: "runtrail-analytics" }, points: { size: 7 }, y: false },
    legend: { live: true, markers: { fill: (_u, i) => props.series[i - 1]?.color ?? "transparent" } },
    series: [{ label: "Bucket", value: (_u, x) => (x === null ? "–" : bucketLabel(x - bucketMs / 2, x + bucketMs / 2)) }, ...props.series.map((s) => seriesOf(s, format))],
  };
}

/**
 * A uPlot chart of `series` over the buckets `t`, rebuilt when a prop changes (memoised: pass
 * stable arrays and functions).
 *
 * @example
 * <TimeChart testId="runs-chart" t={t} bucketMs={3_600_000} series={[{ label: "Completed", values, color: "#22c55e", kind: "bars" }]} format={String} integers />
 */
export const TimeChart = memo(function TimeChart({ testId, t, bucketMs, series, format, integers, height }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    const props: TimeChartProps = { testId, t, bucketMs, series, format, ...(integers === undefined ? {} : { integers }), ...(height === undefined ? {} : { height }) };
    const x = t.map((start) => start + bucketMs / 2);
    const data: uPlot.AlignedData = [x, ...series.map((s) => s.values.map((v) => v))];
    const chart = new uPlot(options(props, Math.max(200, el.clientWidth)), data, el);
    el.dataset.series = String(chart.series.length - 1);
    el.dataset.buckets = String(chart.data[0].length);
    el.dataset.points = chart.data
      .slice(1)
      .map((column) => Array.from(column as ArrayLike<number | null | undefined>).filter((v) => v !== null && v !== undefined).length)
      .join(",");
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height: height ?? 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [testId, t, bucketMs, series, format, integers, height]);
  return <div className="time-chart" data-testid={testId} ref={box} />;
});
