/**
 * `resumeRun`: goes on with a suspended run from its stored trail, in whichever process has the
 * workflow registered. The engine reads the store through the one method it needs (`readRun`),
 * so it imports no store: any `EventStore` fits.
 */
import type { RuntrailEvent } from "../events/index.js";
import type { RunOptions } from "./run/run-executor.js";
import { restoreNeeds } from "./run/run-restore.js";
import { readSubTrails } from "./run/sub-run-trails.js";
import { ResumeRefusedError } from "./run/signal-errors.js";
import type { ResumeOptions, RunHandle } from "./workflow.js";

export type { SubTrails } from "./run/run-restore.js";

/** The slice of a store `resumeRun` reads: a run's events in seq order, page by page. */
export interface TrailReader {
  readRun(
    accountId: string,
    runId: string,
    options?: { after?: number; limit?: number },
  ): Promise<{ readonly items: readonly { readonly event: RuntrailEvent; readonly truncated?: readonly { readonly path: string }[] }[]; readonly next?: number }>;
}

/** A workflow that can go on from a trail (a built `Workflow` is one). */
export interface ResumableWorkflow {
  readonly name: string;
  readonly version: string | undefined;
  resume(trail: readonly RuntrailEvent[], options?: ResumeOptions): RunHandle<unknown>;
}

/**
 * The slice of a run lease (`createRunLease`) a resume claims the run with: it ties the run to
 * this process's lease only if no other process can be executing it.
 */
export interface RunClaimer {
  claim(
    accountId: string,
    runId: string,
  ): Promise<{ readonly claimed: true; readonly lastSeq: number; readonly previousOwner?: string } | { readonly claimed: false; readonly message: string }>;
  /** Gives the run back (to `to`; null: no process) when the resume fails after the claim. */
  release(accountId: string, runId: string, to: string | null): Promise<boolean>;
}

/** Options of {@link resumeRun}: the run's account, and the run options of the process that goes on with it. */
export interface ResumeRunOptions extends Omit<RunOptions, "runId" | "accountId" | "parentRunId"> {
  /** The run's account; default `"default"`. */
  accountId?: string;
  /**
   * This process's run lease (give the same one to its store writer). The run is claimed for it
   * first (`store.claimRun`): of two processes resuming one run, exactly one goes on, and the
   * other's resume is refused (`ResumeRefusedError` saying who holds it).
   */
  lease?: RunClaimer;
  /** Crash recovery (see `ResumeOptions.recovery`). */
  recovery?: ResumeOptions["recovery"];
}

/**
 * Reads a run's whole trail, refusing one whose restored data (an output, the input, a variable,
 * a payload) was stored truncated: it could not be restored. Other cut fields do not matter.
 */
export async function readTrail(store: TrailReader, accountId: string, runId: string): Promise<RuntrailEvent[]> {
  const trail: RuntrailEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await store.readRun(accountId, runId, { after, limit: 10_000 });
    for (const { event, truncated } of page.items) {
      const needed = truncated?.filter((t) => restoreNeeds(event.type, t.path)) ?? [];
      if (needed.length > 0) {
        throw new ResumeRefusedError(runId, `${event.type} at seq ${event.seq} was stored truncated (${needed.map((t) => t.path).join(", ")}), so its data cannot be restored`);
      }
      trail.push(event);
    }
    if (page.next === undefined || page.items.length === 0) return trail;
    after = page.next;
  }
}

/**
 * Goes on with a suspended run from the trail in `store`: finished steps are not run again (their
 * outputs come from their stored events, loop iterations and sub-workflow steps included), the
 * variables are as the trail left them, the seq continues after the stored last, and the run's
 * open waits accept signals again. The run needs the workflow (by name, at the same version) that
 * started it.
 *
 * Sub-workflow runs go on with their parent: a wait inside one suspends the parent too, and the
 * parent is what gets resumed (its handle's `signal` reaches the child's wait). Given a
 * sub-workflow run's id, `resumeRun` resumes the run at the top of its tree and returns that
 * run's handle.
 *
 * @example
 * const run = await resumeRun(store, runId, [approvals], { accountId: "acme", bus });
 * await run.signal("approval", { approved: true });
 * await run.result;
 * @throws ResumeRefusedError when the run is unknown, has ended, or no given workflow (at its version) started it.
 */
export async function resumeRun(
  store: TrailReader,
  runId: string,
  workflows: ResumableWorkflow | readonly ResumableWorkflow[],
  options: ResumeRunOptions = {},
): Promise<RunHandle<unknown>> {
  const { accountId = "default", lease, ...runOptions } = options;
  let trail = await readTrail(store, accountId, runId);
  if (trail[0] === undefined) throw new ResumeRefusedError(runId, `no run "${runId}" in account "${accountId}"`);
  // A sub-workflow run goes on inside its parent's step: resume the top of the tree.
  for (let parentId = trail[0].parentRunId; parentId !== undefined; parentId = trail[0]?.parentRunId) {
    trail = await readTrail(store, accountId, parentId);
    if (trail[0] === undefined) throw new ResumeRefusedError(runId, `its parent run "${parentId}" is not in the store`);
  }
  const first = trail[0];
  const list: readonly ResumableWorkflow[] = Array.isArray(workflows) ? workflows : [workflows as ResumableWorkflow];
  const workflow = list.find((candidate) => candidate.name === first.workflow.name);
  if (workflow === undefined) {
    throw new ResumeRefusedError(runId, `it was started by workflow "${first.workflow.name}", which is not registered here (${list.map((w) => `"${w.name}"`).join(", ") || "none"})`);
  }
  const read = (id: string): Promise<RuntrailEvent[]> => readTrail(store, accountId, id);
  if (lease === undefined) return workflow.resume(trail, { ...runOptions, subTrails: await readSubTrails(read, trail) });
  // Checked before the claim, so a resume refused for its workflow's version takes nothing.
  if (first.workflow.version !== workflow.version) {
    throw new ResumeRefusedError(runId, `it was started by "${workflow.name}" version ${JSON.stringify(first.workflow.version ?? null)}, and this process has version ${JSON.stringify(workflow.version ?? null)}`);
  }
  // The top of the tree is claimed: its sub-workflow runs go on inside it, in this process.
  const topId = first.runId;
  const claim = await lease.claim(accountId, topId);
  if (!claim.claimed) throw new ResumeRefusedError(runId, claim.message);
  try {
    // Another resumer may have gone on with the run (and left it) between the read and the claim.
    if (trail.at(-1)?.seq !== claim.lastSeq) trail = await read(topId);
    return workflow.resume(trail, { ...runOptions, subTrails: await readSubTrails(read, trail) });
  } catch (error) {
    // Not executing it after all: back to the (expired) lease it had, so a sweep still finds it, or to none.
    await lease.release(accountId, topId, claim.previousOwner ?? null).catch(() => undefined);
    throw error;
  }
}
