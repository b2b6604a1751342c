/**
 * Error responses: every error is `{ error, message, field? }`. A failed validation names the
 * field at fault (`querystring.limit`, `body.input`), as the OpenAPI document spells it.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** Sends the error body every route uses. */
export function sendError(reply: FastifyReply, status: number, error: string, message: string, field?: string): FastifyReply {
  return reply.code(status).send({ error, message, ...(field === undefined ? {} : { field }) });
}

interface AjvIssue {
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: { missingProperty?: string; additionalProperty?: string };
}

/** `querystring.limit`, `body.input`, `params.runId`: where a validation issue points. */
export function fieldOf(context: string | undefined, issue: AjvIssue): string {
  const parts = (issue.instancePath ?? "").split("/").filter((part) => part !== "");
  const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  if (extra !== undefined) parts.push(extra);
  return [context ?? "request", ...parts].join(".");
}

function messageOf(issue: AjvIssue, field: string): string {
  if (issue.params?.additionalProperty !== undefined) return `${field} is not a known field`;
  if (issue.params?.missingProperty !== undefined) return `${field} is required`;
  return `${field} ${issue.message ?? "is invalid"}`;
}

/**
 * The server's error handler.
 *
 * @example
 * app.setErrorHandler(handleError);
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const issue = error.validation?.[0] as AjvIssue | undefined;
  if (issue !== undefined) {
    const field = fieldOf(error.validationContext, issue);
    return sendError(reply, 400, "bad_request", messageOf(issue, field), field);
  }
  const status = error.statusCode ?? 500;
  if (status === 413) return sendError(reply, 413, "payload_too_large", error.message);
  if (status >= 400 && status < 500) return sendError(reply, status, status === 400 ? "bad_request" : "client_error", error.message, status === 400 ? "body" : undefined);
  request.log.error({ err: error }, "request failed");
  return sendError(reply, 500, "internal", "internal error");
}
