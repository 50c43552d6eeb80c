/**
 * `bosun monitor --pulse`'s live status: the pulse's files and the asks are watched
 * (`watchPulseFiles`, event-driven, also before `.bosun/pulse/` exists) and the status every
 * surface shares is read again on each change, one read at a time, plus now and then for what
 * changes without a file (a daemon killed with -9, a worker gone silent). Approving or rejecting
 * a held move goes through `settleHeldActions` under the beat lock, as `bosun pulse approve`
 * does.
 */
import { getErrorMessage } from "../errors.js";
import { withBeatLock } from "../flows/pulse/beat-lock.js";
import type { PulseEnv } from "../flows/pulse/pulse-env.js";
import { readPulseStatus, type PulseStatus } from "../flows/pulse/pulse-status.js";
import { settleHeldActions } from "../flows/pulse/settle.js";
import { watchPulseFiles } from "../store/pulse-watch.js";
import { watchDirectory, type DirectoryWatch } from "../store/watch-dir.js";

/** How often the status is read again with no file changed. */
export const PULSE_REFRESH_MS = 10_000;

/** Journal lines the screen keeps. */
const JOURNAL_LINES = 20;

/** The channel a settle from the monitor is recorded with. */
export const MONITOR_SOURCE = "monitor";

/** What the pulse's screen needs. */
export interface PulseSourceOptions {
  /**
   * The pulse's world (its paths and config for the status; all of it for an approved move).
   * Its `log` is not used: the screen owns the terminal.
   */
  env: PulseEnv;
  /** Aborts the screen (main()'s stop signal). */
  signal: AbortSignal;
}

/** The screen's state. Mutable: the source updates it, the screen reads it. */
export interface PulseModel {
  /** The last status read; undefined before the first read. */
  status: PulseStatus | undefined;
  /** The last action's outcome or a problem, for the status line. */
  message: string | undefined;
  /** Bumped on every change. */
  version: number;
}

/** What the pulse's screen needs from whoever keeps the status live and acts on it. */
export interface PulseController {
  /** The model, updated in place. */
  readonly model: PulseModel;
  /** Calls `onChange` after the model changed; returns the unsubscribe. */
  readonly subscribe: (onChange: () => void) => () => void;
  /** Approves or rejects held moves (`only`: 1-based; absent: every held move) and runs the approved. */
  settle(decisionId: string, isReject: boolean, only?: number[]): Promise<void>;
  /** Stops watching. */
  close(): void;
}

/** Starts keeping the pulse's status live; `close()` stops. */
export function startPulseSource(options: PulseSourceOptions): PulseController {
  const { env } = options;
  const model: PulseModel = { status: undefined, message: undefined, version: 0 };
  const listeners = new Set<() => void>();
  const changed = (): void => {
    model.version += 1;
    for (const listener of listeners) listener();
  };
  const report = (message: string): void => {
    model.message = message;
    changed();
  };
  let isReading = false;
  let isReadDue = false;
  const refresh = async (): Promise<void> => {
    if (isReading) {
      isReadDue = true;
      return;
    }
    isReading = true;
    try {
      do {
        isReadDue = false;
        model.status = await readPulseStatus(env, { journalLines: JOURNAL_LINES });
        changed();
      } while (isReadDue && !options.signal.aborted);
    } catch (error) {
      report(getErrorMessage(error));
    } finally {
      isReading = false;
    }
  };
  const pulseWatch = watchPulseFiles(env.paths, () => void refresh());
  const askWatches: DirectoryWatch[] = [];
  for (const dir of [env.paths.asksDir, env.paths.answersDir]) {
    try {
      askWatches.push(
        watchDirectory(dir, { onChange: () => void refresh(), onError: (e) => report(e.message) }),
      );
    } catch (error) {
      // The asks on screen go stale; the clock below still reads them now and then.
      report(getErrorMessage(error));
    }
  }
  const timer = setInterval(() => void refresh(), PULSE_REFRESH_MS);
  // After the watches start, so a change in between is seen by one or the other.
  void refresh();
  const close = (): void => {
    clearInterval(timer);
    pulseWatch.close();
    for (const watch of askWatches) watch.close();
  };
  options.signal.addEventListener("abort", close, { once: true });
  return {
    model,
    subscribe: (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    settle: async (decisionId, isReject, only) => {
      // The moves' progress lines go to the status line, never to the terminal ink draws on.
      const quiet: PulseEnv = { ...env, log: (line) => report(line) };
      const record = await withBeatLock(quiet, () =>
        settleHeldActions(quiet, {
          decisionId,
          isReject,
          ...(only === undefined ? {} : { only }),
          by: MONITOR_SOURCE,
        }),
      );
      const settled = record.actions.filter((item) =>
        only === undefined ? item.decidedBy === MONITOR_SOURCE : only.includes(item.index),
      );
      report(
        `${decisionId}: ${settled.map((item) => `#${item.index} ${item.status}${item.error === undefined ? "" : ` (${item.error})`}`).join(", ")}`,
      );
      await refresh();
    },
    close,
  };
}
