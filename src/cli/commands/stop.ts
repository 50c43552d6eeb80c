/** `bosun stop RUN`: stop a live run (its agents are stopped, its state kept; --resume continues). */
import { ConfigError } from "../../errors.js";
import { getResumeCommand } from "../../flows/registry.js";
import { DEFAULT_GRACE_SEC, getStopRequestWaitMs, stopRun } from "../../flows/stop-run.js";
import { resolveRunId } from "../../store/run-read.js";
import type { CliContext } from "../context.js";

/**
 * Asks the run's writer to stop that run (only it, whatever else the process drives) and waits
 * until it has let go of the run (event-driven); a writer that does not answer in time gets SIGTERM.
 */
export async function runStop(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted);
  const requestWaitMs = await readRequestWaitMs(ctx);
  const result = await stopRun(paths, runId, {
    by: "cli",
    requestWaitMs,
    onRequested: (pid) =>
      process.stderr.write(`Stopping run ${runId} (asked process ${pid} to stop it)…\n`),
    onSignalled: (pid) =>
      process.stderr.write(
        `Process ${pid} did not stop the run within ${Math.round(requestWaitMs / 1000)} s of the request; sent it SIGTERM (it stops everything that process drives).\n`,
      ),
  });
  if (result.kind === "not_running") {
    process.stdout.write(`Run ${runId} is not running (no live process holds it).\n`);
    return 0;
  }
  const { run } = result;
  process.stdout.write(
    `Stopped run ${runId} (${run?.status ?? "unknown"}). Continue it with: ${getResumeCommand(run?.flow ?? "team", runId)}\n`,
  );
  return 0;
}

/**
 * How long the run's writer has to answer: its agents' grace period (this repository's config)
 * plus a margin. A broken config never blocks a stop: the default grace is assumed.
 */
async function readRequestWaitMs(ctx: CliContext): Promise<number> {
  try {
    return getStopRequestWaitMs((await ctx.getConfig()).config.dispatch.graceSec);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return getStopRequestWaitMs(DEFAULT_GRACE_SEC);
  }
}
