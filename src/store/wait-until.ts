/**
 * Waiting for something on disk to become true — a daemon's lock taken or released, a run naming
 * itself in its log, an ask or a held decision appearing — event-driven: the folders are
 * watched and the check runs again only when one of them changes. A process killed with -9
 * changes no file, so where that matters a cheap probe runs on a timer as well.
 */
import { CancelledError } from "../errors.js";
import { watchDirectory, type DirectoryWatch } from "./watch-dir.js";

/** What to wait for. */
export interface WaitUntilOptions<T> {
  /** Folders whose changes may make `check` true (missing ones are watched as they appear). */
  dirs: readonly string[];
  /** The awaited value, or undefined to go on waiting. Runs at once, then after each change. */
  check: () => Promise<T | undefined>;
  /** Also looks this often, for what sends no file event (a holder killed with -9). */
  probeMs?: number;
  /** What the timer looks at (default: `check`); true runs `check`. */
  probe?: () => Promise<boolean>;
  /** Gives up after this long. */
  timeoutMs?: number;
  /** Aborting stops the wait with a CancelledError. */
  signal?: AbortSignal;
}

/** How a wait ended. */
export type WaitUntilResult<T> = { kind: "found"; value: T } | { kind: "timeout" };

/** Waits until `check` gives a value, or the timeout passes. */
export function waitUntil<T>(options: WaitUntilOptions<T>): Promise<WaitUntilResult<T>> {
  const { signal } = options;
  if (signal?.aborted === true) return Promise.reject(new CancelledError("Stopped waiting."));
  return new Promise((resolve, reject) => {
    let isDone = false;
    let isChecking = false;
    // A change seen while a check runs: that check may have read the old state.
    let isCheckDue = false;
    const watches: DirectoryWatch[] = [];
    const finish = (outcome: () => void): void => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      clearInterval(probeTimer);
      for (const watch of watches) watch.close();
      signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const fail = (error: unknown): void =>
      finish(() => reject(error instanceof Error ? error : new Error(String(error))));
    const check = (): void => {
      if (isDone) return;
      if (isChecking) {
        isCheckDue = true;
        return;
      }
      isChecking = true;
      isCheckDue = false;
      options.check().then((value) => {
        isChecking = false;
        if (value !== undefined) finish(() => resolve({ kind: "found", value }));
        else if (isCheckDue) check();
      }, fail);
    };
    const onAbort = (): void => fail(new CancelledError("Stopped waiting."));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => finish(() => resolve({ kind: "timeout" })), options.timeoutMs);
    const probe = options.probe;
    const probeTimer =
      options.probeMs === undefined
        ? undefined
        : setInterval(() => {
            if (probe === undefined) check();
            else
              probe().then((isWorthChecking) => {
                if (isWorthChecking) check();
              }, fail);
          }, options.probeMs);
    try {
      for (const dir of options.dirs)
        watches.push(watchDirectory(dir, { onChange: check, onError: fail }));
    } catch (error) {
      fail(error);
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    check();
  });
}
