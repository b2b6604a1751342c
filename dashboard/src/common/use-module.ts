/**
 * A module loaded on demand, without Suspense: React 19 holds a Suspense boundary's content back
 * for up to 300 ms after its fallback showed (a throttle meant for streaming pages), which
 * delayed opening a run by that much twice (the view, then the graph). Here the component that
 * needs the module renders its own placeholder until the module is in, then at once.
 */
import { useEffect, useState } from "react";

const loaded = new Map<() => Promise<unknown>, unknown>();

/** Calls `load` once (a stable, module-level function); the module once it has loaded, else undefined. */
export function useModule<T>(load: () => Promise<T>): T | undefined {
  const [module, setModule] = useState<T | undefined>(() => loaded.get(load) as T | undefined);
  useEffect(() => {
    if (module !== undefined) return undefined;
    let live = true;
    void load().then((m) => {
      loaded.set(load, m);
      if (live) setModule(() => m);
    });
    return () => {
      live = false;
    };
  }, [load, module]);
  return module;
}

/** A loader that imports once and hands every caller the same promise. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= load());
}
