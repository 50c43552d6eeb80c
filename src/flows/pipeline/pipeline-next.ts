/**
 * What a pipeline run does next, derived from its indexed state alone (pure: the heart of resume).
 * The run walks its *stages* in order — plan, then implement and test per phase, then audit —
 * and each stage's iterations are rounds of the scope `<pair>` or `<pair>/<phase>`. A stage is
 * done when its verifier said `complete`; it goes on after `continue`, after a `question` once
 * answered, after `blocked` once a human said retry.
 */
import { getRoundState, getTaskState, type RunIndex } from "../../store/run-index.js";
import type { PipelineOptions, PipelinePair } from "../../store/schema/pipeline.js";

/** The phase implement and test take when there is no per-phase plan (`--phase-mode single`, or no plan pair). */
export const WHOLE_PLAN_PHASE = "all";

/** One stage of a pipeline: a pair, on one phase of the plan for implement and test. */
export interface PipelineStage {
  /** The pair. */
  pair: PipelinePair;
  /** The plan's phase (implement and test only). */
  phaseId?: string;
  /** The journal's phase: `plan`, `implement/<phase>`, `test/<phase>`, `audit`. */
  phase: string;
}

/** What to do next. */
export type PipelineStep =
  | { type: "plan-phases" }
  | { type: "iteration"; stage: PipelineStage; iteration: number }
  | { type: "ask"; stage: PipelineStage; iteration: number; kind: "question" | "blocked" }
  | { type: "wait"; askId: string }
  | { type: "audited"; iteration: number }
  | { type: "complete"; status: "succeeded" | "failed" | "cancelled"; reason: string };

/** The stage's journal phase. */
export function getStagePhase(pair: PipelinePair, phaseId?: string): string {
  return phaseId === undefined ? pair : `${pair}/${phaseId}`;
}

/** The ask a stage's iteration makes (one per iteration, so a crash re-writes the same ask). */
export function getAskId(runId: string, stage: PipelineStage, iteration: number): string {
  return `ask-${runId}-${stage.phase.replace("/", "-")}-i${iteration}`;
}

/** The stages of a run, in order; implement and test wait for the phases (`plan-phases`). */
export function listStages(
  options: PipelineOptions,
  phaseIds: readonly string[] | undefined,
): PipelineStage[] | "needs-phases" {
  const has = (pair: PipelinePair): boolean => options.pairs.includes(pair);
  const stages: PipelineStage[] = [];
  if (has("plan")) stages.push({ pair: "plan", phase: "plan" });
  if (has("implement") || has("test")) {
    if (phaseIds === undefined) return "needs-phases";
    for (const phaseId of phaseIds)
      for (const pair of ["implement", "test"] as const)
        if (has(pair)) stages.push({ pair, phaseId, phase: getStagePhase(pair, phaseId) });
  }
  if (has("audit")) stages.push({ pair: "audit", phase: "audit" });
  return stages;
}

/** Derives the next step of run `runId` from its index. */
export function getNextPipelineStep(
  index: RunIndex,
  runId: string,
  taskId: string,
  options: PipelineOptions,
): PipelineStep {
  const stages = listStages(options, index.phaseIds);
  // Before the phases are known only the plan can be walked; they are taken once it is complete.
  const walkable =
    stages !== "needs-phases"
      ? stages
      : options.pairs.includes("plan")
        ? [{ pair: "plan" as const, phase: "plan" }]
        : [];
  for (const stage of walkable) {
    const step = getStageStep(index, runId, taskId, options, stage);
    if (step !== "done") return step;
    if (stage.pair === "audit") {
      const last = getTaskState(index, taskId, stage.phase)?.lastCompleted;
      return { type: "audited", iteration: last?.round ?? 1 };
    }
  }
  if (stages === "needs-phases") return { type: "plan-phases" };
  return { type: "complete", status: "succeeded", reason: describeSuccess(options) };
}

function describeSuccess(options: PipelineOptions): string {
  return `every pair's verifier said complete (${options.pairs.join(" → ")})`;
}

/** The next step within one stage, or "done" once its verifier said complete. */
function getStageStep(
  index: RunIndex,
  runId: string,
  taskId: string,
  options: PipelineOptions,
  stage: PipelineStage,
): PipelineStep | "done" {
  const task = getTaskState(index, taskId, stage.phase);
  const lastStarted = task?.lastStartedRound ?? 0;
  const last = task?.lastCompleted;
  if (lastStarted === 0) return { type: "iteration", stage, iteration: 1 };
  if (last === undefined || last.round < lastStarted)
    return { type: "iteration", stage, iteration: lastStarted };
  if (last.verdict === "accept") return "done";
  const lastRound = getRoundState(index, taskId, last.round, stage.phase);
  const verdict = lastRound?.verdict?.verdict;
  const askId = getAskId(runId, stage, last.round);
  const isAsked = index.askIds.includes(askId);
  if (verdict === "question" || verdict === "blocked") {
    if (!isAsked) return { type: "ask", stage, iteration: last.round, kind: verdict };
    if (index.openAsks.has(askId)) return { type: "wait", askId };
    const answer = task?.lastAnswer;
    if (verdict === "blocked" && answer?.askId === askId && answer.answer === "abort")
      return {
        type: "complete",
        status: "cancelled",
        reason: `stopped by a human at ${stage.phase}`,
      };
  } else if (last.verdict === "escalate") {
    return {
      type: "complete",
      status: "failed",
      reason: `${stage.phase}, iteration ${last.round}: ${last.reason ?? "the iteration failed"}`,
    };
  }
  // A human's retry of a blocked pair, or answer to a question, grants one more iteration
  // (ask.answered's extraRounds).
  const maxIterations = options.maxIterations + (task?.extraRounds ?? 0);
  if (last.round >= maxIterations)
    return {
      type: "complete",
      status: "failed",
      reason: `${stage.phase} did not complete in ${maxIterations} iteration(s) (--max-iterations): ${describeLastIteration(verdict, lastRound?.gates.values() ?? [])}`,
    };
  return { type: "iteration", stage, iteration: last.round + 1 };
}

/** Why the last iteration of a stage that ran out of iterations did not complete it. */
function describeLastIteration(
  verdict: string | undefined,
  gates: Iterable<{ name: string; passed: boolean }>,
): string {
  if (verdict === "question")
    return "its verifier's last iteration ended in a question; see its last verdict.json";
  if (verdict !== undefined)
    return "its verifier still finds work missing; see its last verdict.json";
  // No verdict: a gate failed, so the verifier never ran.
  const failed = [...gates].filter((gate) => !gate.passed).map((gate) => gate.name);
  const which = failed.length === 0 ? "a gate" : `its ${failed.join(", ")} gate`;
  return `its last iteration failed ${which}, so no verifier judged it; see its last gates.json`;
}
