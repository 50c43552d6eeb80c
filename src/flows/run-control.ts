/**
 * Stopping a run another process drives and approving a team run's plan: what `bosun stop` and
 * `bosun approve` do, here so the dashboard (and any other surface) acts exactly as the verbs do.
 */
import { watch } from "node:fs";
import { StateError } from "../errors.js";
import { readAsk, writeAnswer } from "../human/asks.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-read.js";
import { readLiveLockHolder } from "../store/run-lock.js";
import type { Run } from "../store/schema/run.js";

/** How long to wait for the run's process to record its pause and let go of the run. */
const STOP_WAIT_MS = 60_000;

/** How a stop ended. */
export interface StopOutcome {
  /** The process that was stopped; undefined when no live process held the run. */
  pid: number | undefined;
  /** The run after the stop (null when it has no run.json). */
  run: Run | null;
}

/**
 * Sends the run's writer SIGTERM and waits until it has let go of the run (event-driven, on the
 * run directory). `onSignalled` hears the pid once the signal is sent (the CLI says "Stopping…").
 */
export async function stopRun(
  paths: BosunPaths,
  runId: string,
  options: { onSignalled?: (pid: number) => void } = {},
): Promise<StopOutcome> {
  const lockFile = paths.lockFile(runId);
  const pid = await readLiveLockHolder(lockFile);
  if (pid === undefined) return { pid: undefined, run: await readRun(paths, runId) };
  if (pid === process.pid) throw new StateError(`Run ${runId} is held by this very process.`);
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
          `Run ${runId}'s process ${pid} did not stop within ${STOP_WAIT_MS / 1000} s; it may be stuck: kill -9 ${pid} (the run can still be resumed).`,
        ),
      );
    }, STOP_WAIT_MS);
  });
  process.kill(pid, "SIGTERM");
  options.onSignalled?.(pid);
  await released;
  return { pid, run: await readRun(paths, runId) };
}

/** The ask a team run started with --gate-plan waits on once planned. */
export function getPlanAskId(runId: string): string {
  return `ask-${runId}-plan`;
}

/**
 * Records the approval of a team run's plan (unless already answered); the caller then resumes
 * the run. A run with no plan waiting is a StateError saying which runs have one.
 */
export async function approvePlan(
  paths: BosunPaths,
  runId: string,
  options: { source: string },
): Promise<void> {
  const run = await readRun(paths, runId);
  const askId = getPlanAskId(runId);
  if (run?.flow !== "team" || !run.openAskIds.includes(askId))
    throw new StateError(
      `Run ${runId} has no plan waiting for approval (only a team run started with --gate-plan does, once planned). See "bosun status ${runId}".`,
    );
  const { answer } = await readAsk(paths, askId);
  if (answer === null) await writeAnswer(paths, askId, "approve", { source: options.source });
}
