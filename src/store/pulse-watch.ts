/**
 * Tells a surface when what the pulse's status shows may have changed: the journal, the
 * readings, the loop's memory, the daemon's files, the pause, goals, decisions and workers.
 * Event-driven (`watchDirectory`, also before `.bosun/pulse/` exists); the beat lock and atomic
 * writes' temp files are not news. Used by the dashboard's stream and `bosun monitor --pulse`.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import type { BosunPaths } from "./paths.js";
import { watchDirectory, type DirectoryWatch } from "./watch-dir.js";

/** Files directly in `.bosun/pulse/` that a status shows (the rest is the loop's or a human's). */
const SHOWN_FILES = new Set([
  "journal.md",
  "readings.json",
  "state.json",
  "daemon.json",
  "daemon.pid",
  "paused",
]);

/** A running watch; `close` ends it. */
export interface PulseWatch {
  /** Stops every watcher. */
  close(): void;
}

/**
 * Watches the pulse's files of `paths`, calling `onChange` (with what changed, for a log) per
 * burst of changes. A folder that cannot be watched only costs this hint: the caller's own
 * clock still refreshes.
 */
export function watchPulseFiles(paths: BosunPaths, onChange: (what: string) => void): PulseWatch {
  const { pulse } = paths;
  const watches = new Map<string, DirectoryWatch>();
  let isClosed = false;
  const watch = (dir: string, onName: (name: string | undefined) => void): void => {
    if (isClosed || watches.has(dir)) return;
    try {
      watches.set(
        dir,
        watchDirectory(dir, {
          onChange: onName,
          // A watch that fails later: forgotten, so a later sync may start it again.
          onError: () => watches.delete(dir),
        }),
      );
    } catch {
      // Cannot be watched (permissions, the watch limit): see the doc comment above.
    }
  };
  const isTemp = (name: string): boolean => name.endsWith(".tmp");
  /** One watch per worker folder: its worker.json says how it stands. */
  const syncWorkers = (): void => {
    let names: string[] = [];
    try {
      names = readdirSync(pulse.workersDir);
    } catch {
      // No workers yet: the workers folder's own watch tells when one comes.
    }
    for (const name of names)
      watch(path.join(pulse.workersDir, name), (file) => {
        if (file === undefined || file === "worker.json") onChange(`worker ${name}`);
      });
  };
  watch(pulse.dir, (name) => {
    if (name === undefined || SHOWN_FILES.has(name)) onChange(name ?? "pulse folder");
    if (name === undefined || name === "workers") syncWorkers();
  });
  for (const dir of [pulse.goalsDir, pulse.decisionsDir])
    watch(dir, (name) => {
      if (name === undefined || !isTemp(name)) onChange(`${path.basename(dir)}/${name ?? ""}`);
    });
  watch(pulse.workersDir, (name) => {
    syncWorkers();
    onChange(`workers/${name ?? ""}`);
  });
  syncWorkers();
  return {
    close: () => {
      isClosed = true;
      for (const handle of watches.values()) handle.close();
      watches.clear();
    },
  };
}
