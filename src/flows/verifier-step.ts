/**
 * The verifier seat of a round (a review's reviewer, a team task's critic): it judges the
 * checkpoint's real diff and writes a typed verdict. Whatever it changes in the tree is discarded
 * (saved first): a verifier leaves the tree as it found it.
 */
import type { Seat } from "../store/schema/events.js";
import { ReviewReportSchema, type FixItem } from "../store/schema/reports.js";
import { runSeatWithReprompt } from "./agent-step.js";
import { getRoundFile, type RoundScope, type RunContext } from "./flow-context.js";
import { checkReportFile } from "./report-check.js";
import type { StepResult, VerifierOutcome } from "./round.js";
import {
  discardChangesSince,
  getScopeRound,
  hasOpenDispatch,
  reconcileHead,
} from "./round-head.js";
import { scopeFields, type WorkerProduction } from "./task-round.js";

/** Which verifier, and how to prompt it. */
export interface VerifierSeat {
  /** reviewer or critic. */
  seat: Extract<Seat, "reviewer" | "critic">;
  /** Its prompt, telling it to write its verdict to `reportFile`. */
  buildPrompt(reportFile: string, production: WorkerProduction): Promise<string>;
}

/** Runs (or recovers) the verifier and turns its report into the round's judgement. */
export async function runVerifierSeat(
  ctx: RunContext,
  scope: RoundScope,
  verifier: VerifierSeat,
  production: WorkerProduction,
): Promise<StepResult<VerifierOutcome>> {
  const { seat } = verifier;
  const name = seat === "reviewer" ? "The reviewer" : "The critic";
  const reportFile = getRoundFile(ctx, scope, "review_report.json");
  const check = (): ReturnType<typeof checkReportFile<typeof ReviewReportSchema>> =>
    checkReportFile(reportFile, ReviewReportSchema, { taskId: scope.taskId, round: scope.round });
  let review = await check();
  if (getScopeRound(ctx, scope)?.review === undefined) {
    let isCleanedUp = false;
    review = await runSeatWithReprompt(ctx, scope, {
      seat,
      basePrompt: await verifier.buildPrompt(reportFile, production),
      reportFile,
      check,
      // What changed while a verifier ran under a bosun that was killed is taken as that
      // verifier's and discarded first; otherwise changes since bosun stopped are a human's.
      beforeStart: () =>
        hasOpenDispatch(ctx, scope, seat)
          ? discardChangesSince(
              ctx,
              scope,
              `${name} bosun was stopped under (or someone since)`,
              "",
            )
          : reconcileHead(ctx, scope, "gates", { checkpoint: production.commit }),
      // After every attempt, however it ended (a report, a failure, Ctrl-C).
      afterAttempt: async () => {
        await discardChangesSince(ctx, scope, name, "");
        isCleanedUp = true;
      },
    });
    // Also when resumed after a crash between the verifier's end and its clean-up (no attempt
    // ran here, so none cleaned up after itself).
    if (!isCleanedUp) await discardChangesSince(ctx, scope, name, "");
    if (!review.isValid) {
      const reason = `${name} gave no valid report: ${review.error}`;
      return { kind: "verdict", verdict: { verdict: "escalate", reason, fixItems: [] } };
    }
    await ctx.record({
      type: "review.completed",
      ...scopeFields(scope),
      seat,
      decision: review.report.decision,
      blockingIssues: review.report.blocking_issues.length,
    });
  }
  if (!review.isValid) {
    const reason = `The ${seat} report became invalid: ${review.error}`;
    return { kind: "verdict", verdict: { verdict: "escalate", reason, fixItems: [] } };
  }
  const source = seat === "reviewer" ? "review" : "critic";
  const issues = review.report.blocking_issues.map((issue): FixItem => ({
    source,
    reason: issue.reason,
    ...(issue.file === undefined ? {} : { file: issue.file }),
    ...(issue.severity === undefined ? {} : { severity: issue.severity }),
  }));
  if (review.report.decision === "changes_required" && issues.length === 0) {
    issues.push({
      source,
      reason: `${name} asked for changes without listing them; re-check every acceptance criterion.`,
    });
  }
  return { kind: "done", value: { decision: review.report.decision, fixItems: issues } };
}
