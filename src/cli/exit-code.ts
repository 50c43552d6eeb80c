/** The exit code a flow command ends with, the same for every flow (see each command's --help). */
import { isStopRequestedReason } from "../flows/stop-channel.js";
import type { RunStatus } from "../store/schema/run.js";
import type { CliContext } from "./context.js";

/**
 * 0 succeeded (or paused on purpose), 1 failed or cancelled, 3 needs a human, 130 stopped by a
 * signal or `bosun stop` (a stop request for the run alone: the process's signal is not aborted,
 * the run's pause reason says it); a budget stop is `budgetExitCode` (4 for team runs, whose
 * budgets stop them; 1 elsewhere).
 */
export function getExitCode(
  ctx: CliContext,
  outcome: { run: { status: RunStatus; reason?: string | undefined }; isPaused: boolean },
  budgetExitCode = 1,
): number {
  if (outcome.isPaused)
    return ctx.signal.aborted || isStopRequestedReason(outcome.run.reason) ? 130 : 0;
  switch (outcome.run.status) {
    case "succeeded":
    case "running":
    case "paused":
      return 0;
    case "needs_human":
      return 3;
    case "budget_exhausted":
      return budgetExitCode;
    case "failed":
    case "cancelled":
      return 1;
  }
}
