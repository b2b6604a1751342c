/**
 * Checks every request passes before any route sees it, so that a web page cannot drive the
 * server from the browser of someone who runs it:
 *
 * - Open mode (no API tokens) trusts whoever reaches loopback, so it serves only requests that
 *   name a loopback host (`localhost`, `127.0.0.1`, `[::1]`, any port) and, when they send an
 *   `Origin`, come from a loopback origin (or one named in `http.cors.origin`). That refuses DNS rebinding (a foreign name resolved to
 *   127.0.0.1: its `Host` is the foreign name) and a foreign page's requests and WebSockets (their
 *   `Origin` is the page's). With tokens, a page has no credentials to send: CORS stays as configured.
 * - State-changing methods need `Content-Type: application/json` in every mode: the content
 *   types a page may send without a CORS preflight (forms, `text/plain`, none) are refused.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { App, ServerContext } from "../server-context.js";
import { sendError } from "./error-responses.js";

/** A refusal: the status and the documented `{error, message, field}` body. */
export interface Refusal {
  readonly status: 403 | 415;
  readonly body: { readonly error: string; readonly message: string; readonly field: string };
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** `name` or `name:port`, where the name may be a bracketed IPv6 address. */
const HOST = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i;
const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

/** Whether a `Host` value (`name[:port]`) names the loopback host. */
export function isLoopbackHost(host: string): boolean {
  const match = HOST.exec(host.trim());
  return match !== null && LOOPBACK_NAMES.has(match[1]!.toLowerCase());
}

/** Whether an `Origin` value is an http(s) origin on a loopback host. */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK_NAMES.has(url.hostname);
}

/**
 * Open mode's check of `Host` and `Origin` (undefined: allowed); `trusted` are origins served
 * besides loopback ones. Shared by HTTP requests and the WebSocket upgrade.
 *
 * @example
 * loopbackRefusal({ host: "attacker.example" })?.body.field; // "headers.host"
 */
export function loopbackRefusal(headers: IncomingHttpHeaders, trusted: ReadonlySet<string> = new Set()): Refusal | undefined {
  const host = headers.host;
  if (host === undefined || !isLoopbackHost(host)) {
    const shown = host === undefined ? "no Host header" : `Host ${JSON.stringify(host)}`;
    return {
      status: 403,
      body: {
        error: "forbidden",
        message: `refused ${shown}: without API tokens (open mode) the server answers only requests for localhost, 127.0.0.1 or [::1], so a foreign name pointed at this machine (DNS rebinding) reads nothing; configure API tokens to serve other names`,
        field: "headers.host",
      },
    };
  }
  const origin = headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin) && !trusted.has(origin)) {
    return {
      status: 403,
      body: {
        error: "forbidden",
        message: `refused Origin ${JSON.stringify(origin)}: without API tokens (open mode) the server answers only pages served from localhost, 127.0.0.1 or [::1], so another site open in a browser cannot read or start runs; configure API tokens, or name the origin in http.cors.origin`,
        field: "headers.origin",
      },
    };
  }
  return undefined;
}

/** The `Content-Type` check of a state-changing request (undefined: allowed). */
export function contentTypeRefusal(method: string, headers: IncomingHttpHeaders): Refusal | undefined {
  if (!STATE_CHANGING.has(method)) return undefined;
  const type = headers["content-type"];
  if (type !== undefined && JSON_TYPE.test(type)) return undefined;
  return {
    status: 415,
    body: {
      error: "unsupported_media_type",
      message: `refused ${method} with ${type === undefined ? "no Content-Type" : `Content-Type ${JSON.stringify(type)}`}: requests that change state must send \`Content-Type: application/json\` (a web page cannot send it to another site without the server's consent); the body may be empty`,
      field: "headers.content-type",
    },
  };
}

/** Whether the request says it has no body. */
function hasNoBody(headers: IncomingHttpHeaders): boolean {
  return headers["transfer-encoding"] === undefined && (headers["content-length"] === undefined || headers["content-length"] === "0");
}

/**
 * Adds the checks as an `onRequest` hook (routes that do not exist keep their 404).
 *
 * @example
 * registerRequestGuards(app, ctx);
 */
export function registerRequestGuards(app: App, ctx: ServerContext): void {
  app.addHook("onRequest", async (request, reply) => {
    const headers = request.raw.headers;
    const refused = (ctx.auth.tokens === undefined ? loopbackRefusal(headers, ctx.auth.trustedOrigins) : undefined) ?? (request.is404 ? undefined : contentTypeRefusal(request.method, headers));
    if (refused !== undefined) return sendError(reply, refused.status, refused.body.error, refused.body.message, refused.body.field);
    // An empty JSON body means "no options", as a bodyless POST always did; Fastify's JSON parser
    // refuses an empty body, so once checked the request goes on as the bodyless one it is.
    if (STATE_CHANGING.has(request.method) && hasNoBody(headers)) delete headers["content-type"];
    return undefined;
  });
}
