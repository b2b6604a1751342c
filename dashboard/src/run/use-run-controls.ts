/**
 * What the run view may do to its run (`GET /api/runs/:id/controls`): suspend, resume, signal,
 * with what the run waits for and who suspended it. Re-read when the run's live status changes,
 * on each new event while it is suspended (another wait may open, or one of several end), and
 * after each action, so
 * the buttons follow the run; nothing is polled. Not read before the run's status is known, nor
 * for a run that has ended (nothing can be done to it), so opening a finished run costs no request.
 */
import { useCallback, useEffect, useState } from "react";
import { api } from "../api/api-client.js";
import type { RunControls, RunStatus } from "../api/api-types.js";

/** A suspended run whose row is not written yet (the live tail is ahead of the store) is read again this soon, a few times. */
const ROW_LAG_MS = 300;
const ROW_LAG_TRIES = 5;

const ENDED: ReadonlySet<RunStatus> = new Set(["completed", "failed", "cancelled"]);

export function useRunControls(runId: string, status: RunStatus | undefined, seq: number) {
  const [controls, setControls] = useState<RunControls | undefined>();
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  // While running, the key stays put however many events arrive.
  const moment = status === "suspended" || controls?.status === "suspended" ? `suspended@${seq}` : status;
  const wanted = status !== undefined && !ENDED.has(status);
  useEffect(() => {
    if (!wanted) {
      setControls(undefined);
      return;
    }
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let tries = 0;
    const read = (): void => {
      tries += 1;
      api<RunControls>(`/runs/${encodeURIComponent(runId)}/controls`)
        .then((next) => {
          if (stopped) return;
          setControls(next);
          if (next.status === "suspended" && next.suspension === undefined && tries < ROW_LAG_TRIES) timer = setTimeout(read, ROW_LAG_MS);
        })
        .catch(() => !stopped && setControls(undefined));
    };
    read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId, moment, version, wanted]);
  return { controls, refresh };
}
