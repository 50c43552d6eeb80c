/**
 * bosun's one folder watcher: a folder's entries, told as they change, whether the folder exists
 * yet or not (`.bosun/asks/answers/` before the first answer, an attempt's folder before its agent
 * starts). Used by `bosun _ wait`, the TUI, the monitor's log tail and the dashboard.
 */
import { statSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { StateError, isNodeError } from "../errors.js";
import { describeFsError, describeWatchError, isWatchLimitError } from "./fs-errors.js";

/** A watch on a folder, present or not. */
export interface DirectoryWatch {
  /** True while the folder itself is watched (it exists). */
  readonly isPresent: boolean;
  /** Stops watching; nothing is told after it, not even a change already seen. */
  close(): void;
}

/** What the watch tells, and until when. */
export interface DirectoryWatchOptions {
  /**
   * An entry of the folder changed (`name`: made, written, removed, or renamed in or out, as an
   * atomic write's `<file>.tmp` renamed over `<file>` is), or the folder as a whole did
   * (`undefined`: it appeared, or was removed or replaced; read it again, entries made with it
   * have no change of their own).
   */
  onChange(name: string | undefined): void;
  /** The watch failed after it started; it is closed. */
  onError(error: StateError): void;
  /** Closes the watch when aborted (already aborted: nothing is watched). */
  signal?: AbortSignal;
}

/** The nearest existing path on the way to the folder: where it is and which one it is. */
interface Located {
  dir: string;
  /** Its inode: a folder removed and made again at the same path is another one. */
  ino: number;
  /** False for a file where a folder should be. */
  isDirectory: boolean;
}

/**
 * Watches `dir`'s entries with fs.watch (inotify on Linux: no timer, no polling). While `dir` is
 * missing, its nearest existing ancestor is watched, and the watch moves down as the folders on
 * the way appear; a `dir` removed or replaced later is found again the same way.
 *
 * Changes are coalesced: everything seen in one turn of the event loop (a burst such as an atomic
 * write's create, write and rename arrives in one read of inotify's queue) is told once per
 * name, after that turn; a whole-folder change (`undefined`) stands for every name.
 *
 * A folder that cannot be watched now (permissions, the system's watch limit) is a StateError
 * thrown here, naming it; a failure later goes to `onError`.
 *
 * Events never come from a network file system's other clients (NFS, SMB): fs.watch sees only
 * this machine's writes. `.bosun/` lives in the working tree, where bosun and the agents it runs
 * write, so no polling fallback is kept for that case.
 */
export function watchDirectory(dir: string, options: DirectoryWatchOptions): DirectoryWatch {
  const { signal } = options;
  let watcher: FSWatcher | undefined;
  let armed: Located | undefined;
  let isClosed = false;
  // Names seen since the last delivery; `undefined` in it means the whole folder.
  const pending = new Set<string | undefined>();
  // Whether the folder watched may no longer be the right one (an entry came or went).
  let isRecheckDue = false;
  let delivery: NodeJS.Immediate | undefined;

  const close = (): void => {
    if (isClosed) return;
    isClosed = true;
    watcher?.close();
    watcher = undefined;
    if (delivery !== undefined) clearImmediate(delivery);
    pending.clear();
    signal?.removeEventListener("abort", close);
  };
  const fail = (error: StateError): void => {
    close();
    options.onError(error);
  };

  /** Watches `dir`, or its nearest existing ancestor; throws a StateError when neither can be. */
  const arm = (): void => {
    watcher?.close();
    const started = startWatcher(dir);
    watcher = started.watcher;
    armed = started.at;
    const isTarget = armed.dir === dir;
    const at = armed.dir;
    watcher.on("change", (eventType, name) => {
      if (isClosed) return;
      // "rename" is an entry made, removed or renamed, or the folder itself removed or moved
      // (then `name` is the folder's own): where the watch belongs is checked before telling.
      if (eventType === "rename") isRecheckDue = true;
      if (isTarget) pending.add(typeof name === "string" ? name : undefined);
      delivery ??= setImmediate(deliver);
    });
    watcher.on("error", (error) => {
      if (!isClosed)
        fail(
          new StateError(
            `Stopped watching ${dir}: ${describeFsError(error, at)}. Run the command again.`,
            { cause: error },
          ),
        );
    });
  };

  const deliver = (): void => {
    delivery = undefined;
    if (isClosed) return;
    if (isRecheckDue) {
      isRecheckDue = false;
      const wasPresent = armed?.dir === dir;
      const now = locate(dir);
      if (now.dir !== armed?.dir || now.ino !== armed.ino) {
        try {
          arm();
        } catch (error) {
          if (!(error instanceof StateError)) throw error;
          fail(error);
          return;
        }
        // It appeared, went, or is another folder now: the names seen so far say too little.
        if (wasPresent || armed?.dir === dir) pending.add(undefined);
      }
    }
    const names = pending.has(undefined) ? [undefined] : [...pending];
    pending.clear();
    for (const name of names) {
      if (isClosed) return;
      options.onChange(name);
    }
  };

  if (signal?.aborted === true) {
    isClosed = true;
  } else {
    arm();
    signal?.addEventListener("abort", close, { once: true });
  }
  return {
    get isPresent() {
      return !isClosed && armed?.dir === dir;
    },
    close,
  };
}

/**
 * Watches `dir` or its nearest existing ancestor. The folders on the way may appear or vanish
 * between finding one and watching it: the look is repeated until it holds after the watch
 * started, so no step down is missed.
 */
function startWatcher(dir: string): { at: Located; watcher: FSWatcher } {
  for (;;) {
    const at = locate(dir);
    // Watching a file would tell its writes as the folder's entries.
    if (!at.isDirectory)
      throw new StateError(
        `Cannot watch ${dir}: ${at.dir} is not a directory. Move it aside, then run the command again.`,
      );
    let watcher: FSWatcher;
    try {
      watcher = watch(at.dir);
    } catch (error) {
      // Removed since it was found: look again from there.
      if (isNodeError(error) && error.code === "ENOENT") continue;
      throw createWatchError(dir, at.dir, error);
    }
    const after = locate(dir);
    if (after.dir === at.dir && after.ino === at.ino) return { at, watcher };
    watcher.close();
  }
}

/** `dir`, or its nearest ancestor that exists. */
function locate(dir: string): Located {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      const stats = statSync(at, { throwIfNoEntry: false });
      if (stats !== undefined) return { dir: at, ino: stats.ino, isDirectory: stats.isDirectory() };
    } catch (error) {
      // Anything but a file on the way (ENOTDIR: look further up) is this path's own problem
      // (EACCES), which watching it names.
      if (!isNodeError(error) || error.code !== "ENOTDIR")
        return { dir: at, ino: -1, isDirectory: true };
    }
    // The root always exists; this only ends the loop on a path that is somehow not under it.
    if (path.dirname(at) === at) return { dir: at, ino: -1, isDirectory: true };
  }
}

function createWatchError(dir: string, at: string, error: unknown): StateError {
  const isLimit = isWatchLimitError(error);
  const reason = describeWatchError(error, at);
  const hint = isLimit
    ? "Free or raise that limit, then run the command again."
    : "Check that the folder is readable, then run the command again.";
  return new StateError(
    `Cannot watch ${dir}${at === dir ? "" : ` (through ${at}, until it exists)`}: ${reason}. ${hint}`,
    { cause: error },
  );
}
