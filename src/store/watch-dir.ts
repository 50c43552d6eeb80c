/**
 * Watching a directory that may not exist yet (an agent's attempt directory, `.bosun/asks/`
 * before the first ask): its nearest existing ancestor is watched until it appears, so a
 * follower never has to poll for it.
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { StateError, isNodeError } from "../errors.js";
import { describeFsError } from "./fs-errors.js";

/** A watch on a directory, present or not. */
export interface DirectoryWatch {
  /** True once the directory itself is watched (it exists). */
  readonly isPresent: boolean;
  /** Stops watching. */
  close(): void;
}

/** What the watch reports. */
export interface DirectoryWatchListener {
  /**
   * An entry of the directory changed (`name`), or the directory itself appeared (`undefined`:
   * whatever it holds is new to the caller).
   */
  onChange(name: string | undefined): void;
  /** The watch failed; it is closed. */
  onError(error: StateError): void;
}

/**
 * Watches `dir`; while it is missing, watches its nearest existing ancestor and moves down as
 * the directories on the way appear. A directory that cannot be watched (permissions, the
 * system's watch limit) is a StateError naming it.
 */
export function watchDirectory(dir: string, listener: DirectoryWatchListener): DirectoryWatch {
  let watcher: FSWatcher | undefined;
  let isPresent = false;
  let isClosed = false;
  const start = (): void => {
    watcher?.close();
    const at = findWatchable(dir);
    watcher = at.watcher;
    isPresent = at.dir === dir;
    if (!isPresent) {
      at.watcher.on("change", () => {
        if (isClosed) return;
        // Something appeared on the way down: watch from there (or the directory itself).
        start();
        if (isPresent) listener.onChange(undefined);
      });
    } else {
      at.watcher.on("change", (_eventType, name) => {
        if (!isClosed) listener.onChange(typeof name === "string" ? name : undefined);
      });
    }
    at.watcher.on("error", (error) => {
      watcher?.close();
      isClosed = true;
      listener.onError(
        new StateError(`Stopped watching ${dir}: ${describeFsError(error, at.dir)}.`, {
          cause: error,
        }),
      );
    });
  };
  start();
  return {
    get isPresent() {
      return isPresent;
    },
    close() {
      isClosed = true;
      watcher?.close();
    },
  };
}

/** Watches `dir` or its nearest existing ancestor. */
function findWatchable(dir: string): { dir: string; watcher: FSWatcher } {
  for (let at = dir; ; at = path.dirname(at)) {
    let watcher: FSWatcher;
    try {
      watcher = watch(at);
    } catch (error) {
      if (isNodeError(error) && error.code === "ENOENT" && path.dirname(at) !== at) continue;
      const reason =
        isNodeError(error) && error.code === "ENOSPC"
          ? "the system's limit of file watches (fs.inotify.max_user_watches) is reached"
          : describeFsError(error, at);
      throw new StateError(
        `Cannot watch ${dir}: ${reason}. Free or raise that limit, or check that the folder is readable.`,
        { cause: error },
      );
    }
    if (at === dir) return { dir: at, watcher };
    // The next directory down may have appeared between its failed watch and this one.
    const next = path.join(at, path.relative(at, dir).split(path.sep)[0] ?? "");
    if (existsSync(next)) {
      watcher.close();
      return findWatchable(dir);
    }
    return { dir: at, watcher };
  }
}
