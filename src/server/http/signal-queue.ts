/**
 * A signal for a suspended run that this server cannot resume (it has no writer: `serve --nats`,
 * whose store the NATS collectors write) is queued for a process that can (a NATS worker). The
 * payload is checked here first, against the wait's schema the run's row keeps, so a bad payload
 * is a 400 naming the field rather than a request a worker refuses later.
 */
import type { FastifyReply } from "fastify";
import { SignalPayloadError } from "../../engine/index.js";
import { checkPayload } from "../../events/index.js";
import type { RunRecord } from "../../store/index.js";
import { sendError } from "./error-responses.js";
import { ancestorsOf } from "./run-hold.js";
import type { ServerContext, SignalDispatcher } from "../server-context.js";

/** `/approved` (the payload's JSON pointer) as the API names fields: `body.approved`. */
export const bodyField = (pointer: string): string => ["body", ...pointer.split("/").filter((part) => part !== "")].join(".");

/**
 * Checks `payload` against `run`'s stored wait and queues the signal through `dispatch`: 202
 * `{ runId, signal, queued: true }`, 400 naming the field, or 409 when the row says the run
 * does not wait for `name`.
 */
export async function queueSignal(
  ctx: ServerContext,
  dispatch: SignalDispatcher,
  reply: FastifyReply,
  run: RunRecord,
  signal: { readonly name: string; readonly payload: unknown; readonly by: string },
): Promise<FastifyReply> {
  const { runId } = run;
  const wait = run.suspension;
  if (wait?.waitingFor !== signal.name) {
    const waits = wait?.waitingFor === undefined ? "it waits for no signal (it was paused)" : `it waits for "${wait.waitingFor}"`;
    return sendError(reply, 409, "conflict", `run ${runId} is not waiting for signal "${signal.name}": ${waits}`);
  }
  if (wait.schema !== undefined) {
    const issues = checkPayload(wait.schema, signal.payload);
    if (issues.length > 0) {
      const error = new SignalPayloadError(signal.name, issues);
      return sendError(reply, 400, "bad_request", error.message, bodyField(error.field));
    }
  }
  // A sub-workflow run goes on inside the run at the top of its tree: that one is resumed.
  const { chain, missing } = await ancestorsOf(ctx, run);
  if (missing !== undefined) return sendError(reply, 409, "conflict", `run ${runId} cannot be resumed: its parent run "${missing}" is not in the store`);
  const top = chain.at(-1) ?? run;
  const payload = signal.payload === undefined ? {} : { payload: signal.payload };
  await dispatch({
    runId: top.runId,
    workflow: top.workflow.name,
    accountId: run.accountId,
    signal: { name: signal.name, by: signal.by, ...payload },
    dedupKey: `${runId}.signal.${signal.name}.${wait.seq}`,
  });
  return reply.code(202).send({ runId, signal: signal.name, queued: true });
}
