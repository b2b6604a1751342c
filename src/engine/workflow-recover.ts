/**
 * Crash recovery: `recoverWorkflows` makes what a run lease's sweep (`createRunLease(store,
 * { recover })`) asks about each run whose process died. A run of a workflow registered here
 * with `recover: "resume"` (same name and version) goes on in this process from its trail:
 * completed steps are restored, not run again; the steps that were running when the process
 * died run again (at-least-once), unless one is marked `idempotent: false`, and then the run is
 * ended as abandoned with that reason. It also wakes a suspended run no process holds whose
 * wait's deadline passed (any workflow registered here): resumed, its `signal.timeout` fires.
 * The engine imports no store: the lease hands it the store as a {@link TrailReader}.
 */
import type { EventBus } from "../bus/index.js";
import type { RuntrailEvent } from "../events/index.js";
import type { RecoverMode } from "./define/definition-types.js";
import { inflightOf } from "./run/run-inflight.js";
import { readSubTrails } from "./run/sub-run-trails.js";
import { ResumeRefusedError } from "./run/signal-errors.js";
import type { ResumeOptions, RunHandle } from "./workflow.js";
import { readTrail, type ResumableWorkflow, type TrailReader } from "./workflow-resume.js";

/** A workflow crash recovery may resume: a built `Workflow` is one. */
export interface RecoverableWorkflow extends ResumableWorkflow {
  readonly recover?: RecoverMode;
}

/** A run whose process died, as the lease's sweep found (and claimed) it. */
export interface LostRun {
  readonly accountId: string;
  readonly runId: string;
  readonly workflow: { readonly name: string; readonly version?: string };
  readonly parentRunId?: string;
  readonly lastSeq: number;
  readonly leaseOwner: string;
  readonly holder?: string;
  readonly expiredAt?: number;
}

/** Options of {@link recoverWorkflows}: the run options resumed runs get, and who is told. */
export interface RecoverWorkflowsOptions extends Omit<ResumeOptions, "recovery" | "bus"> {
  /** The bus resumed runs emit on: the one this process's store writer (tied to the lease) listens to. */
  readonly bus: EventBus;
  /** Who recovered, on the `run.resumed` it writes. Default `"recovery"`. */
  readonly by?: string;
  /** Each run resumed here, with its handle (to signal, cancel or await it). */
  readonly onResumed?: (handle: RunHandle<unknown>, run: LostRun) => void;
  /** Each suspended run resumed here because its wait timed out while no process held it, with its handle. */
  readonly onWoken?: (handle: RunHandle<unknown>, run: DueWait) => void;
}

/** What became of a lost run: see the store's `RecoveryOutcome`. */
export type RecoverOutcome = { readonly outcome: "resumed" } | { readonly outcome: "released" } | { readonly outcome: "refused"; readonly reason: string };

/** A suspended run no process holds whose wait's deadline passed, as the lease's sweep found (and claimed) it. */
export interface DueWait {
  readonly accountId: string;
  readonly runId: string;
  readonly workflow: { readonly name: string; readonly version?: string };
  readonly parentRunId?: string;
  readonly wakeAt: number;
}

/** What a lease's sweep asks (the store's `RunRecovery`). */
export interface WorkflowRecovery {
  /** Whether this process resumes `run`: its workflow is registered here with `recover: "resume"`, at its version, and it is no sub-workflow run. */
  accepts(run: LostRun): boolean;
  /** The workflows (`recover: "resume"`) it resumes: the lease advertises them, so other sweepers leave their runs to it. */
  recovers(): readonly { readonly name: string; readonly version?: string | undefined }[];
  /** Goes on with `run` (claimed by the caller's lease) from its trail in `store`. */
  recover(run: LostRun, store: TrailReader): Promise<RecoverOutcome>;
  /** Whether this process resumes a due wait's run: its workflow is registered here (any `recover`), at its version. */
  wakes(run: DueWait): boolean;
  /** Resumes the run (claimed by the caller's lease) so its timed-out wait's `signal.timeout` fires here. */
  wake(run: DueWait, store: TrailReader): Promise<RecoverOutcome>;
}

/**
 * Crash recovery for `workflows`: give it to the run lease as `recover`.
 *
 * A run that was suspended with nothing running (it waits for a signal, or was paused) needs no
 * process: it is left suspended and held by none (`released`), and a signal resumes it
 * wherever it arrives. A sub-workflow run is not resumed on its own: it goes on inside its top
 * run when that is resumed (its wait's deadline is its top run's too, so the top is woken).
 *
 * @example
 * const bus = createBus();
 * const lease = await createRunLease(store, { recover: recoverWorkflows([orders], { bus }) });
 * const writer = createStoreWriter(bus, store, { lease });
 * await lease.sweep(); // resumes now what the first sweep left (the writer is on the bus now)
 */
export function recoverWorkflows(workflows: readonly RecoverableWorkflow[], options: RecoverWorkflowsOptions): WorkflowRecovery {
  const { bus, by = "recovery", onResumed, onWoken, ...runOptions } = options;
  const registered = new Map(workflows.map((wf) => [wf.name, wf]));
  const matching = (run: { readonly workflow: { readonly name: string; readonly version?: string }; readonly parentRunId?: string }): RecoverableWorkflow | undefined => {
    const workflow = registered.get(run.workflow.name);
    return workflow !== undefined && workflow.version === run.workflow.version && run.parentRunId === undefined ? workflow : undefined;
  };
  /** Reads the trail and goes on with it; a refusal (a truncated trail, an idempotency-unsafe step) is the reason. */
  const resume = async (
    workflow: RecoverableWorkflow,
    trail: readonly RuntrailEvent[],
    subTrails: ReadonlyMap<string, readonly RuntrailEvent[]>,
    recovery: ResumeOptions["recovery"],
  ): Promise<RunHandle<unknown> | string> => {
    try {
      return workflow.resume(trail, { ...runOptions, bus, subTrails, ...(recovery === undefined ? {} : { recovery }) });
    } catch (error) {
      if (error instanceof ResumeRefusedError) return error.message;
      throw error;
    }
  };
  /** The run's trail and its sub-workflow runs' (they go on inside it), or why they cannot be restored. */
  const trailOf = async (store: TrailReader, run: { readonly accountId: string; readonly runId: string }): Promise<{ trail: RuntrailEvent[]; subTrails: Map<string, readonly RuntrailEvent[]> } | string> => {
    try {
      const read = (id: string): Promise<RuntrailEvent[]> => readTrail(store, run.accountId, id);
      const trail = await read(run.runId);
      return { trail, subTrails: await readSubTrails(read, trail) };
    } catch (error) {
      if (error instanceof ResumeRefusedError) return error.message;
      throw error;
    }
  };
  const advertised = workflows.filter((wf) => wf.recover === "resume").map((wf) => ({ name: wf.name, version: wf.version }));
  return {
    accepts: (run) => matching(run)?.recover === "resume",
    recovers: () => advertised,
    async recover(run, store) {
      const workflow = matching(run);
      if (workflow?.recover !== "resume") return { outcome: "refused", reason: `workflow "${run.workflow.name}" is not registered for recovery here` };
      const read = await trailOf(store, run);
      if (typeof read === "string") return { outcome: "refused", reason: read };
      const { trail, subTrails } = read;
      const { running, suspended } = inflightOf(trail, subTrails);
      // Idle (see isIdleSuspended): nothing was running, so nothing is lost; it waits for its signal anywhere.
      if (suspended && running.length === 0) return { outcome: "released" };
      const lost = run.holder === undefined ? `lease ${run.leaseOwner}` : `${run.holder} (lease ${run.leaseOwner})`;
      const when = run.expiredAt === undefined ? "released" : `expired ${new Date(run.expiredAt).toISOString()}`;
      const again = running.length === 0 ? "" : `; running again: ${running.map((at) => `"${at.stepId}"${at.path === undefined ? "" : `@${at.path.join(".")}`} attempt ${at.attempt}`).join(", ")}`;
      const reason = `recovered after lease expiry of ${lost}, ${when}, from its trail at seq ${trail.at(-1)?.seq ?? 0}${again}`;
      const handle = await resume(workflow, trail, subTrails, { by, reason });
      if (typeof handle === "string") return { outcome: "refused", reason: handle };
      onResumed?.(handle, run);
      return { outcome: "resumed" };
    },
    wakes: (run) => matching(run) !== undefined,
    async wake(run, store) {
      const workflow = matching(run);
      if (workflow === undefined) return { outcome: "refused", reason: `workflow "${run.workflow.name}" is not registered here` };
      const read = await trailOf(store, run);
      if (typeof read === "string") return { outcome: "refused", reason: read };
      // No note of its own: the wait's signal.timeout and run.resumed say why the run goes on.
      const handle = await resume(workflow, read.trail, read.subTrails, undefined);
      if (typeof handle === "string") return { outcome: "refused", reason: handle };
      onWoken?.(handle, run);
      return { outcome: "resumed" };
    },
  };
}
