/**
 * One round of `bosun review`: the task round (worker, checkpoint, gates) with review's parts —
 * the worker prompt, the report, noop and verify gates, and the reviewer as verifier, who judges
 * the real diff and must leave the tree as it found it.
 */
import { ReviewReportSchema, type FixItem } from "../store/schema/reports.js";
import type { TaskCard } from "../store/schema/task-card.js";
import { getDiff } from "../workspace/git.js";
import { runSeatWithReprompt } from "./agent-step.js";
import type { RoundScope, RunContext } from "./flow-context.js";
import { createNoopGate, createReportGate, createVerifyGate } from "./gates.js";
import { formatFixList, readPromptTemplate, readRoleDocs, renderPrompt } from "./prompts.js";
import { checkReportFile } from "./report-check.js";
import type { Gate, RoundVerdict, StepResult, VerifierOutcome } from "./round.js";
import {
  discardChangesSince,
  getScopeRound,
  hasOpenDispatch,
  reconcileHead,
} from "./round-head.js";
import { runTaskRound, scopeFields, type WorkerProduction } from "./task-round.js";

/** What the previous round left for this one. */
export interface CarriedFixes {
  /** The previous round's fix list. */
  fixItems: FixItem[];
  /** A human's note given with an answer. */
  note?: string;
}

/** Runs (or resumes) one review round and returns its verdict. */
export async function runReviewRound(
  ctx: RunContext,
  scope: RoundScope,
  task: TaskCard,
  verifyCommand: string,
  carried: CarriedFixes,
): Promise<RoundVerdict> {
  const gates: Array<Gate<WorkerProduction>> = [createReportGate(), createNoopGate(scope.round)];
  if (verifyCommand !== "") gates.push(createVerifyGate(ctx, scope, verifyCommand));
  return runTaskRound(ctx, scope, {
    buildWorkerPrompt: async (reportFile) => {
      const template = await readPromptTemplate(ctx.paths, "worker");
      const docs = await readRoleDocs(ctx.paths.root, "worker");
      return renderPrompt(template, {
        task_id: task.task_id,
        round: String(scope.round),
        max_rounds: String(scope.maxRounds),
        cwd: scope.cwd,
        agents_md: docs.agentsMd,
        role_doc: docs.roleDoc,
        task_card: JSON.stringify(task, null, 2),
        fix_list: formatFixList(carried.fixItems, carried.note),
        report_file: reportFile,
      });
    },
    gates,
    verifier: (production) => runReviewer(ctx, scope, task, verifyCommand, production),
  });
}

/** The reviewer: judges the checkpoint's diff; anything it changes in the tree is discarded. */
async function runReviewer(
  ctx: RunContext,
  scope: RoundScope,
  task: TaskCard,
  verifyCommand: string,
  production: WorkerProduction,
): Promise<StepResult<VerifierOutcome>> {
  const reportFile = ctx.paths.roundFile(
    ctx.runId,
    scope.taskId,
    scope.round,
    "review_report.json",
  );
  const check = (): ReturnType<typeof checkReportFile<typeof ReviewReportSchema>> =>
    checkReportFile(reportFile, ReviewReportSchema, { taskId: scope.taskId, round: scope.round });
  let review = await check();
  if (getScopeRound(ctx, scope)?.review === undefined) {
    const template = await readPromptTemplate(ctx.paths, "reviewer");
    const docs = await readRoleDocs(ctx.paths.root, "reviewer");
    const verifyGate = getScopeRound(ctx, scope)?.gates.get("verify");
    const basePrompt = renderPrompt(template, {
      task_id: task.task_id,
      round: String(scope.round),
      cwd: scope.cwd,
      role_doc: docs.roleDoc,
      task_card: JSON.stringify(task, null, 2),
      work_report: production.report.isValid
        ? JSON.stringify(production.report.report, null, 2)
        : "(none)",
      files_changed: production.filesChanged.join(", "),
      diff: await getDiff(scope.cwd, production.parent, production.commit),
      verify:
        verifyGate === undefined
          ? "(no verify command configured)"
          : `\`${verifyCommand}\` passed: ${verifyGate.detail}`,
      report_file: reportFile,
    });
    review = await runSeatWithReprompt(ctx, scope, {
      seat: "reviewer",
      basePrompt,
      reportFile,
      check,
      // What changed while a reviewer ran under a bosun that was killed is taken as that
      // reviewer's and discarded first; otherwise changes since bosun stopped are a human's.
      beforeStart: () =>
        hasOpenDispatch(ctx, scope, "reviewer")
          ? discardChangesSince(
              ctx,
              scope,
              "The reviewer bosun was stopped under (or someone since)",
              "",
            )
          : reconcileHead(ctx, scope, "gates", { checkpoint: production.commit }),
      // After every attempt, however it ended (a report, a failure, Ctrl-C): a reviewer leaves
      // the tree as it found it.
      afterAttempt: () => discardChangesSince(ctx, scope, "The reviewer", ""),
    });
    // Also when resumed after a crash between the reviewer's end and its clean-up.
    await discardChangesSince(ctx, scope, "The reviewer", "");
    if (!review.isValid) {
      const reason = `The reviewer gave no valid report: ${review.error}`;
      return { kind: "verdict", verdict: { verdict: "escalate", reason, fixItems: [] } };
    }
    await ctx.record({
      type: "review.completed",
      ...scopeFields(scope),
      seat: "reviewer",
      decision: review.report.decision,
      blockingIssues: review.report.blocking_issues.length,
    });
  }
  if (!review.isValid) {
    const reason = `The review report became invalid: ${review.error}`;
    return { kind: "verdict", verdict: { verdict: "escalate", reason, fixItems: [] } };
  }
  const issues = review.report.blocking_issues.map((issue): FixItem => ({
    source: "review",
    reason: issue.reason,
    ...(issue.file === undefined ? {} : { file: issue.file }),
    ...(issue.severity === undefined ? {} : { severity: issue.severity }),
  }));
  if (review.report.decision === "changes_required" && issues.length === 0) {
    issues.push({
      source: "review",
      reason:
        "The reviewer asked for changes without listing them; re-check every acceptance criterion.",
    });
  }
  return { kind: "done", value: { decision: review.report.decision, fixItems: issues } };
}
