/**
 * One iteration of a pipeline pair: the task round (`task-round.ts`, the same primitive a review
 * and a team task use) with the pair's parts. The producer sits in the worker seat and keeps its
 * session across iterations; bosun checkpoints what it left; the gates check its report, its
 * document (the plan, the audit) and, for implement and test, the project's tests; then the
 * verifier, in a fresh session, writes a typed verdict on the real diff.
 *
 * complete → the round accepts; continue → the round's fix list is what is missing; question →
 * the round ends with the question as its fix item (the run asks, and the answer joins the
 * ledger); blocked → the round escalates. An invalid verdict is re-prompted once with the exact
 * error, then the round escalates: the run fails clearly.
 */
import { readFile, writeFile } from "node:fs/promises";
import { dispatchKey } from "../../store/run-index.js";
import { parseVerdict, type Verdict } from "../../store/schema/pipeline.js";
import type { FixItem } from "../../store/schema/reports.js";
import { getDiff, listChangedFiles } from "../../workspace/git.js";
import { runSeatWithReprompt } from "../agent-step.js";
import { getRoundFile, type RoundScope, type RunContext } from "../flow-context.js";
import { createReportGate, createVerifyGate } from "../gates.js";
import { readAgentJson, type ReportCheck } from "../report-check.js";
import type { Gate, RoundVerdict, StepResult, VerifierOutcome } from "../round.js";
import {
  discardChangesSince,
  getScopeRound,
  hasOpenDispatch,
  reconcileHead,
} from "../round-head.js";
import { runTaskRound, scopeFields, type WorkerProduction } from "../task-round.js";
import type { PairDocument } from "./pipeline-stage.js";
import {
  buildProducerContinuation,
  buildProducerPrompt,
  buildVerifierPrompt,
  type IterationContext,
} from "./pipeline-prompts.js";

/** What a stage adds to its iteration: the gate on its document (the plan, the audit). */
export interface IterationParts {
  /** Everything the prompts draw on. */
  context: IterationContext;
  /** The check of the producer's document, when its pair writes one. */
  documentGate?: Gate<WorkerProduction>;
  /** That document, and the copy its gate kept: a verifier's edit to it is undone. */
  document?: PairDocument;
  /** The commit the pair's work is measured from in the verifier's diff (asked once the round started). */
  getDiffBase(): string;
}

/** Runs (or resumes) one iteration and returns the round's verdict (already journaled). */
export async function runPipelineIteration(
  ctx: RunContext,
  scope: RoundScope,
  parts: IterationParts,
): Promise<RoundVerdict> {
  const { context } = parts;
  const gates: Array<Gate<WorkerProduction>> = [createReportGate()];
  if (parts.documentGate !== undefined) gates.push(parts.documentGate);
  const pair = context.stage.pair;
  if (context.verify !== "" && (pair === "implement" || pair === "test"))
    gates.push(createVerifyGate(ctx, scope, context.verify));
  const previousSession = getProducerSession(ctx, scope);
  return runTaskRound(ctx, scope, {
    buildWorkerPrompt: (reportFile) => {
      const full = { ...context, reportFile };
      return Promise.resolve(
        previousSession === undefined ? buildProducerPrompt(full) : buildProducerContinuation(full),
      );
    },
    ...(previousSession === undefined
      ? {}
      : {
          workerResume: {
            sessionId: previousSession,
            buildFreshPrompt: (reportFile: string) =>
              buildProducerPrompt({ ...context, reportFile }),
          },
        }),
    isWorkerSessionKept: true,
    gates,
    verifier: (production) => runVerdictSeat(ctx, scope, parts, production),
  });
}

/** The session the producer's previous iteration ended in, if its CLI reported one. */
function getProducerSession(ctx: RunContext, scope: RoundScope): string | undefined {
  if (scope.round === 1) return undefined;
  const previous = getScopeRound(ctx, { ...scope, round: scope.round - 1 });
  const dispatches = previous?.completedDispatches;
  return (
    dispatches?.get(dispatchKey("worker", 2))?.sessionId ??
    dispatches?.get(dispatchKey("worker", 1))?.sessionId
  );
}

/** The verifier: a fresh session that judges the pair's real diff and writes verdict.json. */
async function runVerdictSeat(
  ctx: RunContext,
  scope: RoundScope,
  parts: IterationParts,
  production: WorkerProduction,
): Promise<StepResult<VerifierOutcome>> {
  const verdictFile = getRoundFile(ctx, scope, "verdict.json");
  const check = async (): Promise<ReportCheck<Verdict>> => {
    const read = await readAgentJson(verdictFile);
    if (!read.isValid) return read;
    const parsed = parseVerdict(read.report);
    return parsed.ok
      ? { isValid: true, report: parsed.value }
      : { isValid: false, error: `${verdictFile}: ${parsed.error}` };
  };
  let verdict = await check();
  const recorded = getScopeRound(ctx, scope)?.verdict;
  if (recorded === undefined) {
    let isCleanedUp = false;
    const discard = async (): Promise<void> => {
      await discardChangesSince(ctx, scope, "The verifier", " A verifier must not change files.");
      if (parts.document !== undefined) await restoreDocument(ctx, scope, parts.document);
    };
    verdict = await runSeatWithReprompt(ctx, scope, {
      seat: "verifier",
      basePrompt: buildVerifierPrompt(
        parts.context,
        await describeProduction(ctx, scope, parts, production),
        verdictFile,
      ),
      reportFile: verdictFile,
      check,
      beforeStart: () =>
        hasOpenDispatch(ctx, scope, "verifier")
          ? discard()
          : reconcileHead(ctx, scope, "gates", { checkpoint: production.commit }),
      afterAttempt: async () => {
        await discard();
        isCleanedUp = true;
      },
    });
    if (!isCleanedUp) await discard();
    if (!verdict.isValid) {
      const reason = `the verifier gave no valid verdict after a re-prompt: ${verdict.error}`;
      return { kind: "verdict", verdict: { verdict: "escalate", reason, fixItems: [] } };
    }
    await ctx.record({
      type: "verdict.recorded",
      ...scopeFields(scope),
      verdict: verdict.report.verdict,
      missing: verdict.report.verdict === "continue" ? verdict.report.missing.length : 0,
      detail: describeVerdict(verdict.report),
    });
  }
  if (!verdict.isValid) {
    const reason = `the verdict recorded for this iteration can no longer be read: ${verdict.error}`;
    return { kind: "verdict", verdict: { verdict: "escalate", reason, fixItems: [] } };
  }
  return toRoundStep(verdict.report);
}

/** The verdict as the round's step: complete accepts, continue fixes, question and blocked end it. */
function toRoundStep(verdict: Verdict): StepResult<VerifierOutcome> {
  switch (verdict.verdict) {
    case "complete":
      return { kind: "done", value: { decision: "approve", fixItems: [] } };
    case "continue":
      return {
        kind: "done",
        value: {
          decision: "changes_required",
          fixItems: verdict.missing.map((reason): FixItem => ({ source: "verifier", reason })),
        },
      };
    case "question":
      return {
        kind: "verdict",
        verdict: {
          verdict: "fix",
          fixItems: [
            {
              source: "verifier",
              reason: `The verifier asked: ${verdict.question} Act on the answer in the clarification ledger.`,
            },
          ],
        },
      };
    case "blocked":
      return {
        kind: "verdict",
        verdict: { verdict: "escalate", reason: `blocked: ${verdict.reason}`, fixItems: [] },
      };
  }
}

/** Puts the pair's document back as its gate checked it, if a verifier changed it. */
async function restoreDocument(
  ctx: RunContext,
  scope: RoundScope,
  document: PairDocument,
): Promise<void> {
  // Absent only where the gate passed before bosun kept copies: nothing to put back then.
  const kept = await readFile(document.keptFile, "utf8").catch(() => undefined);
  if (kept === undefined) return;
  const current = await readFile(document.file, "utf8").catch(() => undefined);
  if (current === kept) return;
  await writeFile(document.file, kept);
  ctx.emit({
    type: "warning",
    runId: ctx.runId,
    taskId: scope.taskId,
    message: `The verifier changed ${document.file}; bosun put back the version its gate checked. A verifier must not change files.`,
  });
}

/** One line of a verdict, for the journal and the story. */
export function describeVerdict(verdict: Verdict): string {
  switch (verdict.verdict) {
    case "complete":
      return verdict.summary;
    case "continue":
      return `${verdict.summary} — missing: ${verdict.missing.join("; ")}`;
    case "question":
      return verdict.question;
    case "blocked":
      return verdict.reason;
  }
}

async function describeProduction(
  ctx: RunContext,
  scope: RoundScope,
  parts: IterationParts,
  production: WorkerProduction,
): Promise<{
  report: string;
  filesChanged: readonly string[];
  diff: string;
  verifyResult: string;
}> {
  const verifyGate = getScopeRound(ctx, scope)?.gates.get("verify");
  const isGitless = ctx.isGitless === true;
  const base = parts.getDiffBase();
  return {
    report: production.report.isValid
      ? JSON.stringify(production.report.report, null, 2)
      : "(none)",
    filesChanged: isGitless ? [] : await listChangedFiles(scope.cwd, base, production.commit),
    diff: isGitless ? "" : await getDiff(scope.cwd, base, production.commit),
    verifyResult:
      verifyGate === undefined
        ? "(no verify command for this pair)"
        : `\`${parts.context.verify}\` ${verifyGate.passed ? "passed" : "failed"}: ${verifyGate.detail}`,
  };
}
