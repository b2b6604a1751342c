/**
 * The view state lives in the URL, so a link opens the same view and a reload keeps it:
 * `/` (runs, `?status=&workflow=`), `/runs/<id>` (`?step=&event=&types=&logStep=&at=`),
 * `/analytics` (`?workflow=&step=&range=&bucket=`). `useRoute` re-renders on back/forward and on {@link navigate}.
 */
import { useSyncExternalStore } from "react";

export interface Route {
  readonly view: "runs" | "run" | "analytics";
  readonly runId?: string;
  readonly params: URLSearchParams;
}

const CHANGE = "runtrail:navigate";

function parse(href: string): Route {
  const url = new URL(href);
  const params = url.searchParams;
  const run = /^\/runs\/([^/]+)\/?$/.exec(url.pathname);
  if (run?.[1] !== undefined) return { view: "run", runId: decodeURIComponent(run[1]), params };
  if (url.pathname.startsWith("/analytics")) return { view: "analytics", params };
  return { view: "runs", params };
}

let current: { href: string; route: Route } | undefined;

function snapshot(): Route {
  const href = window.location.href;
  if (current?.href !== href) current = { href, route: parse(href) };
  return current.route;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, snapshot);
}

/**
 * Goes to `path` with `params` (empty values dropped). `replace` keeps the history entry (for
 * filter typing and selection, so Back leaves the view rather than undoing each keystroke).
 *
 * @example
 * navigate(`/runs/${id}`, { step: "fetch" });
 */
export function navigate(path: string, params: Record<string, string | undefined> = {}, replace = false): void {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== "") query.set(name, value);
  const qs = query.toString();
  const href = `${path}${qs === "" ? "" : `?${qs}`}`;
  if (replace) window.history.replaceState(null, "", href);
  else window.history.pushState(null, "", href);
  window.dispatchEvent(new Event(CHANGE));
}

/** Sets some query parameters of the current view, keeping the others. */
export function setParams(changes: Record<string, string | undefined>, replace = true): void {
  const route = snapshot();
  const params: Record<string, string | undefined> = Object.fromEntries(route.params.entries());
  Object.assign(params, changes);
  navigate(window.location.pathname, params, replace);
}
