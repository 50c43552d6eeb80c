/**
 * One round of `bosun review`, as a composition of the round primitive: the worker produces a
 * checkpoint, gates check the report, that something changed and the verify command, then the
 * reviewer judges the diff. Every step consults the journal first, so resume never repeats one.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";
import { readJson, writeJsonAtomic } from "../store/json-file.js";
import {
  FixListSchema,
  GatesFileSchema,
  ReviewReportSchema,
  WorkReportSchema,
  type FixItem,
  type GateResult,
  type WorkReport,
} from "../store/schema/reports.js";
import type { TaskCard } from "../store/schema/task-card.js";
import { commitAll, getDiff, getHead, listChangedFiles, listDirtyFiles } from "../workspace/git.js";
import { findCompletedDispatch, runAgentStep } from "./agent-step.js";
import type { FlowContext } from "./flow-context.js";
import { formatFixList, readPromptTemplate, readRoleDocs, renderPrompt } from "./prompts.js";
import { checkReportFile, type ReportCheck } from "./report-check.js";
import {
  runRound,
  type Gate,
  type GateJournal,
  type RoundVerdict,
  type VerifierOutcome,
} from "./round.js";
import {
  discardChangesSince,
  getKnownHead,
  getRoundBase,
  hasOpenCheckpoint,
  hasOpenDispatch,
  reconcileHead,
} from "./round-head.js";
import { getVerifyPidFile, runVerifyCommand } from "./verify.js";

/** What the worker's step produced, measured by bosun. */
interface WorkerProduction {
  parent: string;
  commit: string;
  filesChanged: string[];
  report: ReportCheck<WorkReport>;
  reportFile: string;
}

/** Runs (or resumes) round `round` and returns its verdict. */
export async function runReviewRound(
  ctx: FlowContext,
  task: TaskCard,
  round: number,
  carried: { fixItems: FixItem[]; note?: string },
): Promise<RoundVerdict> {
  const roundDir = ctx.paths.roundDir(ctx.runId, ctx.taskId, round);
  if (getKnownHead(ctx.events, round) === undefined) {
    // bosun leaves the tree clean after every round: changes found before a later one are a human's.
    const dirty = round > 1 ? await listDirtyFiles(ctx.paths.root) : [];
    if (dirty.length > 0)
      throw new UsageError(
        `The working tree has uncommitted changes bosun did not make (${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", …" : ""}); round ${round}'s worker must not be credited with them. Commit or stash them, then: bosun review --resume ${ctx.runId}`,
      );
    await ctx.record({ type: "round.started", round, head: await getHead(ctx.paths.root) });
  }
  const gatesFile = path.join(roundDir, "gates.json");
  const gates: GateResult[] = (await readJson(gatesFile, GatesFileSchema))?.gates ?? [];
  const journal: GateJournal = {
    // A result counts only once its event is in the journal: gates.json is written first, so a
    // crash between the two re-runs the gate rather than skipping a transition nobody recorded.
    readGate: (name) =>
      ctx.events.some(
        (event) => event.type === "gate.completed" && event.round === round && event.name === name,
      )
        ? gates.find((gate) => gate.name === name)
        : undefined,
    writeGate: async (result) => {
      const index = gates.findIndex((gate) => gate.name === result.name);
      if (index === -1) gates.push(result);
      else gates[index] = result;
      await writeJsonAtomic(gatesFile, GatesFileSchema, { version: 1, round, gates });
      await ctx.record({
        type: "gate.completed",
        round,
        name: result.name,
        passed: result.passed,
        detail: result.detail,
      });
    },
  };
  const expected = { taskId: task.task_id, round };
  const workReportFile = path.join(roundDir, "work_report.json");

  const produce = async (): Promise<WorkerProduction> => {
    const template = await readPromptTemplate(ctx.paths, "worker");
    const docs = await readRoleDocs(ctx.paths.root, "worker");
    const basePrompt = renderPrompt(template, {
      task_id: task.task_id,
      round: String(round),
      max_rounds: String(ctx.options.maxRounds),
      cwd: ctx.paths.root,
      agents_md: docs.agentsMd,
      role_doc: docs.roleDoc,
      task_card: JSON.stringify(task, null, 2),
      fix_list: formatFixList(carried.fixItems, carried.note),
      report_file: workReportFile,
    });
    const check = (): Promise<ReportCheck<WorkReport>> =>
      checkReportFile(workReportFile, WorkReportSchema, expected);
    let report = await runRoleWithReprompt(ctx, {
      round,
      role: "worker",
      basePrompt,
      reportFile: workReportFile,
      check,
      // Commits made since bosun last looked (while no worker ran) are never this worker's.
      beforeStart: () => reconcileHead(ctx, round, "worker"),
    });
    const checkpoint = ctx.events.find(
      (event) => event.type === "checkpoint.created" && event.round === round,
    );
    if (checkpoint?.type === "checkpoint.created") {
      return {
        parent: checkpoint.parent,
        commit: checkpoint.commit,
        filesChanged: checkpoint.filesChanged,
        report,
        reportFile: workReportFile,
      };
    }
    // bosun, not the agent, measures the change: commit what is left, diff against the round's
    // base (its start, or where HEAD moved to outside the run before the worker began).
    if (!hasOpenCheckpoint(ctx.events, round)) {
      await reconcileHead(ctx, round, "checkpoint");
      await ctx.record({ type: "checkpoint.started", round });
    }
    const base = getRoundBase(ctx.events, round) ?? (await getHead(ctx.paths.root));
    const commit =
      (await commitAll(
        ctx.paths.root,
        `bosun: ${task.task_id} round ${round} (worker checkpoint)`,
      )) ?? (await getHead(ctx.paths.root));
    const filesChanged = await listChangedFiles(ctx.paths.root, base, commit);
    await ctx.record({ type: "checkpoint.created", round, commit, parent: base, filesChanged });
    report = await check();
    return { parent: base, commit, filesChanged, report, reportFile: workReportFile };
  };

  const reportGate: Gate<WorkerProduction> = {
    name: "report",
    run: (production) => {
      if (!production.report.isValid) {
        const reason = `Your work report was rejected: ${production.report.error}. Write a valid one to ${production.reportFile}.`;
        return Promise.resolve({
          passed: false,
          detail: production.report.error,
          fixItems: [{ source: "report", reason }],
        });
      }
      const claimed = production.report.report.files_changed;
      const unmeasured = claimed.filter((file) => !production.filesChanged.includes(file));
      const note =
        unmeasured.length === 0
          ? ""
          : `; report claims files git did not see changed: ${unmeasured.join(", ")}`;
      return Promise.resolve({ passed: true, detail: `valid work report${note}`, fixItems: [] });
    },
  };
  const noopGate: Gate<WorkerProduction> = {
    name: "noop",
    run: (production) =>
      Promise.resolve(
        production.filesChanged.length > 0
          ? {
              passed: true,
              detail: `${production.filesChanged.length} file(s) changed: ${production.filesChanged.slice(0, 10).join(", ")}`,
              fixItems: [],
            }
          : {
              passed: false,
              detail: "the worker changed nothing (git shows no diff)",
              fixItems: [
                {
                  source: "noop",
                  reason: `Round ${round} changed no file (git shows no diff). Make the change the task card asks for.`,
                },
              ],
            },
      ),
  };
  const gatesList: Array<Gate<WorkerProduction>> = [reportGate, noopGate];
  if (ctx.options.verify !== "") {
    gatesList.push({
      name: "verify",
      run: async (production) => {
        const logFile = path.join(roundDir, "verify.log");
        await reconcileHead(ctx, round, "gates", {
          checkpoint: production.commit,
          // A verify run killed with bosun left its leftovers; they are discarded after this one.
          isDirtyExpected: existsSync(getVerifyPidFile(logFile)),
        });
        const outcome = await runVerifyCommand(ctx, ctx.options.verify, logFile);
        // What the tests leave behind must not pass for the worker's change in the next round.
        await discardChangesSince(
          ctx,
          round,
          "The verify command",
          " Add such outputs to .gitignore.",
        );
        return outcome;
      },
    });
  }

  const verify = async (production: WorkerProduction): Promise<VerifierOutcome | RoundVerdict> => {
    const reviewReportFile = path.join(roundDir, "review_report.json");
    const check = (): ReturnType<typeof checkReportFile<typeof ReviewReportSchema>> =>
      checkReportFile(reviewReportFile, ReviewReportSchema, expected);
    const done = ctx.events.find(
      (event) => event.type === "review.completed" && event.round === round,
    );
    let review = await check();
    if (done === undefined) {
      const template = await readPromptTemplate(ctx.paths, "reviewer");
      const docs = await readRoleDocs(ctx.paths.root, "reviewer");
      const verifyGate = gates.find((gate) => gate.name === "verify");
      const basePrompt = renderPrompt(template, {
        task_id: task.task_id,
        round: String(round),
        cwd: ctx.paths.root,
        role_doc: docs.roleDoc,
        task_card: JSON.stringify(task, null, 2),
        work_report: production.report.isValid
          ? JSON.stringify(production.report.report, null, 2)
          : "(none)",
        files_changed: production.filesChanged.join(", "),
        diff: await getDiff(ctx.paths.root, production.parent, production.commit),
        verify:
          verifyGate === undefined
            ? "(no verify command configured)"
            : `\`${ctx.options.verify}\` passed: ${verifyGate.detail}`,
        report_file: reviewReportFile,
      });
      review = await runRoleWithReprompt(ctx, {
        round,
        role: "reviewer",
        basePrompt,
        reportFile: reviewReportFile,
        check,
        // What changed while a reviewer ran under a bosun that was killed is taken as that
        // reviewer's and discarded first; otherwise changes since bosun stopped are a human's.
        beforeStart: () =>
          hasOpenDispatch(ctx.events, round, "reviewer")
            ? discardChangesSince(
                ctx,
                round,
                "The reviewer bosun was stopped under (or someone since)",
                "",
              )
            : reconcileHead(ctx, round, "gates", { checkpoint: production.commit }),
        // After every attempt, however it ended (a report, a failure, Ctrl-C): a reviewer leaves
        // the tree as it found it.
        afterAttempt: () => discardChangesSince(ctx, round, "The reviewer", ""),
      });
      // Also when resumed after a crash between the reviewer's end and its clean-up.
      await discardChangesSince(ctx, round, "The reviewer", "");
      if (!review.isValid) {
        return {
          verdict: "escalate",
          reason: `The reviewer gave no valid report: ${review.error}`,
          fixItems: [],
        };
      }
      await ctx.record({
        type: "review.completed",
        round,
        decision: review.report.decision,
        blockingIssues: review.report.blocking_issues.length,
      });
    }
    if (!review.isValid)
      return {
        verdict: "escalate",
        reason: `The review report became invalid: ${review.error}`,
        fixItems: [],
      };
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
    return { decision: review.report.decision, fixItems: issues };
  };

  const verdict = await runRound(journal, { produce, gates: gatesList, verify });
  await writeJsonAtomic(path.join(roundDir, "fix_list.json"), FixListSchema, {
    version: 1,
    task_id: task.task_id,
    round,
    items: verdict.fixItems,
  });
  await ctx.record({
    type: "round.completed",
    round,
    verdict: verdict.verdict,
    fixItems: verdict.fixItems.length,
    ...(verdict.verdict === "escalate" ? { reason: verdict.reason } : {}),
  });
  return verdict;
}

/** Runs a role; when its report is missing or invalid, re-prompts once with the exact error. */
async function runRoleWithReprompt<T>(
  ctx: FlowContext,
  step: {
    round: number;
    role: "worker" | "reviewer";
    basePrompt: string;
    reportFile: string;
    check: () => Promise<ReportCheck<T>>;
    /** Before each attempt that runs, once nothing of an earlier one is left running. */
    beforeStart?: () => Promise<void>;
    /** After each attempt that ran, however it ended. */
    afterAttempt?: () => Promise<void>;
  },
): Promise<ReportCheck<T>> {
  let report: ReportCheck<T> = { isValid: false, error: "not run" };
  for (const attempt of [1, 2]) {
    if (findCompletedDispatch(ctx.events, step.round, step.role, attempt) === undefined) {
      const prompt =
        attempt === 1 || report.isValid
          ? step.basePrompt
          : `${step.basePrompt}\n## Your previous report was rejected\n${report.error}\nWrite a corrected report to ${step.reportFile}.\n`;
      try {
        await runAgentStep(ctx, {
          round: step.round,
          role: step.role,
          attempt,
          prompt,
          reportFile: step.reportFile,
          checkReport: step.check,
          ...(step.beforeStart === undefined ? {} : { beforeStart: step.beforeStart }),
        });
      } finally {
        await step.afterAttempt?.();
      }
    }
    report = await step.check();
    if (report.isValid) return report;
  }
  return report;
}
