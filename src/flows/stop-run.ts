/**
 * Stopping a run another process is working on, as every surface does it (`bosun stop`, the
 * terminal monitor, the dashboard): SIGTERM to the holder of the run's lock, then an
 * event-driven wait until that process has let go of the run.
 */
import { watch } from "node:fs";
import { StateError } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-read.js";
import { readLiveLockHolder } from "../store/run-lock.js";
import type { Run } from "../store/schema/run.js";

/** How long to wait for the run's process to record its pause and let go of the run. */
export const STOP_WAIT_MS = 60_000;

/** How a stop ended. */
export type StopRunResult =
  /** No live process held the run: there was nothing to stop. */
  | { kind: "not_running" }
  /** The process `pid` let go of the run; `run` is its snapshot afterwards. */
  | { kind: "stopped"; pid: number; run: Run | null };

/** What a stop reports while it waits. */
export interface StopRunOptions {
  /** Called once the signal is sent, before the wait (the CLI says "Stopping…"). */
  onSignalled?: (pid: number) => void;
  /** Give up after this long (default STOP_WAIT_MS). */
  waitMs?: number;
}

/**
 * Sends the run's writer SIGTERM and waits until it has let go of the run (the run directory is
 * watched: no polling). A holder that does not let go within `waitMs` is a StateError saying
 * how to kill it; the run stays resumable either way.
 */
export async function stopRun(
  paths: BosunPaths,
  runId: string,
  options: StopRunOptions = {},
): Promise<StopRunResult> {
  const lockFile = paths.lockFile(runId);
  const pid = await readLiveLockHolder(lockFile);
  if (pid === undefined) return { kind: "not_running" };
  if (pid === process.pid) throw new StateError(`Run ${runId} is held by this very process.`);
  const waitMs = options.waitMs ?? STOP_WAIT_MS;
  // Watched before the signal, so the release cannot slip between the two.
  const released = new Promise<void>((resolve, reject) => {
    const watcher = watch(paths.runDir(runId), () => {
      void readLiveLockHolder(lockFile).then((holder) => {
        if (holder !== pid) {
          watcher.close();
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(
        new StateError(
          `Run ${runId}'s process ${pid} did not stop within ${Math.round(waitMs / 1000)} s; it may be stuck: kill -9 ${pid} (the run can still be resumed).`,
        ),
      );
    }, waitMs);
  });
  process.kill(pid, "SIGTERM");
  options.onSignalled?.(pid);
  await released;
  return { kind: "stopped", pid, run: await readRun(paths, runId) };
}
