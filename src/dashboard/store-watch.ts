/**
 * Tells the page when the runs list or the asks may have changed: a new run directory, an ask
 * opened or answered. Event-driven (fs.watch on `.bosun/runs/` and `.bosun/asks/`, and on the
 * folder above either while it does not exist yet), one watcher set for all pages.
 */
import { existsSync, readdirSync, watch, type FSWatcher } from "node:fs";
import { isRunId, type BosunPaths } from "../store/paths.js";
import { watchDirectory, type DirectoryWatch } from "../store/watch-dir.js";

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
  const watchers: { close(): void }[] = [];
  let isClosed = false;

  /** Watches `dir`, or the nearest existing folder above it until `dir` appears. */
  const watchDir = (dir: string, change: StoreChange): void => {
    let watcher: DirectoryWatch;
    try {
      watcher = watchDirectory(dir, {
        onChange: (name) => {
          tell(change);
          // The folder appeared: runs made with it have no change of their own.
          if (change === "runs")
            for (const run of name === undefined ? readdirOrEmpty(dir) : [name]) watchNewRun(run);
        },
        // Closed: the page still works, only without this live hint (the run streams are
        // watched on their own).
        onError: () => undefined,
      });
    } catch {
      // Cannot be watched: as above, the page works without this hint.
      return;
    }
    watchers.push(watcher);
    // Runs made while the folder itself was being made: no event will name them.
    if (watcher.isPresent && change === "runs")
      for (const name of readdirOrEmpty(dir)) watchNewRun(name);
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

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    // Removed again: no runs in it to watch.
    return [];
  }
}
