/**
 * Holding a run on this server: the handles of runs it started, resumed or recovered, by run id,
 * until each ends. One place for the signal, resume and recovery paths, so they agree on which
 * run a request reaches (a sub-workflow run is held through the run at the top of its tree) and
 * on how a run no process holds is taken on from its trail (claimed first, with the lease).
 */
import { isIdleSuspended, ResumeRefusedError, resumeRun, type RunHandle } from "../../engine/index.js";
import type { RunRecord } from "../../store/index.js";
import type { ServerContext } from "../server-context.js";

/**
 * Keeps `handle` in `ctx.handles` until its run ends.
 *
 * @example
 * holdHandle(ctx, "acme", workflow.start(input));
 */
export function holdHandle(ctx: ServerContext, accountId: string, handle: RunHandle<unknown>): void {
  const { runId } = handle;
  ctx.handles.set(runId, { accountId, handle });
  const forget = (): void => {
    if (ctx.handles.get(runId)?.handle === handle) ctx.handles.delete(runId);
  };
  handle.result.then(forget, forget);
}

/** The handle this server holds for `runId` in the account, if any (not through a parent). */
export function heldHandle(ctx: ServerContext, accountId: string, runId: string): RunHandle<unknown> | undefined {
  const local = ctx.handles.get(runId);
  return local !== undefined && local.accountId === accountId ? local.handle : undefined;
}

/**
 * The runs above a sub-workflow run, nearest first, as the store has them (a tree is a few levels
 * deep); `missing` names a parent the store does not have, where the walk stopped.
 */
export async function ancestorsOf(ctx: ServerContext, run: RunRecord): Promise<{ readonly chain: readonly RunRecord[]; readonly missing?: string }> {
  const chain: RunRecord[] = [];
  for (let parentId = run.parentRunId; parentId !== undefined; ) {
    const parent = await ctx.store.getRun(run.accountId, parentId);
    if (parent === undefined) return { chain, missing: parentId };
    chain.push(parent);
    parentId = parent.parentRunId;
  }
  return { chain };
}

/**
 * The handle that reaches `run`: its own, or, for a sub-workflow run, that of a run above it that
 * this server holds (the child's waits are reached through the parent's `signal`).
 */
export async function handleReaching(ctx: ServerContext, run: RunRecord): Promise<RunHandle<unknown> | undefined> {
  const own = heldHandle(ctx, run.accountId, run.runId);
  if (own !== undefined || run.parentRunId === undefined) return own;
  // A child's row is stored after its parent's run.started (one writer, in order), so the walk finds a held parent.
  for (const parent of (await ancestorsOf(ctx, run)).chain) {
    const held = heldHandle(ctx, run.accountId, parent.runId);
    if (held !== undefined) return held;
  }
  return undefined;
}

/** Why this server cannot take `run` on from its trail, or undefined when it can. */
export function cannotResumeHere(ctx: ServerContext, run: RunRecord): string | undefined {
  if (ctx.bus === undefined || ctx.writer === undefined) return `run "${run.runId}" is not held by this server, and it cannot resume it: the server has no writer`;
  if (run.parentRunId === undefined && ctx.workflows.get(run.workflow.name)?.resume === undefined) {
    return `run "${run.runId}" is not held by this server, and it cannot resume it: workflow "${run.workflow.name}" is not registered here (serve --workflows)`;
  }
  return undefined;
}

/** A run taken on from its trail, or why it was refused (the 409's message). */
export type HoldResult = { readonly handle: RunHandle<unknown> } | { readonly refused: string };

/**
 * Goes on here with a suspended run no process holds, from its stored trail, and holds its handle.
 * With the server's lease the run is claimed first, so of two servers asked at once one resumes
 * it. Every registered workflow is offered: a sub-workflow run is resumed through the run at the
 * top of its tree, whose workflow may be another.
 */
export async function holdFromTrail(ctx: ServerContext, run: RunRecord): Promise<HoldResult> {
  const why = cannotResumeHere(ctx, run);
  const { bus } = ctx;
  if (why !== undefined || bus === undefined) return { refused: why ?? "the server has no bus" };
  const resumable = [...ctx.workflows.values()].flatMap((w) => (w.resume === undefined ? [] : [{ name: w.name, version: w.version, resume: w.resume.bind(w) }]));
  try {
    const handle = await resumeRun(ctx.store, run.runId, resumable, { accountId: run.accountId, bus, ...(ctx.lease === undefined ? {} : { lease: ctx.lease }) });
    holdHandle(ctx, run.accountId, handle);
    return { handle };
  } catch (error) {
    if (error instanceof ResumeRefusedError) return { refused: error.message };
    throw error;
  }
}

/**
 * Lets go of the held runs that are suspended with nothing left to do: out of the handles (so
 * neither waited for nor cancelled), their events stored, then given back by the lease (held by no
 * process, so no sweep ends them as abandoned and any process may claim them). What a draining
 * server does instead of cancelling them.
 *
 * @example
 * const released = await letGoOfIdleRuns(ctx); // run ids now only rows in the store
 */
export async function letGoOfIdleRuns(ctx: ServerContext): Promise<string[]> {
  const idle = [...ctx.handles].filter(([, { handle }]) => isIdleSuspended(handle.history()));
  if (idle.length === 0) return [];
  for (const [runId] of idle) ctx.handles.delete(runId);
  await ctx.writer?.flush();
  for (const [runId, { accountId }] of idle) await ctx.lease?.release(accountId, runId, null);
  return idle.map(([runId]) => runId);
}
