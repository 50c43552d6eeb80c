/**
 * Watching a directory's entries that may not exist yet (`.bosun/asks/answers/` appears with the
 * first answer): the nearest existing ancestor is watched until the directory appears, then the
 * directory itself. Event-driven (fs.watch), never a timer.
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { StateError } from "../../errors.js";
import { describeFsError } from "../../store/fs-errors.js";

/** What a watch reports. */
export interface DirWatchHandlers {
  /**
   * An entry of the directory changed (`name`), or the directory itself just appeared (`name`
   * undefined: rescan it; entries written before the watch moved down are only seen that way).
   */
  onChange(name: string | undefined): void;
  /** The watch failed; it is closed. */
  onError(error: StateError): void;
}

/** Watches `dir`'s entries until `signal` aborts. */
export function watchDirEntries(
  dir: string,
  signal: AbortSignal,
  handlers: DirWatchHandlers,
): void {
  let watcher: FSWatcher | undefined;
  const close = (): void => {
    watcher?.close();
    watcher = undefined;
  };
  const arm = (): void => {
    close();
    if (signal.aborted) return;
    const target = findNearestExisting(dir);
    const isTarget = target === dir;
    try {
      watcher = watch(target);
    } catch (error) {
      // Gone between the check and the watch: look again.
      if (!existsSync(target)) return arm();
      handlers.onError(
        new StateError(
          `Cannot watch ${target}: ${describeFsError(error, target)}. Free or raise the system's file watch limit (fs.inotify.max_user_watches), then run the command again.`,
          { cause: error },
        ),
      );
      return;
    }
    watcher.on("error", (error) => {
      close();
      handlers.onError(
        new StateError(
          `Stopped watching ${target}: ${describeFsError(error, target)}. Run the command again.`,
          { cause: error },
        ),
      );
    });
    watcher.on("change", (_type, name) => {
      if (isTarget) {
        // The directory itself was removed (or moved): watch its parent until it is back.
        if (!existsSync(dir)) arm();
        else handlers.onChange(typeof name === "string" ? name : undefined);
        return;
      }
      // An ancestor changed: perhaps a step towards `dir` now exists.
      if (findNearestExisting(dir) !== target) {
        arm();
        if (existsSync(dir)) handlers.onChange(undefined);
      }
    });
    if (!isTarget && existsSync(dir)) {
      // It appeared between the lookup and the watch.
      arm();
      handlers.onChange(undefined);
    }
  };
  signal.addEventListener("abort", close, { once: true });
  arm();
}

/** `dir`, or its nearest ancestor that exists. */
function findNearestExisting(dir: string): string {
  for (let at = dir; ; at = path.dirname(at)) {
    if (existsSync(at) || path.dirname(at) === at) return at;
  }
}
