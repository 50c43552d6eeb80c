/** `bosun stop RUN`: stop a live run's process (its agents are stopped, its state kept; --resume continues). */
import { watch } from "node:fs";
import { StateError } from "../../errors.js";
import { getResumeCommand } from "../../flows/registry.js";
import { readRun, resolveRunId } from "../../store/run-read.js";
import { readLiveLockHolder } from "../../store/run-lock.js";
import type { CliContext } from "../context.js";

/** How long to wait for the run's process to record its pause and let go of the run. */
const STOP_WAIT_MS = 60_000;

/** Sends the run's writer SIGTERM and waits until it has let go of the run (event-driven). */
export async function runStop(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted);
  const lockFile = paths.lockFile(runId);
  const pid = await readLiveLockHolder(lockFile);
  if (pid === undefined) {
    process.stdout.write(`Run ${runId} is not running (no live process holds it).\n`);
    return 0;
  }
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
  process.stderr.write(`Stopping run ${runId} (process ${pid})…\n`);
  await released;
  const run = await readRun(paths, runId);
  process.stdout.write(
    `Stopped run ${runId} (${run?.status ?? "unknown"}). Continue it with: ${getResumeCommand(run?.flow ?? "team", runId)}\n`,
  );
  return 0;
}
