/** `bosun stop RUN`: stop a live run's process (its agents are stopped, its state kept; --resume continues). */
import { getResumeCommand } from "../../flows/registry.js";
import { stopRun } from "../../flows/run-control.js";
import { resolveRunId } from "../../store/run-read.js";
import type { CliContext } from "../context.js";

/** Sends the run's writer SIGTERM and waits until it has let go of the run (event-driven). */
export async function runStop(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted);
  const { pid, run } = await stopRun(paths, runId, {
    onSignalled: (signalled) =>
      process.stderr.write(`Stopping run ${runId} (process ${signalled})…\n`),
  });
  if (pid === undefined) {
    process.stdout.write(`Run ${runId} is not running (no live process holds it).\n`);
    return 0;
  }
  process.stdout.write(
    `Stopped run ${runId} (${run?.status ?? "unknown"}). Continue it with: ${getResumeCommand(run?.flow ?? "team", runId)}\n`,
  );
  return 0;
}
