/**
 * A run's stop channel: while a process drives a run, it watches that run's stop request (written
 * by `bosun stop`, the monitor or the dashboard: `stop-run.ts`) and, on one, aborts that run's
 * signal alone. The run pauses as on Ctrl-C; the process, which may drive other runs (a
 * dashboard, a monitor), carries on.
 */
import path from "node:path";
import { CancelledError, StateError, getErrorMessage } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import type { StopRequester } from "../store/schema/stop-request.js";
import {
  isStaleStopRequest,
  readLockTakenAtMs,
  readStopRequest,
  removeStopRequest,
} from "../store/stop-request.js";
import { watchDirectory, type DirectoryWatch } from "../store/watch-dir.js";
import type { BosunEventListener } from "./events.js";

/** Why a run paused when its process was stopped as a whole (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT). */
export const SIGNAL_PAUSE_REASON = "stopped by Ctrl-C or a signal";

/** How every pause reason of a requested stop begins (`isStopRequestedReason` checks it). */
const STOP_REQUESTED_PREFIX = "stop requested";

/** A requested stop's pause reason, naming the surface it came from when known. */
export function getStopRequestedReason(by: StopRequester | undefined): string {
  switch (by) {
    case "cli":
      return `${STOP_REQUESTED_PREFIX} with bosun stop`;
    case "dashboard":
      return `${STOP_REQUESTED_PREFIX} from the dashboard`;
    case "monitor":
      return `${STOP_REQUESTED_PREFIX} from the monitor`;
    case undefined:
      return STOP_REQUESTED_PREFIX;
  }
}

/** True for a pause reason `getStopRequestedReason` made (the CLI exits 130 on it, as on Ctrl-C). */
export function isStopRequestedReason(reason: string | undefined): boolean {
  return reason?.startsWith(STOP_REQUESTED_PREFIX) === true;
}

/**
 * The reason a run's signal is aborted with when a stop was requested for that run alone. A
 * CancelledError, so whatever rethrows an abort's reason still stops the run as a stop does.
 */
export class StopRequestedError extends CancelledError {
  /** The surface the stop came from, when known. */
  readonly by: StopRequester | undefined;

  constructor(by?: StopRequester) {
    super(getStopRequestedReason(by));
    this.by = by;
  }
}

/** The pause reason a run stopped by `signal` records: a requested stop's, or a signal's. */
export function getPauseReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof StopRequestedError ? reason.message : SIGNAL_PAUSE_REASON;
}

/** A run's stop channel, open while this process drives the run. */
export interface StopChannel {
  /** The run's own signal: aborted by the caller's signal, or by a stop request for the run. */
  readonly signal: AbortSignal;
  /** Stops watching and removes the run's request: call once the run has paused or ended. */
  close(): Promise<void>;
}

/** What a stop channel is linked to and where it reports. */
export interface StopChannelOptions {
  /** The caller's signal (the process's Ctrl-C, a dashboard's per-run controller). */
  signal?: AbortSignal;
  /** A problem that does not stop the run (the watch failed: a stop then falls back to a signal). */
  onWarning(message: string): void;
}

/**
 * Opens the run's stop channel; the caller holds the run's lock. A request already there counts
 * when it was written for this holding of the lock (it came between the lock and now); one left
 * from before (a stop that came as an earlier run of it ended, an earlier process's) is removed,
 * so a resume does not stop at once. The run directory is watched (no polling).
 */
export async function openStopChannel(
  paths: BosunPaths,
  runId: string,
  options: StopChannelOptions,
): Promise<StopChannel> {
  const controller = new AbortController();
  const parent = options.signal;
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted === true) onParentAbort();
  else parent?.addEventListener("abort", onParentAbort, { once: true });

  const holding = {
    pid: process.pid,
    takenAtMs: (await readLockTakenAtMs(paths, runId)) ?? Date.now(),
  };
  const look = async (): Promise<void> => {
    if (controller.signal.aborted) return;
    let request;
    try {
      request = await readStopRequest(paths, runId);
    } catch (error) {
      if (!(error instanceof StateError)) throw error;
      // Not bosun's (it writes requests atomically): never a stop, and never read again.
      options.onWarning(`${error.message} It was not taken as a stop request and is removed.`);
      await removeStopRequest(paths, runId);
      return;
    }
    if (request === null) return;
    if (isStaleStopRequest(request, holding)) await removeStopRequest(paths, runId);
    else controller.abort(new StopRequestedError(request.by));
  };
  // One look at a time, in order: a look that finds the request stale must not remove one
  // written after it that a later look would have honoured.
  let looking = Promise.resolve();
  const queueLook = (): void => {
    looking = looking
      .then(look)
      .catch((error: unknown) =>
        options.onWarning(`Could not read ${runId}'s stop request: ${getErrorMessage(error)}`),
      );
  };

  const fileName = path.basename(paths.stopRequestFile(runId));
  let watch: DirectoryWatch | undefined;
  try {
    watch = watchDirectory(paths.runDir(runId), {
      onChange: (name) => {
        if (name === undefined || name === fileName) queueLook();
      },
      onError: (error) =>
        options.onWarning(
          `${error.message} Until then, bosun stop ${runId} falls back to signalling this process.`,
        ),
    });
  } catch (error) {
    if (!(error instanceof StateError)) throw error;
    options.onWarning(
      `${error.message} Until then, bosun stop ${runId} falls back to signalling this process.`,
    );
  }
  // Watched first, then looked: a request written in between is seen by one or the other.
  queueLook();
  await looking;

  return {
    signal: controller.signal,
    close: async () => {
      watch?.close();
      parent?.removeEventListener("abort", onParentAbort);
      await looking;
      // Answered by the pause (or by the end) that came first; the lock is released next, which
      // is what the stopper waits for. A request that comes after this is stale for the next holding.
      try {
        await removeStopRequest(paths, runId);
      } catch (error) {
        // Left behind, it is stale for the next holding of the lock, which removes it.
        options.onWarning(getErrorMessage(error));
      }
    },
  };
}

/**
 * Drives a run with its stop channel open: `drive` gets the run's own signal. Every flow's drive
 * goes through here (a review's, a team run's, a pipeline's and each of its follow-ups'), once
 * the run's lock is taken, so every surface that starts or resumes a run (the CLI verbs, the
 * dashboard, the monitor) can be stopped one run at a time.
 */
export async function driveWithStopChannel<T>(
  paths: BosunPaths,
  runId: string,
  options: { signal?: AbortSignal; onEvent: BosunEventListener },
  drive: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const channel = await openStopChannel(paths, runId, {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onWarning: (message) => options.onEvent({ type: "warning", runId, message }),
  });
  try {
    return await drive(channel.signal);
  } finally {
    await channel.close();
  }
}
