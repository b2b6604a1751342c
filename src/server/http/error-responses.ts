/**
 * Error responses: every error is `{ error, message, field? }`. A failed validation names the
 * field at fault (`querystring.limit`, `body.input`), as the OpenAPI document spells it.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { maxHeaderSize } from "node:http";
import type { Socket } from "node:net";
import { typePatternProblem } from "../../bus/index.js";

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
  if (status === 413) {
    const limit = request.routeOptions.bodyLimit;
    return sendError(reply, 413, "payload_too_large", `the body is larger than the server's limit of ${limit} bytes (bodyLimit)`, "body");
  }
  if (status === 415) return sendError(reply, 415, "unsupported_media_type", `${error.message}; send the body as application/json`, "headers.content-type");
  if (status >= 400 && status < 500) return sendError(reply, status, status === 400 ? "bad_request" : "client_error", error.message, status === 400 ? "body" : undefined);
  request.log.error({ err: error }, "request failed");
  return sendError(reply, 500, "internal", "internal error");
}

/**
 * The first of `types` (a `types` query parameter) that selects no event type, as the 400 to
 * answer: a typo such as `steps.*` must not look like "no such events".
 *
 * @example
 * const bad = badTypePattern(request.query.types);
 * if (bad !== undefined) return sendError(reply, 400, "bad_request", bad.message, bad.field);
 */
export function badTypePattern(types: readonly string[] | undefined): { readonly message: string; readonly field: string } | undefined {
  if (types === undefined) return undefined;
  for (let i = 0; i < types.length; i++) {
    const problem = typePatternProblem(types[i]!);
    if (problem !== undefined) return { message: `types ${JSON.stringify(types[i])} ${problem}`, field: `querystring.types.${i}` };
  }
  return undefined;
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any route runs (headers
 * past `maxHeaderSize`, a request that took too long, bytes that are not HTTP), answered with the
 * same `{ error, message }` body as every other error instead of Fastify's own shape.
 *
 * @example
 * Fastify({ clientErrorHandler: handleClientError });
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, reason, body] = clientErrorOf(error);
  if (socket.writable) {
    const json = JSON.stringify(body);
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
  }
  socket.destroy(error);
}

function clientErrorOf(error: Error & { code?: string }): [number, string, { error: string; message: string; field?: string }] {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return [431, "Request Header Fields Too Large", { error: "headers_too_large", message: `the request's headers (the URL included) are larger than the server's limit of ${maxHeaderSize} bytes (Node's maxHeaderSize)`, field: "headers" }];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "Request Timeout", { error: "request_timeout", message: "the request was not received in time (Node's requestTimeout)" }];
    default:
      return [400, "Bad Request", { error: "bad_request", message: `the request is not valid HTTP (${error.code ?? error.message})` }];
  }
}

/**
 * The answer to a request that arrives while the server closes (Fastify's own would be
 * `{"error":"Service Unavailable",…,"statusCode":503}`): the documented body, and the
 * connection closed so the client reconnects elsewhere.
 *
 * @example
 * if (closing) return sendUnavailable(reply);
 */
export function sendUnavailable(reply: FastifyReply): FastifyReply {
  reply.header("connection", "close");
  return sendError(reply, 503, "unavailable", "the server is shutting down; retry on another server or after it restarts");
}
