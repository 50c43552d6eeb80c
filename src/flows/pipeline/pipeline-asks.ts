/**
 * A pipeline's humans: a verifier's question (or a blocked pair) put in the mailbox and the
 * ledger, answered by a human with `bosun answer` or, with --full-auto-answers, by a model; and
 * the answers taken into the ledger and the journal before the run goes on.
 */
import { AgentError } from "../../errors.js";
import { readAsk, writeAnswer, writeAsk } from "../../human/asks.js";
import type { Answer, Ask } from "../../store/schema/asks.js";
import type { RunIndex } from "../../store/run-index.js";
import type { RunEvent } from "../../store/schema/events.js";
import { ModelAnswerSchema, parseVerdict } from "../../store/schema/pipeline.js";
import type { PipelineRun } from "../../store/schema/run.js";
import { runSeatWithReprompt } from "../agent-step.js";
import { getRoundFile, type RunContext } from "../flow-context.js";
import { readAgentJson, type ReportCheck } from "../report-check.js";
import { discardChangesSince } from "../round-head.js";
import { buildContext, buildScope, findStage, type RunInputs } from "./pipeline-stage.js";
import { appendLedgerAnswer, appendLedgerQuestion } from "./pipeline-files.js";
import { getAskId, type PipelineStage } from "./pipeline-next.js";
import { buildAnswererPrompt } from "./pipeline-prompts.js";

type AskCreated = Extract<RunEvent, { type: "ask.created" }>;

/** Ends the call with the run waiting on its open ask (said once in the journal). */
export async function waitForHuman(ctx: RunContext, run: PipelineRun): Promise<void> {
  if (run.status === "needs_human") return;
  const askId = run.openAskIds[0] ?? "";
  const { options } = (await readAsk(ctx.paths, askId)).ask;
  const choices =
    options.length === 0 ? '"<your answer>"' : options.map((option) => option.key).join("|");
  await ctx.record({
    type: "run.completed",
    status: "needs_human",
    reason: `waiting for an answer: bosun answer ${askId} ${choices}`,
  });
}

/**
 * Puts a verifier's question (or a blocked pair) to a human through the mailbox, and into the
 * ledger. With --full-auto-answers a model answers a question at once; a blocked pair always
 * waits for a human.
 */
export async function askHuman(
  ctx: RunContext,
  run: PipelineRun,
  inputs: RunInputs,
  stage: PipelineStage,
  iteration: number,
  kind: "question" | "blocked",
): Promise<void> {
  const scope = buildScope(ctx, run, stage, iteration);
  const verdictFile = getRoundFile(ctx, scope, "verdict.json");
  const read = await readAgentJson(verdictFile);
  const parsed = read.isValid ? parseVerdict(read.report) : undefined;
  const verdict = parsed?.ok === true ? parsed.value : undefined;
  const askId = getAskId(ctx.runId, stage, iteration);
  const question =
    verdict?.verdict === "question"
      ? verdict.question
      : verdict?.verdict === "blocked"
        ? `${stage.phase} is blocked: ${verdict.reason}`
        : `${stage.phase} needs a human (see ${verdictFile})`;
  const suggestions = verdict?.verdict === "question" ? (verdict.options ?? []) : [];
  await writeAsk(ctx.paths, {
    version: 1,
    id: askId,
    runId: ctx.runId,
    createdAt: new Date().toISOString(),
    question: `Pipeline run ${ctx.runId} (task ${run.taskId}, ${stage.phase}, iteration ${iteration}): ${question}`,
    options:
      kind === "blocked"
        ? [
            { key: "retry", label: "run the pair again (say what changed in --note)" },
            { key: "abort", label: "stop the run" },
          ]
        : [],
    context:
      kind === "question"
        ? `Answer in your own words${suggestions.length === 0 ? "" : `; the verifier suggests: ${suggestions.join(" | ")}`}. The answer goes into ${ctx.paths.decisionsFile(ctx.runId)}, which every later prompt of the task includes.`
        : `Verdict: ${verdictFile}.`,
  });
  await appendLedgerQuestion(ctx.paths, ctx.runId, {
    askId,
    phase: stage.phase,
    iteration,
    question,
  });
  await ctx.record({
    type: "ask.created",
    askId,
    taskId: run.taskId,
    phase: stage.phase,
    round: iteration,
    question,
  });
}

/**
 * --full-auto-answers: the open questions no one answered yet go to a model (also after a crash
 * during the model's answer). A blocked pair's ask (it has options) always waits for a human.
 */
export async function answerOpenQuestions(
  ctx: RunContext,
  run: PipelineRun,
  inputs: RunInputs,
): Promise<void> {
  if (!run.options.isFullAutoAnswers) return;
  for (const askId of [...ctx.state.openAsks.keys()]) {
    const { ask, answer } = await readAsk(ctx.paths, askId);
    const asked = findAsk(ctx.state, askId);
    if (answer !== null || ask.options.length > 0 || asked?.round === undefined) continue;
    const stage = findStage(run, asked.phase);
    if (stage === undefined) continue;
    const verdictFile = getRoundFile(ctx, buildScope(ctx, run, stage, asked.round), "verdict.json");
    const read = await readAgentJson(verdictFile);
    const parsed = read.isValid ? parseVerdict(read.report) : undefined;
    const suggestions =
      parsed?.ok === true && parsed.value.verdict === "question"
        ? (parsed.value.options ?? [])
        : [];
    await answerByModel(ctx, run, inputs, stage, asked.round, {
      askId,
      question: asked.question,
      suggestions,
    });
  }
}

/** --full-auto-answers: a model answers in the human's place, and says so in the ledger. */
export async function answerByModel(
  ctx: RunContext,
  run: PipelineRun,
  inputs: RunInputs,
  stage: PipelineStage,
  iteration: number,
  ask: { askId: string; question: string; suggestions: readonly string[] },
): Promise<void> {
  const scope = buildScope(ctx, run, stage, iteration);
  const answerFile = getRoundFile(ctx, scope, "answer.json");
  const context = await buildContext(ctx, run, inputs, stage, iteration);
  const check = async (): Promise<ReportCheck<{ answer: string }>> => {
    const read = await readAgentJson(answerFile);
    if (!read.isValid) return read;
    const parsed = ModelAnswerSchema.safeParse(read.report);
    return parsed.success
      ? { isValid: true, report: parsed.data }
      : { isValid: false, error: `${answerFile}: write {"answer": "..."} with a non-empty answer` };
  };
  // An answerer only answers: whatever it changes in the tree is discarded (saved first).
  const discard = (): Promise<void> =>
    discardChangesSince(ctx, scope, "The answerer", " An answerer must not change files.");
  const reply = await runSeatWithReprompt(ctx, scope, {
    seat: "answerer",
    basePrompt: buildAnswererPrompt(context, ask.question, ask.suggestions, answerFile),
    reportFile: answerFile,
    check,
    afterAttempt: discard,
  });
  // Also after a resume that runs no attempt again: bosun killed between the answerer's end and
  // its discard left the answerer's changes, which the next iteration would refuse as a human's.
  await discard();
  if (!reply.isValid)
    throw new AgentError(
      `--full-auto-answers: the model gave no answer to ${ask.askId}: ${reply.error}`,
      {
        isPermanent: true,
      },
    );
  await writeAnswer(ctx.paths, ask.askId, reply.report.answer, {
    source: `model (${run.options.producer}, --full-auto-answers)`,
  });
}

/**
 * Takes the answers given to the run's open asks into the ledger and the journal. Returns false
 * while one is still unanswered (or answered with something that is not one of its options).
 */
export async function takeAnswers(ctx: RunContext): Promise<boolean> {
  for (const askId of [...ctx.state.openAsks.keys()]) {
    const { ask, answer, answerProblem } = await readAsk(ctx.paths, askId);
    if (answer === null) return false;
    if (answerProblem !== undefined) {
      ctx.emit({
        type: "warning",
        runId: ctx.runId,
        message: `The answer was not taken: ${answerProblem}. Correct that file, or delete it and run "bosun answer ${askId} <answer>".`,
      });
      return false;
    }
    const asked = findAsk(ctx.state, askId);
    await appendLedgerAnswer(ctx.paths, ctx.runId, {
      askId,
      answer: answer.answer,
      ...(answer.note === undefined ? {} : { note: answer.note }),
      by: answer.source.startsWith("model") ? answer.source : `a human, via ${answer.source}`,
    });
    await ctx.record({
      type: "ask.answered",
      askId,
      ...(asked?.taskId === undefined ? {} : { taskId: asked.taskId }),
      ...(asked?.phase === undefined ? {} : { phase: asked.phase }),
      answer: answer.answer,
      // "Run the pair again", or a human's answer to a question, is one more iteration, also
      // when the asking one was the pair's last. A model's answer grants none: a verifier that
      // kept asking would otherwise loop for ever under --full-auto-answers.
      ...(isIterationGranted(ask, answer) ? { extraRounds: 1 } : {}),
    });
  }
  return true;
}

/** True when a human's answer to the ask earns the pair one more iteration (see takeAnswers). */
export function isIterationGranted(ask: Ask, answer: Answer): boolean {
  if (ask.options.length === 0) return !answer.source.startsWith("model");
  return answer.answer === "retry" && ask.options.some((option) => option.key === "retry");
}

/** The ask.created event of an open ask (the last ask of its task and phase). */
export function findAsk(index: RunIndex, askId: string): AskCreated | undefined {
  for (const task of index.tasks.values()) if (task.lastAsk?.askId === askId) return task.lastAsk;
  return undefined;
}
