/**
 * A Vite plugin: on a deep link to a run (`/runs/<id>`), index.html itself starts fetching the run
 * view's and the graph's chunks (modulepreload), the graph's styles and the run's overview
 * (`GET /api/runs/<id>/overview`, with the stored API token), beside the entry script, instead of
 * after the entry has downloaded and run; run-prefetch.ts takes the response. The runs list
 * fetches none of it: the script acts only on a run's URL.
 */
import type { OutputBundle, OutputChunk } from "rollup";
import type { Plugin } from "vite";
import { TOKEN_KEY } from "./src/api/api-client.js";
import { PAGE } from "./src/run/log-pages.js";

/** The lazily imported modules a run's deep link needs at once. */
const RUN_VIEW_MODULES = /\/run\/(run-view|run-graph)\.tsx$/;

/** The files (JS, then CSS) of the run view's chunks and what they import, less the entry chunk. */
function runViewFiles(bundle: OutputBundle): { js: string[]; css: string[] } {
  const chunks = Object.values(bundle).filter((item): item is OutputChunk => item.type === "chunk");
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const js = new Set<string>();
  const css = new Set<string>();
  const add = (chunk: OutputChunk): void => {
    if (chunk.isEntry || js.has(chunk.fileName)) return;
    js.add(chunk.fileName);
    for (const file of chunk.viteMetadata?.importedCss ?? []) css.add(file);
    for (const name of chunk.imports) {
      const imported = byName.get(name);
      if (imported !== undefined) add(imported);
    }
  };
  for (const chunk of chunks) if (chunk.isDynamicEntry && RUN_VIEW_MODULES.test(chunk.facadeModuleId ?? "")) add(chunk);
  return { js: [...js], css: [...css] };
}

/**
 * Adds the deep-link preload script to the built index.html.
 *
 * @example
 * export default defineConfig({ plugins: [react(), deepLinkPreload()] });
 */
export function deepLinkPreload(): Plugin {
  return {
    name: "runtrail-deep-link-preload",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, context) {
        if (context.bundle === undefined) return [];
        const { js, css } = runViewFiles(context.bundle);
        if (js.length === 0) throw new Error("deep-link-preload: no chunk of run-view.tsx or run-graph.tsx in the bundle (renamed?)");
        const links = [...js.map((file) => ["modulepreload", `/${file}`]), ...css.map((file) => ["preload", `/${file}`])];
        // Plain ES2017 in a classic script; an id that does not decode is left to the app to report.
        const script = `(() => {
  const deep = /^\\/runs\\/([^/]+)\\/?$/.exec(location.pathname);
  if (deep === null) return;
  for (const [rel, href] of ${JSON.stringify(links)}) {
    const link = document.createElement("link");
    link.rel = rel; link.href = href; link.crossOrigin = "";
    if (rel === "preload") link.as = "style";
    document.head.appendChild(link);
  }
  let runId;
  try { runId = decodeURIComponent(deep[1]); } catch { return; }
  const token = localStorage.getItem(${JSON.stringify(TOKEN_KEY)});
  window.__runtrailEarly = { runId, response: fetch("/api/runs/" + deep[1] + "/overview?tail=${PAGE}", { headers: token === null ? {} : { authorization: "Bearer " + token } }) };
})();`;
        return [{ tag: "script", children: script, injectTo: "head-prepend" }];
      },
    },
  };
}
