/**
 * The pure reducer from a run's events to its run.json snapshot. Replaying events.jsonl through
 * it after a crash gives exactly the snapshot the crashed process would have written.
 */
import { StateError } from "../errors.js";
import type { RunEvent } from "./schema/events.js";
import type { Run } from "./schema/run.js";

/** Folds one event into the snapshot (returns a new object). */
export function applyRunEvent(run: Run | null, event: RunEvent, runId: string): Run {
  if (run === null) {
    if (event.type !== "run.created") {
      throw new StateError(
        `Run ${runId}: events.jsonl must start with run.created, not ${event.type}.`,
      );
    }
    return {
      version: 1,
      id: runId,
      flow: event.flow,
      status: "running",
      createdAt: event.ts,
      updatedAt: event.ts,
      taskId: event.taskId,
      title: event.title,
      baseCommit: event.baseCommit,
      headCommit: event.baseCommit,
      round: 0,
      step: "created",
      options: event.options,
      costUsd: 0,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      eventCount: 1,
    };
  }
  const next: Run = { ...run, updatedAt: event.ts, eventCount: run.eventCount + 1 };
  switch (event.type) {
    case "run.created":
      throw new StateError(`Run ${runId}: a second run.created at seq ${event.seq}.`);
    case "run.resumed":
      return { ...next, status: run.status === "needs_human" ? run.status : "running" };
    case "run.paused":
      return { ...next, status: "paused", reason: event.reason };
    case "options.changed":
      return { ...next, options: event.options };
    case "round.started":
      return { ...next, round: event.round, step: "round.started", status: "running" };
    case "dispatch.started":
      return { ...next, step: `${event.role}.started` };
    case "dispatch.completed":
      return {
        ...next,
        step: `${event.role}.completed`,
        costUsd: round6(run.costUsd + event.costUsd),
        tokens: {
          inputTokens: run.tokens.inputTokens + event.tokens.inputTokens,
          cachedInputTokens: run.tokens.cachedInputTokens + event.tokens.cachedInputTokens,
          outputTokens: run.tokens.outputTokens + event.tokens.outputTokens,
        },
      };
    case "dispatch.cancelled":
      return { ...next, step: `${event.role}.cancelled` };
    case "dispatch.failed":
      return { ...next, step: `${event.role}.failed`, reason: event.message };
    case "head.moved":
      return { ...next, step: "head.moved", headCommit: event.to };
    case "checkpoint.started":
      return { ...next, step: "checkpoint.started" };
    case "checkpoint.created":
      return { ...next, step: "checkpoint.created", headCommit: event.commit };
    case "gate.completed":
      return { ...next, step: `gate.${event.name}` };
    case "review.completed":
      return { ...next, step: "review.completed" };
    case "round.completed":
      return { ...next, step: "round.completed" };
    case "ask.created":
      return { ...next, openAskId: event.askId };
    case "ask.answered": {
      const maxRounds = run.options.maxRounds + (event.extraRounds ?? 0);
      const { openAskId: _answered, ...rest } = next;
      return { ...rest, status: "running", options: { ...run.options, maxRounds } };
    }
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

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
