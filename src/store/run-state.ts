/**
 * The pure reducer from a run's events to its run.json snapshot. Replaying events.jsonl through
 * it after a crash gives exactly the snapshot the crashed process would have written. The
 * snapshot is small and the same size whatever the run's age; per-task lookups are the index's
 * (`run-index.ts`).
 */
import { StateError } from "../errors.js";
import { roundUsd } from "./run-index.js";
import type { RunEvent } from "./schema/events.js";
import type { PipelineOptions, ReviewOptions, TeamOptions } from "./schema/run-options.js";
import { RUN_FILE_VERSION, type Run } from "./schema/run.js";

/** Folds one event into the snapshot (returns a new object). */
export function applyRunEvent(run: Run | null, event: RunEvent, runId: string): Run {
  if (run === null) return createSnapshot(event, runId);
  const next: Run = { ...run, updatedAt: event.ts, eventCount: run.eventCount + 1 };
  switch (event.type) {
    case "run.created":
      throw new StateError(`Run ${runId}: a second run.created at seq ${event.seq}.`);
    case "run.resumed":
      return { ...next, status: run.status === "needs_human" ? run.status : "running" };
    case "run.paused":
      return { ...next, status: "paused", reason: event.reason };
    case "options.changed":
      return replaceOptions(next, event.options, runId);
    case "round.started":
      return {
        ...next,
        taskId: event.taskId,
        round: event.round,
        step: "round.started",
        status: "running",
        ...(next.flow === "pipeline" && event.phase !== undefined ? { phase: event.phase } : {}),
      };
    case "dispatch.started":
      return { ...next, taskId: event.taskId, step: `${event.seat}.started` };
    case "dispatch.completed":
      return {
        ...next,
        step: `${event.seat}.completed`,
        costUsd: roundUsd(run.costUsd + event.costUsd),
        tokens: {
          inputTokens: run.tokens.inputTokens + event.tokens.inputTokens,
          cachedInputTokens: run.tokens.cachedInputTokens + event.tokens.cachedInputTokens,
          outputTokens: run.tokens.outputTokens + event.tokens.outputTokens,
        },
      };
    case "dispatch.cancelled":
      return { ...next, step: `${event.seat}.cancelled` };
    case "dispatch.failed":
      return { ...next, step: `${event.seat}.failed`, reason: event.message };
    case "head.moved":
      return { ...next, step: "head.moved", headCommit: event.to };
    case "checkpoint.started":
      return { ...next, step: "checkpoint.started" };
    case "checkpoint.created":
      return {
        ...next,
        step: "checkpoint.created",
        ...(run.flow === "team" ? {} : { headCommit: event.commit }),
      };
    case "gate.completed":
      return { ...next, step: `gate.${event.name}` };
    case "review.completed":
      return { ...next, step: "review.completed" };
    case "round.completed":
      return { ...next, step: "round.completed" };
    case "ask.created":
      return { ...next, openAskIds: [...run.openAskIds, event.askId] };
    case "ask.answered": {
      const openAskIds = run.openAskIds.filter((id) => id !== event.askId);
      const raised = { ...next, status: "running" as const, openAskIds };
      if (raised.flow !== "review" || event.extraRounds === undefined) return raised;
      const maxRounds = raised.options.maxRounds + event.extraRounds;
      return { ...raised, options: { ...raised.options, maxRounds } };
    }
    case "plan.created":
      return { ...next, step: "plan.created" };
    case "plan.approved":
      return { ...next, step: "plan.approved" };
    case "task.status":
      return { ...next, taskId: event.taskId, step: `task.${event.status}` };
    case "worktree.created":
    case "worktree.removed":
    case "merge.started":
    case "merge.conflicted":
    case "harness.paused":
    case "budget.exhausted":
    case "baseline.checked":
    case "phases.planned":
      return { ...next, step: event.type };
    case "verdict.recorded":
      return { ...next, step: `verdict.${event.verdict}` };
    case "followup.started":
      return {
        ...next,
        step: event.type,
        ...(next.flow === "pipeline" ? { followupRunId: event.childRunId } : {}),
      };
    case "merge.completed":
      return { ...next, step: event.type, headCommit: event.commit };
    case "merge.reverted":
      return { ...next, step: event.type, headCommit: event.restored };
    case "tell.delivered":
      // Not a step: the worker dispatch it goes with is.
      return next;
    case "run.completed":
      return { ...next, status: event.status, reason: event.reason, step: "run.completed" };
  }
}

/** Replays a whole event list. */
export function reduceRunEvents(events: readonly RunEvent[], runId: string): Run {
  let run: Run | null = null;
  for (const event of events) run = applyRunEvent(run, event, runId);
  if (run === null) throw new StateError(`Run ${runId} has no events.`);
  return run;
}

function createSnapshot(event: RunEvent, runId: string): Run {
  if (event.type !== "run.created") {
    throw new StateError(
      `Run ${runId}: events.jsonl must start with run.created, not ${event.type}.`,
    );
  }
  const common = {
    version: RUN_FILE_VERSION,
    id: runId,
    status: "running" as const,
    createdAt: event.ts,
    updatedAt: event.ts,
    title: event.title,
    baseCommit: event.baseCommit,
    ...(event.parentRunId === undefined ? {} : { parentRunId: event.parentRunId }),
    headCommit: event.baseCommit,
    round: 0,
    step: "created",
    costUsd: 0,
    tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
    eventCount: 1,
    openAskIds: [] as string[],
  };
  if (event.flow === "review")
    return { ...common, flow: "review", taskId: event.taskId, options: event.options };
  if (event.flow === "pipeline")
    return {
      ...common,
      flow: "pipeline",
      taskId: event.taskId,
      depth: event.depth,
      options: event.options,
    };
  return {
    ...common,
    flow: "team",
    options: event.options,
    integrationBranch: event.integrationBranch,
  };
}

/** options.changed carries the options of the run's own flow; anything else is damage. */
function replaceOptions(
  run: Run,
  options: ReviewOptions | TeamOptions | PipelineOptions,
  runId: string,
): Run {
  if (run.flow === "review" && "reviewer" in options) return { ...run, options };
  if (run.flow === "team" && "planner" in options) return { ...run, options };
  if (run.flow === "pipeline" && "pairs" in options) return { ...run, options };
  throw new StateError(`Run ${runId}: options.changed does not match its ${run.flow} flow.`);
}
