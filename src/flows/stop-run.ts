/**
 * Stopping a run another process is working on, as every surface does it (`bosun stop`, the
 * terminal monitor, the dashboard): a stop request for that run alone, which the process driving
 * it answers by pausing that run (`stop-channel.ts`), then an event-driven wait until it has let
 * go of the run. A holder that does not answer (an older bosun, a wedged process) gets SIGTERM.
 */
import { StateError, isNodeError } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-read.js";
import { readLiveLockHolder } from "../store/run-lock.js";
import { DEFAULT_CONFIG } from "../store/schema/config-defaults.js";
import type { Run } from "../store/schema/run.js";
import type { StopRequester } from "../store/schema/stop-request.js";
import { readStopRequest, removeStopRequest, writeStopRequest } from "../store/stop-request.js";
import { watchDirectory } from "../store/watch-dir.js";

/** How long to wait, once signalled, for the run's process to record its pause and let go. */
export const STOP_WAIT_MS = 60_000;

/**
 * What a holder gets on top of its agents' grace period to answer a stop request: stop its
 * agents (TERM, then KILL after the grace), let a team run's tasks settle, record the pause.
 */
export const STOP_REQUEST_MARGIN_MS = 10_000;

/** The agents' grace period a holder is assumed to have when the caller does not say (the default config's). */
export const DEFAULT_GRACE_SEC = DEFAULT_CONFIG.dispatch.graceSec;

/** How long a holder has to answer a stop request, for agents given `graceSec` to stop. */
export function getStopRequestWaitMs(graceSec: number): number {
  return graceSec * 1000 + STOP_REQUEST_MARGIN_MS;
}

/** How a stop ended. */
export type StopRunResult =
  /** No live process held the run: there was nothing to stop. */
  | { kind: "not_running" }
  /**
   * The process `pid` let go of the run; `run` is its snapshot afterwards. `isSignalled`: it did
   * not answer the request in time and was sent SIGTERM (which stops all it drives).
   */
  | { kind: "stopped"; pid: number; run: Run | null; isSignalled: boolean };

/** Who stops, and what a stop reports while it waits. */
export interface StopRunOptions {
  /** The surface the stop comes from, recorded in the run's pause reason. */
  by?: StopRequester;
  /** Called once the request is written, before the wait (the CLI says "Stopping…"). */
  onRequested?: (pid: number) => void;
  /** Called when the holder did not answer the request in time and was sent SIGTERM. */
  onSignalled?: (pid: number) => void;
  /**
   * How long the holder has to answer the request before it is signalled (default: the
   * configured default grace period plus STOP_REQUEST_MARGIN_MS; see getStopRequestWaitMs).
   */
  requestWaitMs?: number;
  /** After the signal, give up after this long (default STOP_WAIT_MS). */
  waitMs?: number;
}

/**
 * Asks the run's writer to stop that run and waits until it has let go of the run (the run
 * directory is watched: no polling). A writer that has not let go within `requestWaitMs` is sent
 * SIGTERM, as a stop always did; one that still holds the run `waitMs` later is a StateError
 * saying how to kill it. The run stays resumable either way.
 */
export async function stopRun(
  paths: BosunPaths,
  runId: string,
  options: StopRunOptions = {},
): Promise<StopRunResult> {
  const pid = await readLiveLockHolder(paths.lockFile(runId));
  if (pid === undefined) return { kind: "not_running" };
  const release = watchRelease(paths, runId, pid);
  try {
    const requestedAt = new Date().toISOString();
    await writeStopRequest(paths, runId, {
      version: 1,
      requestedAt,
      pid,
      ...(options.by === undefined ? {} : { by: options.by }),
    });
    options.onRequested?.(pid);
    const requestWaitMs = options.requestWaitMs ?? getStopRequestWaitMs(DEFAULT_GRACE_SEC);
    let isSignalled = false;
    if (!(await release.within(requestWaitMs))) {
      // Never this process: a run it holds without a channel is not one a signal should end.
      if (pid === process.pid)
        throw new StateError(
          `Run ${runId} is held by this very process and did not stop within ${formatSec(requestWaitMs)}.`,
        );
      isSignalled = signal(pid);
      if (isSignalled) options.onSignalled?.(pid);
      const waitMs = options.waitMs ?? STOP_WAIT_MS;
      if (!(await release.within(waitMs)))
        throw new StateError(
          `Run ${runId}'s process ${pid} did not stop within ${formatSec(waitMs)} of SIGTERM; it may be stuck: kill -9 ${pid} (the run can still be resumed).`,
        );
    }
    // The holder removes the request it answered; one that was signalled (or let go on its own
    // first) leaves it, and it is this call's to remove, unless a newer stop wrote its own.
    const left = await readStopRequest(paths, runId).catch(() => null);
    if (left?.requestedAt === requestedAt && left.pid === pid)
      await removeStopRequest(paths, runId);
    return { kind: "stopped", pid, run: await readRun(paths, runId), isSignalled };
  } finally {
    release.close();
  }
}

/** A watch for the moment `pid` no longer holds the run's lock. */
interface ReleaseWatch {
  /** True once released, false if `ms` passed first. */
  within(ms: number): Promise<boolean>;
  close(): void;
}

/**
 * Watches the run directory for the lock to stop naming `pid`. Started before the request, and
 * looked at once right away, so a release can slip in at no point.
 */
function watchRelease(paths: BosunPaths, runId: string, pid: number): ReleaseWatch {
  const lockFile = paths.lockFile(runId);
  let isReleased = false;
  let failure: StateError | undefined;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of waiters) waiter();
  };
  const look = (): void => {
    void readLiveLockHolder(lockFile).then(
      (holder) => {
        if (holder === pid || isReleased) return;
        isReleased = true;
        wake();
      },
      (error: unknown) => {
        failure ??= toStateError(error, runId);
        wake();
      },
    );
  };
  const watch = watchDirectory(paths.runDir(runId), {
    onChange: (name) => {
      if (name === undefined || name === "lock") look();
    },
    onError: (error) => {
      failure ??= error;
      wake();
    },
  });
  look();
  return {
    within: (ms) =>
      new Promise<boolean>((resolve, reject) => {
        const settle = (): void => {
          if (isReleased) resolve(true);
          else if (failure !== undefined) reject(failure);
          else return;
          clearTimeout(timer);
          waiters.delete(settle);
        };
        const timer = setTimeout(() => {
          waiters.delete(settle);
          resolve(isReleased);
        }, ms);
        waiters.add(settle);
        settle();
      }),
    close: () => watch.close(),
  };
}

/** Sends SIGTERM; false when the process is already gone (its lock is stale: released). */
function signal(pid: number): boolean {
  try {
    process.kill(pid, "SIGTERM");
    return true;
  } catch (error) {
    if (isNodeError(error) && error.code === "ESRCH") return false;
    throw error;
  }
}

function toStateError(error: unknown, runId: string): StateError {
  if (error instanceof StateError) return error;
  return new StateError(`Could not read run ${runId}'s lock while stopping it.`, { cause: error });
}

function formatSec(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
