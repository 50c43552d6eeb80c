/**
 * One round of `bosun review`: the task round (worker, checkpoint, gates) with review's parts —
 * the worker prompt, the report, noop and verify gates, and the reviewer as verifier, who judges
 * the real diff and must leave the tree as it found it.
 */
import type { FixItem } from "../store/schema/reports.js";
import type { TaskCard } from "../store/schema/task-card.js";
import { getDiff } from "../workspace/git.js";
import type { RoundScope, RunContext } from "./flow-context.js";
import { createNoopGate, createReportGate, createVerifyGate } from "./gates.js";
import { formatFixList, readPromptTemplate, readRoleDocs, renderPrompt } from "./prompts.js";
import type { Gate, RoundVerdict, StepResult, VerifierOutcome } from "./round.js";
import { getScopeRound } from "./round-head.js";
import { runTaskRound, type WorkerProduction } from "./task-round.js";
import { runVerifierSeat } from "./verifier-step.js";

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

/** The reviewer: judges the checkpoint's diff against the task card. */
function runReviewer(
  ctx: RunContext,
  scope: RoundScope,
  task: TaskCard,
  verifyCommand: string,
  production: WorkerProduction,
): Promise<StepResult<VerifierOutcome>> {
  return runVerifierSeat(
    ctx,
    scope,
    {
      seat: "reviewer",
      buildPrompt: async (reportFile) => {
        const template = await readPromptTemplate(ctx.paths, "reviewer");
        const docs = await readRoleDocs(ctx.paths.root, "reviewer");
        const verifyGate = getScopeRound(ctx, scope)?.gates.get("verify");
        return renderPrompt(template, {
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
      },
    },
    production,
  );
}
