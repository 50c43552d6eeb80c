/**
 * The terminal monitor's state of one run, folded event by event from its journal (and live
 * events when the run is in this process): the run snapshot and index the flows use, the agents
 * with their state and last activity, the open asks, the timeline and the selected agent's tail.
 * Everything is updated in place per event, O(1) each; the views read it when they draw.
 */
import type { AgentEvent } from "../agents/agent-event.js";
import { formatEvent } from "../cli/printer.js";
import type { BosunEvent } from "../flows/events.js";
import { createRunIndex, indexRunEvent, type RunIndex } from "../store/run-index.js";
import { applyRunEvent } from "../store/run-state.js";
import type { Ask } from "../store/schema/asks.js";
import type { RunEvent, Seat, TaskStatus } from "../store/schema/events.js";
import type { PlanTask } from "../store/schema/plan.js";
import type { Run } from "../store/schema/run.js";

/** Lines of the timeline kept (older ones are in `bosun log`). */
export const TIMELINE_LINES_MAX = 200;

/** Lines of the selected agent's tail kept. */
export const TAIL_LINES_MAX = 200;

/** What an agent is doing, as the monitor shows it. */
export type AgentStateName = "working" | "done" | "failed" | "stalled" | "stopped";

/** One agent (a seat of a task, in a phase) and its latest dispatch. */
export interface AgentLane {
  /** `task[/phase]:seat`: one lane per seat of a task, across its rounds. */
  readonly key: string;
  /** Task id. */
  readonly taskId: string;
  /** Phase, for flows that have them (a pipeline's stage). */
  readonly phase: string | undefined;
  /** Its seat. */
  readonly seat: Seat;
  /** Harness of its latest dispatch. */
  harness: string;
  /** Round (a pipeline: iteration) of its latest dispatch. */
  round: number;
  /** Prompt attempt of its latest dispatch. */
  attempt: number;
  /** Its state. */
  state: AgentStateName;
  /** When it was last heard of (its dispatch's events, its output), ms since the epoch. */
  lastActivityMs: number;
  /** USD its finished dispatches cost. */
  costUsd: number;
}

/** An ask of the run waiting for a human. */
export interface OpenAsk {
  /** Ask id. */
  readonly askId: string;
  /** The task it is about, if any. */
  readonly taskId: string | undefined;
  /** The question, from the journal. */
  readonly question: string;
  /** The ask file's options, once read (empty: free text, or not read yet). */
  options: Ask["options"];
}

/** Which process works on the run. */
export type RunProcess =
  /** This monitor resumed it (after an answer). */
  | { kind: "this" }
  /** Another live process holds its lock. */
  | { kind: "other"; pid: number }
  /** None: the view is read-only. */
  | { kind: "none" };

/** The monitor's state of one run. Mutable: the source updates it, views read it. */
export interface MonitorModel {
  /** The run. */
  readonly runId: string;
  /** Its snapshot, folded from the journal (null before `run.created` is read). */
  run: Run | null;
  /** Its index, folded from the journal. */
  readonly index: RunIndex;
  /** A team run's planned tasks, once plan.json is read. */
  planTasks: readonly PlanTask[] | undefined;
  /**
   * Team tasks by their last `task.status` (every status present); planned tasks without one
   * yet are pending too (`countTasksByStatus`).
   */
  readonly statusCounts: Record<TaskStatus, number>;
  /** Agents, in the order they first worked. */
  readonly agents: AgentLane[];
  /** The same lanes by key. */
  readonly agentsByKey: Map<string, AgentLane>;
  /** The lane of each task's seat's latest dispatch, by `task:seat` (live events name no phase). */
  readonly latestLanes: Map<string, AgentLane>;
  /** Open asks, oldest first. */
  readonly asks: Map<string, OpenAsk>;
  /** The last events as lines. */
  readonly timeline: string[];
  /** The agent whose output is tailed (a lane key). */
  selectedAgentKey: string | undefined;
  /** True once the human picked the agent: new dispatches no longer take the tail over. */
  isSelectionPinned: boolean;
  /** The selected agent's last output lines. */
  readonly tail: string[];
  /** Which process works on the run. */
  process: RunProcess;
  /** The last action's outcome or a problem, for the status line. */
  message: string | undefined;
  /** Bumped on every change, so a view knows to redraw. */
  version: number;
}

/** An empty model of run `runId`. */
export function createMonitorModel(runId: string): MonitorModel {
  return {
    runId,
    run: null,
    index: createRunIndex(),
    planTasks: undefined,
    statusCounts: {
      pending: 0,
      running: 0,
      retry_queued: 0,
      accepted: 0,
      merged: 0,
      needs_human: 0,
      failed: 0,
      cancelled: 0,
    },
    agents: [],
    agentsByKey: new Map(),
    latestLanes: new Map(),
    asks: new Map(),
    timeline: [],
    selectedAgentKey: undefined,
    isSelectionPinned: false,
    tail: [],
    process: { kind: "none" },
    message: undefined,
    version: 0,
  };
}

/** The lane key of an agent. */
export function getAgentKey(taskId: string, phase: string | undefined, seat: Seat): string {
  return `${phase === undefined ? taskId : `${taskId}/${phase}`}:${seat}`;
}

/** Folds one journal event into the model. */
export function applyJournalEvent(model: MonitorModel, event: RunEvent): void {
  if (event.type === "task.status") {
    // Before the index takes it: the count leaves the task's previous status.
    const previous = model.index.tasks.get(event.taskId)?.status;
    if (previous !== undefined) model.statusCounts[previous] -= 1;
    model.statusCounts[event.status] += 1;
  }
  model.run = applyRunEvent(model.run, event, model.runId);
  indexRunEvent(model.index, event);
  const atMs = Date.parse(event.ts);
  switch (event.type) {
    case "dispatch.started": {
      const lane = getOrAddLane(model, event.taskId, event.phase, event.seat, event.harness);
      lane.harness = event.harness;
      lane.round = event.round;
      lane.attempt = event.attempt;
      lane.state = "working";
      lane.lastActivityMs = atMs;
      model.latestLanes.set(`${event.taskId}:${event.seat}`, lane);
      // The newest agent at work is the one worth watching, until the human picks one.
      if (!model.isSelectionPinned) model.selectedAgentKey = lane.key;
      break;
    }
    case "dispatch.completed":
    case "dispatch.failed":
    case "dispatch.cancelled": {
      const lane = getOrAddLane(model, event.taskId, event.phase, event.seat, event.harness);
      lane.state =
        event.type === "dispatch.completed"
          ? "done"
          : event.type === "dispatch.failed"
            ? // Killed by bosun's stall watch (silent, a hung or failing tool), or failed otherwise.
              event.stall === undefined
              ? "failed"
              : "stalled"
            : "stopped";
      lane.lastActivityMs = atMs;
      if (event.type === "dispatch.completed") lane.costUsd += event.costUsd;
      else if (event.type === "dispatch.failed") lane.costUsd += event.costUsd ?? 0;
      break;
    }
    case "ask.created":
      model.asks.set(event.askId, {
        askId: event.askId,
        taskId: event.taskId,
        question: event.question,
        options: [],
      });
      break;
    case "ask.answered":
      model.asks.delete(event.askId);
      break;
    default:
      break;
  }
  pushTimeline(model, formatEvent({ ...event, runId: model.runId }, false));
  model.version += 1;
}

/** Folds a live event (the run is in this process) into the model: agents' activity. */
export function applyLiveEvent(model: MonitorModel, event: BosunEvent): void {
  switch (event.type) {
    case "agent.output":
    case "agent.retry":
    case "manual.waiting": {
      const lane = model.latestLanes.get(`${event.taskId}:${event.seat}`);
      if (lane !== undefined) lane.lastActivityMs = Date.now();
      if (event.type !== "agent.output") pushTimeline(model, formatEvent(event, false));
      break;
    }
    case "warning":
      pushTimeline(model, formatEvent(event, false));
      break;
    default:
      // Journaled events come from the journal's follower, once.
      return;
  }
  model.version += 1;
}

/** Sets a team run's planned tasks (read once, from plan.json). */
export function setPlanTasks(model: MonitorModel, tasks: readonly PlanTask[]): void {
  model.planTasks = tasks;
  model.version += 1;
}

/** A team run's tasks by status, the planned ones without a status yet counted as pending. */
export function countTasksByStatus(model: MonitorModel): Record<TaskStatus, number> {
  const counts = { ...model.statusCounts };
  const withStatus = Object.values(counts).reduce((sum, count) => sum + count, 0);
  counts.pending += Math.max(0, (model.planTasks?.length ?? 0) - withStatus);
  return counts;
}

/** Appends lines of the selected agent's output (already formatted), keeping the last ones. */
export function appendTail(model: MonitorModel, lines: readonly string[]): void {
  model.tail.push(...lines);
  if (model.tail.length > TAIL_LINES_MAX) model.tail.splice(0, model.tail.length - TAIL_LINES_MAX);
  const lane =
    model.selectedAgentKey === undefined
      ? undefined
      : model.agentsByKey.get(model.selectedAgentKey);
  if (lane?.state === "working") lane.lastActivityMs = Date.now();
  model.version += 1;
}

/** The human selects the agent whose output is tailed (the source refills the tail). */
export function selectAgent(model: MonitorModel, key: string): void {
  model.isSelectionPinned = true;
  if (key === model.selectedAgentKey) return;
  model.selectedAgentKey = key;
  model.version += 1;
}

/** Empties the tail: the source follows another agent's log from now on. */
export function clearTail(model: MonitorModel): void {
  model.tail.length = 0;
  model.version += 1;
}

/** One line for an agent's output event, or undefined for events not worth a line. */
export function formatAgentOutput(event: AgentEvent): string | undefined {
  switch (event.type) {
    case "text":
      return event.text.trim().replace(/\s+/g, " ") || undefined;
    case "tool.use":
      return `▸ ${event.tool} ${event.summary}`;
    case "tool.result":
      return event.isError ? `✗ tool failed ${event.output ?? ""}`.trim() : undefined;
    case "file.edit":
      return `✎ ${event.kind} ${event.path}`;
    case "final":
      return `= ${event.text.trim().replace(/\s+/g, " ")}`;
    case "error":
      return `! ${event.message}`;
    case "unknown":
      return event.raw.trim() === "" ? undefined : event.raw;
    case "session":
    case "usage":
      return undefined;
  }
}

/** The lane of an agent, added (in first-seen order) the first time it works. */
function getOrAddLane(
  model: MonitorModel,
  taskId: string,
  phase: string | undefined,
  seat: Seat,
  harness: string,
): AgentLane {
  const key = getAgentKey(taskId, phase, seat);
  const found = model.agentsByKey.get(key);
  if (found !== undefined) return found;
  const lane: AgentLane = {
    key,
    taskId,
    phase,
    seat,
    harness,
    round: 0,
    attempt: 1,
    state: "working",
    lastActivityMs: 0,
    costUsd: 0,
  };
  model.agents.push(lane);
  model.agentsByKey.set(key, lane);
  return lane;
}

function pushTimeline(model: MonitorModel, text: string | undefined): void {
  if (text === undefined) return;
  model.timeline.push(...text.split("\n"));
  if (model.timeline.length > TIMELINE_LINES_MAX)
    model.timeline.splice(0, model.timeline.length - TIMELINE_LINES_MAX);
}
