/** A status pill in the status's colour (the colours are in styles.css, one per status). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge status-${status}`} data-status={status}>
      <span className="dot" />
      {status}
    </span>
  );
}

export function ProgressBar({ percent, status }: { percent: number; status: string }) {
  return (
    <div className="progress" title={`${Math.round(percent)}%`}>
      <div className={`progress-fill status-${status}`} style={{ width: `${Math.min(100, Math.max(0, percent))}%` }} />
    </div>
  );
}
