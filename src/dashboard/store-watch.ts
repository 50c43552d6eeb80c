/**
 * Tells the page when the runs list or the asks may have changed: a new run directory, an ask
 * opened or answered. Event-driven (fs.watch on `.bosun/runs/` and `.bosun/asks/`, and on the
 * folder above either while it does not exist yet), one watcher set for all pages.
 */
import { existsSync, readdirSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { isRunId, type BosunPaths } from "../store/paths.js";

/** What changed. */
export type StoreChange = "runs" | "asks";

/** Changes closer together than this are told once. */
const COALESCE_MS = 50;

/** A running watch; `close` ends it. */
export interface StoreWatch {
  /** Subscribes to changes; returns the unsubscribe. */
  subscribe(listener: (change: StoreChange) => void): () => void;
  /** Closes every watcher. */
  close(): void;
}

/** Starts watching the runs and asks folders of `paths`. */
export function startStoreWatch(paths: BosunPaths): StoreWatch {
  const listeners = new Set<(change: StoreChange) => void>();
  const pending = new Set<StoreChange>();
  let timer: NodeJS.Timeout | undefined;
  const tell = (change: StoreChange): void => {
    pending.add(change);
    timer ??= setTimeout(() => {
      timer = undefined;
      for (const what of [...pending]) for (const listener of [...listeners]) listener(what);
      pending.clear();
    }, COALESCE_MS);
  };
  const watchers: FSWatcher[] = [];
  let isClosed = false;

  /** Watches `dir`, or the nearest existing folder above it until `dir` appears. */
  const watchDir = (dir: string, change: StoreChange): void => {
    if (isClosed) return;
    const target = findNearestExisting(dir);
    let watcher: FSWatcher;
    try {
      watcher = watch(target);
    } catch {
      // A folder that vanished between the check and the watch: the page still works, only
      // without this live hint (the run streams are watched on their own).
      return;
    }
    watchers.push(watcher);
    // Runs made while the folder itself was being made: no event will name them.
    if (target === dir && change === "runs")
      for (const name of readdirOrEmpty(dir)) watchNewRun(name);
    watcher.on("error", () => watcher.close());
    watcher.on("change", (_type, filename) => {
      if (target === dir) {
        tell(change);
        if (change === "runs" && typeof filename === "string") watchNewRun(filename);
        return;
      }
      if (findNearestExisting(dir) === target) return;
      // The folder (or one on the way to it) appeared: watch closer, and tell the page.
      watcher.close();
      tell(change);
      watchDir(dir, change);
    });
  };
  /**
   * A run directory is made before its run.json (the list shows runs by it): watch a new one
   * until that file is there, then tell the page again.
   */
  const watchNewRun = (name: string): void => {
    if (isClosed || !isRunId(name)) return;
    const runFile = paths.runFile(name);
    if (existsSync(runFile) || !existsSync(paths.runDir(name))) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(paths.runDir(name));
    } catch {
      // Gone again already: nothing to show.
      return;
    }
    watchers.push(watcher);
    const check = (): void => {
      if (!existsSync(runFile)) return;
      watcher.close();
      tell("runs");
    };
    watcher.on("change", check);
    watcher.on("error", () => watcher.close());
    check();
  };
  watchDir(paths.runsDir, "runs");
  watchDir(paths.asksDir, "asks");

  return {
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => {
      isClosed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}

function findNearestExisting(dir: string): string {
  let found = dir;
  while (!existsSync(found) && path.dirname(found) !== found) found = path.dirname(found);
  return found;
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    // Removed again: no runs in it to watch.
    return [];
  }
}
