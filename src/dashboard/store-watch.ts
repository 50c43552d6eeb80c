/**
 * Tells the page when the runs list, the asks or the pulse may have changed: a run made,
 * removed, or its run.json rewritten (by any process), an ask opened or answered, a pulse file
 * the page shows written (journal, readings, decisions, goals, workers, the daemon's files).
 * Event-driven (`watchDirectory` on `.bosun/runs/`, each run's folder, `.bosun/asks/`,
 * `.bosun/asks/answers/` and the pulse's folders), one watcher set for all pages.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { isRunId, type BosunPaths } from "../store/paths.js";
import { watchPulseFiles } from "../store/pulse-watch.js";
import { watchDirectory, type DirectoryWatch } from "../store/watch-dir.js";

/** What changed: the runs list, the asks or the pulse's status. */
export type StoreChangeKind = "runs" | "asks" | "pulse";

/** One change, as `/api/stream` sends it. */
export interface StoreChange {
  /** Which list to read again. */
  change: StoreChangeKind;
  /** For "runs": the run whose run.json was written, when one run is the cause. */
  runId?: string;
}

/** Changes closer together than this are told once (per list and run). */
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
  // By list and run: a run.json rewritten twice in a burst is told once, two runs twice.
  const pending = new Map<string, StoreChange>();
  let timer: NodeJS.Timeout | undefined;
  const tell = (change: StoreChange): void => {
    pending.set(`${change.change}:${change.runId ?? ""}`, change);
    timer ??= setTimeout(() => {
      timer = undefined;
      const changes = [...pending.values()];
      pending.clear();
      for (const what of changes) for (const listener of [...listeners]) listener(what);
    }, COALESCE_MS);
  };
  const folderWatches: DirectoryWatch[] = [];
  // One per run folder: a run started or resumed elsewhere rewrites its run.json as its status
  // changes, which the runs folder's own watch does not see (inotify is not recursive).
  const runWatches = new Map<string, DirectoryWatch>();
  let isClosed = false;

  /** Watches `dir` (or the folder above it until it appears); undefined if it cannot be. */
  const watchFolder = (
    dir: string,
    onChange: (name: string | undefined) => void,
  ): DirectoryWatch | undefined => {
    try {
      // A watch that fails later only loses the page this live hint (the run streams are
      // watched on their own).
      return watchDirectory(dir, { onChange, onError: () => undefined });
    } catch {
      // Cannot be watched: as above, the page works without this hint.
      return undefined;
    }
  };

  /** Watches a run's folder for its run.json being written; `isNew` tells one already there. */
  const watchRun = (runId: string, isNew: boolean): void => {
    if (isClosed || !isRunId(runId) || runWatches.has(runId)) return;
    const runDir = paths.runDir(runId);
    const runFileName = path.basename(paths.runFile(runId));
    const watch = watchFolder(runDir, (name) => {
      // events.jsonl, board.json, the lock…: the list shows only what run.json holds.
      if (name !== undefined && name !== runFileName) return;
      if (!existsSync(runDir)) unwatchRun(runId);
      else tell({ change: "runs", runId });
    });
    if (watch === undefined) return;
    // Removed again already: the runs folder's watch tells that.
    if (!watch.isPresent) {
      watch.close();
      return;
    }
    runWatches.set(runId, watch);
    // A run.json written before this watch started has no change of its own.
    if (isNew && existsSync(paths.runFile(runId))) tell({ change: "runs", runId });
  };
  const unwatchRun = (runId: string): void => {
    runWatches.get(runId)?.close();
    runWatches.delete(runId);
  };
  /** Watches every run folder there is and drops those gone (the runs folder changed as a whole). */
  const syncRunWatches = (isNew: boolean): void => {
    const names = new Set(readdirOrEmpty(paths.runsDir));
    for (const runId of [...runWatches.keys()]) if (!names.has(runId)) unwatchRun(runId);
    for (const name of names) watchRun(name, isNew);
  };

  const runsWatch = watchFolder(paths.runsDir, (name) => {
    tell({ change: "runs" });
    // The folder appeared (runs made with it have no change of their own) or was replaced.
    if (name === undefined) syncRunWatches(true);
    else if (existsSync(paths.runDir(name))) watchRun(name, true);
    else unwatchRun(name);
  });
  if (runsWatch !== undefined) {
    folderWatches.push(runsWatch);
    if (runsWatch.isPresent) syncRunWatches(false);
  }
  for (const dir of [paths.asksDir, paths.answersDir]) {
    const watch = watchFolder(dir, () => tell({ change: "asks" }));
    if (watch !== undefined) folderWatches.push(watch);
  }
  const pulseWatch = watchPulseFiles(paths, () => tell({ change: "pulse" }));

  return {
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => {
      isClosed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const watch of folderWatches) watch.close();
      pulseWatch.close();
      for (const runId of [...runWatches.keys()]) unwatchRun(runId);
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
