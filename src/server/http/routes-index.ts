/**
 * `GET /api`: the API's index, so the URL `runtrail serve` prints answers with where to go next
 * (runs, streams, the WebSocket, the OpenAPI document, the workflows this server can start)
 * instead of a 404. It holds no account data, so it needs no token.
 */
import type { App, ServerContext } from "../server-context.js";

/**
 * Registers `GET /api` (and `/api/`).
 *
 * @example
 * registerIndexRoutes(app, ctx);
 */
export function registerIndexRoutes(app: App, ctx: ServerContext): void {
  const index = () => ({
    name: "runtrail",
    auth: ctx.auth.tokens === undefined ? "open (loopback only, account default)" : "bearer token",
    links: {
      runs: "/api/runs",
      run: "/api/runs/{runId}",
      events: "/api/runs/{runId}/events",
      signal: "/api/runs/{runId}/signals/{name}",
      runStream: "/api/runs/{runId}/stream",
      accountStream: "/api/stream",
      websocket: "/api/ws",
      analytics: "/api/analytics/steps",
      analyticsSeries: "/api/analytics/steps/series?workflow={workflow}",
      openapi: "/api/openapi.json",
      asyncapi: "/api/asyncapi.json",
    },
    workflows: [...ctx.workflows.keys()].map((name) => ({ name, start: `/api/workflows/${encodeURIComponent(name)}/runs` })),
  });
  app.get("/api", { schema: { hide: true } }, index);
  app.get("/api/", { schema: { hide: true } }, index);
}
