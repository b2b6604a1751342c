/**
 * Serves the built dashboard (`dist/dashboard`) at `/`: its hashed assets with long caching, and
 * `index.html` for any other GET outside `/api`, so a deep link (`/runs/<id>?step=…`) opens the
 * app at that view. The API keeps its own 404s: an unknown `/api/…` path is never the app.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Options of the dashboard wing (`ServerOptions.dashboard`). */
export interface DashboardOptions {
  /** Folder of the built app (holding `index.html`). Default: the package's `dist/dashboard`. */
  readonly root?: string;
}

// From dist/server/dashboard/ (the package) and from src/server/dashboard/ (a checkout run by tsx).
const CANDIDATES = ["../../dashboard", "../../../dist/dashboard"];

/**
 * The folder of the built dashboard, or undefined when it was not built.
 *
 * @example
 * const root = findDashboardRoot(); // "/…/node_modules/runtrail/dist/dashboard"
 */
export function findDashboardRoot(): string | undefined {
  for (const relative of CANDIDATES) {
    const dir = fileURLToPath(new URL(`${relative}/`, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return undefined;
}

/**
 * Registers the dashboard on `app`; returns the folder served, or undefined when there is none to
 * serve (no build and no `root`), in which case nothing is registered. A `root` given without an
 * `index.html` is an error, since the caller asked for that folder.
 *
 * @example
 * await registerDashboard(app, {});
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions = {}): Promise<string | undefined> {
  const root = options.root ?? findDashboardRoot();
  if (root === undefined) return undefined;
  if (!existsSync(join(root, "index.html"))) throw new Error(`dashboard.root: ${root} holds no index.html (build it with \`npm run build:dashboard\`)`);
  // Loaded only when there is an app to serve: `@fastify/static` is an optional peer dependency.
  const { default: fastifyStatic } = await import("@fastify/static");
  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    wildcard: false,
    index: false,
    // Its own max-age=0 would replace ours.
    cacheControl: false,
    setHeaders(res, path) {
      // Vite names assets by content hash: they never change under one name.
      res.setHeader("cache-control", path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  // The app's own paths (see dashboard/src/app/app-route.ts) answer with the app: deep links.
  const sendIndex = async (_request: unknown, reply: FastifyReply) => reply.header("cache-control", "no-cache").sendFile("index.html", { cacheControl: false });
  for (const path of ["/", "/runs", "/runs/*", "/analytics", "/login"]) app.get(path, { schema: { hide: true } }, sendIndex);
  return root;
}
