/**
 * The frame of every view: the top bar, the sign-in gate and the view the URL names. The run and
 * analytics views load on demand, so the runs list (the first page) ships only its own code.
 */
import { lazy, Suspense, useEffect, useState } from "react";
import { once, useModule } from "../common/use-module.js";
import { api, ApiError, apiToken, setApiToken } from "../api/api-client.js";
import type { RunsPage } from "../api/api-types.js";
import { RunsView } from "../runs/runs-view.js";
import { navigate, useRoute } from "./app-route.js";
import { LoginView } from "./login-view.js";
import { peekPrefetched, prefetchRun } from "../run/run-prefetch.js";

const loadRunView = once(() => import("../run/run-view.js"));
const loadRunGraph = once(() => import("../run/run-graph.js"));
// A deep link to a run fetches the run view's code and the run's record while the token is checked, not after.
const deepRun = /^\/runs\/([^/]+)\/?$/.exec(window.location.pathname)?.[1];
if (deepRun !== undefined) {
  void loadRunView();
  void loadRunGraph();
  prefetchRun(decodeURIComponent(deepRun));
}

/** The run view once its code is in (no Suspense: see use-module.ts). */
function LazyRunView(props: { runId: string; params: URLSearchParams }) {
  const module = useModule(loadRunView);
  if (module === undefined) return <div className="empty">Loading…</div>;
  const View = module.default;
  return <View {...props} loadGraph={loadRunGraph} />;
}
const AnalyticsView = lazy(() => import("../runs/analytics-view.js"));

type Auth = { state: "checking" } | { state: "in"; account: string | undefined } | { state: "out"; message?: string };

/** Probes the API with the stored token: open mode and a valid token get in, else the login. */
function useAuth(): Auth {
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  useEffect(() => {
    const check = (): void => {
      // A deep link's early read of its run, when it succeeds, is proof enough of the sign-in.
      const early = deepRun === undefined ? undefined : peekPrefetched(decodeURIComponent(deepRun));
      const probe = (): Promise<string | undefined> => api<RunsPage>("/runs", { query: { limit: 1 } }).then((page) => page.runs[0]?.accountId);
      (early === undefined ? probe() : early.then((summary) => summary.run.accountId, probe)).then(
        (account) => setAuth({ state: "in", account }),
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 401) setAuth({ state: "out", ...(apiToken() === undefined ? {} : { message: error.message }) });
          else setAuth({ state: "out", message: error instanceof Error ? error.message : String(error) });
        },
      );
    };
    const refused = (event: Event): void => setAuth({ state: "out", message: (event as CustomEvent<string>).detail });
    check();
    window.addEventListener("runtrail:auth", check);
    window.addEventListener("runtrail:unauthorized", refused);
    return () => {
      window.removeEventListener("runtrail:auth", check);
      window.removeEventListener("runtrail:unauthorized", refused);
    };
  }, []);
  return auth;
}

export function AppShell() {
  const route = useRoute();
  const auth = useAuth();
  const link = (path: string) => (event: React.MouseEvent) => {
    event.preventDefault();
    navigate(path);
  };
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="/" onClick={link("/")}>
          <span className="brand-mark" />
          Runtrail
        </a>
        <nav>
          <a href="/" className={route.view !== "analytics" ? "active" : ""} onClick={link("/")}>
            Runs
          </a>
          <a href="/analytics" className={route.view === "analytics" ? "active" : ""} onClick={link("/analytics")}>
            Analytics
          </a>
        </nav>
        <div className="spacer" />
        {auth.state === "in" && apiToken() !== undefined && (
          <button type="button" className="ghost" onClick={() => setApiToken(undefined)}>
            Sign out
          </button>
        )}
      </header>
      <main className="content">
        {auth.state === "checking" && <div className="empty">Connecting…</div>}
        {auth.state === "out" && <LoginView {...(auth.message === undefined ? {} : { message: auth.message })} />}
        {auth.state === "in" && (
          <Suspense fallback={<div className="empty">Loading…</div>}>
            {route.view === "runs" && <RunsView params={route.params} />}
            {route.view === "run" && route.runId !== undefined && <LazyRunView key={route.runId} runId={route.runId} params={route.params} />}
            {route.view === "analytics" && <AnalyticsView params={route.params} />}
          </Suspense>
        )}
      </main>
    </div>
  );
}
