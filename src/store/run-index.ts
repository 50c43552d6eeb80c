/**
 * The indexed run state: what flows ask of a run's history ("did round 2's checkpoint happen?",
 * "which gates already ran?", "is a worker attempt still open?") answered by map reads instead of
 * scans of the journal. Built once from events.jsonl when a run is opened, then updated per event
 * as it is appended, so a run with a thousand tasks costs the same per lookup as one with one.
 *
 * tasks → rounds → steps. A task's rounds are keyed by phase and number (`scopeKey`), since a
 * pipeline counts rounds per phase.
 */
import type { RunEvent, Seat, TaskStatus } from "./schema/events.js";

type EventOf<T extends RunEvent["type"]> = Extract<RunEvent, { type: T }>;

/** What is known of one round of one task. */
export interface RoundState {
  /** Round number. */
  readonly round: number;
  /** HEAD when the round started. */
  readonly startHead: string;
  /**
   * The HEAD bosun last saw or left in this round: its start, a later move, the end of a worker
   * attempt, or the checkpoint — whichever was journaled last.
   */
  knownHead: string;
  /** The commit the round's change is measured from: its start, or where HEAD moved to before the checkpoint. */
  base: string;
  /** True once bosun began its checkpoint commit and until it recorded it (true after a kill there). */
  isCheckpointOpen: boolean;
  /** The checkpoint, once made. */
  checkpoint?: EventOf<"checkpoint.created">;
  /** Gates whose result is journaled. */
  readonly gates: Map<string, EventOf<"gate.completed">>;
  /** Finished dispatches by `seat:attempt`. */
  readonly completedDispatches: Map<string, EventOf<"dispatch.completed">>;
  /** Per seat: attempts started and not ended (more than 0 only after bosun was killed during one). */
  readonly openDispatches: Map<Seat, number>;
  /** The verifier's judgement, once recorded. */
  review?: EventOf<"review.completed">;
  /** A pipeline verifier's verdict, once recorded. */
  verdict?: EventOf<"verdict.recorded">;
  /** The round's verdict, once recorded. */
  completed?: EventOf<"round.completed">;
}

/** What is known of one task (in one phase). */
export interface TaskState {
  /** Task id. */
  readonly taskId: string;
  /** Phase, for flows that have them. */
  readonly phase: string | undefined;
  /** Rounds by number. */
  readonly rounds: Map<number, RoundState>;
  /** The last round started (0 before the first). */
  lastStartedRound: number;
  /** The last round verdict recorded. */
  lastCompleted?: EventOf<"round.completed">;
  /** The last answer to one of this task's asks. */
  lastAnswer?: EventOf<"ask.answered">;
  /** The last ask about this task (in this phase). */
  lastAsk?: EventOf<"ask.created">;
  /** The board status (team runs), from the last task.status event. */
  status?: TaskStatus;
  /** The last task.status event. */
  lastStatus?: EventOf<"task.status">;
  /** Its worktree, once created (and not removed). */
  worktree?: EventOf<"worktree.created">;
  /** A merge started and not yet recorded as done, conflicted or reverted (a kill mid-merge). */
  openMerge?: EventOf<"merge.started">;
  /** The last merge of this task that landed. */
  merged?: EventOf<"merge.completed">;
  /** Times its accepted work came back from the merge queue (a conflict, or tests a merge turned red). */
  mergeSendBacks: number;
  /** The last of those. */
  lastSendBack?: EventOf<"merge.conflicted" | "merge.reverted">;
  /** Rounds granted by humans' answers on top of the run's limit. */
  extraRounds: number;
  /** Failed attempts of the task so far (each retry_queued or failed status with failures counts). */
  failures: number;
  /** USD spent on this task's dispatches. */
  costUsd: number;
  /**
   * The seq of the task's last worker dispatch event, started or ended (0 before any): its files
   * change only while a worker works, so "did its files change since" starts here.
   */
  lastWorkerSeq: number;
  /** Harness of the last worker dispatch started (the board's "who is on it"). */
  workerHarness?: string;
  /**
   * USD reserved by dispatches started and not ended, by `round:seat:attempt`: after a kill -9
   * these were (maybe) spent, and a resumed run counts them so.
   */
  readonly openReservations: Map<string, number>;
}

/** The indexed state of one run. */
export interface RunIndex {
  /** Tasks by `scopeKey(taskId, phase)`. */
  readonly tasks: Map<string, TaskState>;
  /** Open asks: id → the task it is about (undefined: about the run). */
  readonly openAsks: Map<string, string | undefined>;
  /** Every ask the run made, oldest first (a pipeline's clarification ledger lists them). */
  readonly askIds: string[];
  /** A pipeline's phases, in the order implement and test take them, once planned. */
  phaseIds?: readonly string[];
  /** The follow-up run this run started, once started. */
  followup?: EventOf<"followup.started">;
  /** Number of events folded. */
  eventCount: number;
  /** The task ids of the plan, once planned (team runs). */
  plannedTaskIds?: readonly string[];
  /** True once the plan was approved (team runs). */
  isPlanApproved: boolean;
  /** Harnesses a provider limited: each one's last pause (until when, and the provider's message). */
  readonly pausedHarnesses: Map<string, EventOf<"harness.paused">>;
  /** The project's tests on the integration base (team runs), once checked. */
  baseline?: EventOf<"baseline.checked">;
  /**
   * The budget stop in force: the first refusal of a dispatch for the budget (team runs), until
   * an `options.changed` raises the cap that refused it (a resume with more money).
   */
  budgetExhausted?: EventOf<"budget.exhausted">;
  /** Tells put into a worker prompt, by tell id: never delivered twice, even if the file was not moved. */
  readonly deliveredTells: Map<string, EventOf<"tell.delivered">>;
}

/** The key of a task (in a phase) in `RunIndex.tasks`. */
export function scopeKey(taskId: string, phase?: string): string {
  return phase === undefined ? taskId : `${taskId}/${phase}`;
}

/** An empty index. */
export function createRunIndex(): RunIndex {
  return {
    tasks: new Map(),
    openAsks: new Map(),
    askIds: [],
    eventCount: 0,
    isPlanApproved: false,
    pausedHarnesses: new Map(),
    deliveredTells: new Map(),
  };
}

/** Builds the index of a whole journal. */
export function buildRunIndex(events: readonly RunEvent[]): RunIndex {
  const index = createRunIndex();
  for (const event of events) indexRunEvent(index, event);
  return index;
}

/** The task's state (undefined before any event named it). */
export function getTaskState(
  index: RunIndex,
  taskId: string,
  phase?: string,
): TaskState | undefined {
  return index.tasks.get(scopeKey(taskId, phase));
}

/** The state of one round of a task (undefined before it started). */
export function getRoundState(
  index: RunIndex,
  taskId: string,
  round: number,
  phase?: string,
): RoundState | undefined {
  return getTaskState(index, taskId, phase)?.rounds.get(round);
}

/** The key of a dispatch in `RoundState.completedDispatches`. */
export function dispatchKey(seat: Seat, attempt: number): string {
  return `${seat}:${attempt}`;
}

/** Folds one event into the index (in place: the index is the writer's own, updated per event). */
export function indexRunEvent(index: RunIndex, event: RunEvent): void {
  index.eventCount += 1;
  switch (event.type) {
    case "run.created":
      if (event.flow !== "team") ensureTask(index, event.taskId);
      return;
    case "round.started": {
      const task = ensureTask(index, event.taskId, event.phase);
      task.rounds.set(event.round, {
        round: event.round,
        startHead: event.head,
        knownHead: event.head,
        base: event.head,
        isCheckpointOpen: false,
        gates: new Map(),
        completedDispatches: new Map(),
        openDispatches: new Map(),
      });
      task.lastStartedRound = Math.max(task.lastStartedRound, event.round);
      return;
    }
    case "dispatch.started": {
      const round = findRound(index, event);
      if (round !== undefined)
        round.openDispatches.set(event.seat, (round.openDispatches.get(event.seat) ?? 0) + 1);
      if (event.seat === "worker") {
        const task = ensureTask(index, event.taskId, event.phase);
        task.workerHarness = event.harness;
        task.lastWorkerSeq = event.seq;
      }
      if (event.reservedUsd !== undefined)
        ensureTask(index, event.taskId, event.phase).openReservations.set(
          reservationKey(event),
          event.reservedUsd,
        );
      return;
    }
    case "dispatch.completed":
    case "dispatch.failed":
    case "dispatch.cancelled": {
      const task = ensureTask(index, event.taskId, event.phase);
      if (event.seat === "worker") task.lastWorkerSeq = event.seq;
      const round = findRound(index, event);
      if (round !== undefined) {
        const open = round.openDispatches.get(event.seat) ?? 0;
        round.openDispatches.set(event.seat, Math.max(0, open - 1));
        if (event.seat === "worker" && event.head !== undefined) round.knownHead = event.head;
        if (event.type === "dispatch.completed")
          round.completedDispatches.set(dispatchKey(event.seat, event.attempt), event);
      }
      if (event.type === "dispatch.completed")
        task.costUsd = roundUsd(task.costUsd + event.costUsd);
      task.openReservations.delete(reservationKey(event));
      return;
    }
    case "head.moved": {
      const round = findRound(index, event);
      if (round === undefined) return;
      round.knownHead = event.to;
      if (event.stage !== "gates") round.base = event.to;
      return;
    }
    case "checkpoint.started": {
      const round = findRound(index, event);
      if (round !== undefined) round.isCheckpointOpen = true;
      return;
    }
    case "checkpoint.created": {
      const round = findRound(index, event);
      if (round === undefined) return;
      round.isCheckpointOpen = false;
      round.checkpoint = event;
      round.knownHead = event.commit;
      return;
    }
    case "gate.completed":
      findRound(index, event)?.gates.set(event.name, event);
      return;
    case "review.completed": {
      const round = findRound(index, event);
      if (round !== undefined) round.review = event;
      return;
    }
    case "verdict.recorded": {
      const round = findRound(index, event);
      if (round !== undefined) round.verdict = event;
      return;
    }
    case "phases.planned":
      index.phaseIds = event.phaseIds;
      return;
    case "followup.started":
      index.followup = event;
      return;
    case "round.completed": {
      const round = findRound(index, event);
      if (round !== undefined) round.completed = event;
      ensureTask(index, event.taskId, event.phase).lastCompleted = event;
      return;
    }
    case "ask.created":
      index.openAsks.set(event.askId, event.taskId);
      index.askIds.push(event.askId);
      if (event.taskId !== undefined) ensureTask(index, event.taskId, event.phase).lastAsk = event;
      return;
    case "ask.answered": {
      index.openAsks.delete(event.askId);
      if (event.taskId === undefined) return;
      const task = ensureTask(index, event.taskId, event.phase);
      task.lastAnswer = event;
      task.extraRounds += event.extraRounds ?? 0;
      return;
    }
    case "plan.created":
      index.plannedTaskIds = event.taskIds;
      for (const taskId of event.taskIds) ensureTask(index, taskId);
      return;
    case "plan.approved":
      index.isPlanApproved = true;
      return;
    case "task.status": {
      const task = ensureTask(index, event.taskId);
      task.status = event.status;
      task.lastStatus = event;
      if (event.failures !== undefined) task.failures = Math.max(task.failures, event.failures);
      return;
    }
    case "worktree.created":
      ensureTask(index, event.taskId).worktree = event;
      return;
    case "worktree.removed": {
      const task = ensureTask(index, event.taskId);
      if (task.worktree?.dir === event.dir) delete task.worktree;
      return;
    }
    case "merge.started":
      ensureTask(index, event.taskId).openMerge = event;
      return;
    case "merge.completed": {
      const task = ensureTask(index, event.taskId);
      delete task.openMerge;
      task.merged = event;
      return;
    }
    case "merge.conflicted":
    case "merge.reverted": {
      const task = ensureTask(index, event.taskId);
      delete task.openMerge;
      if (event.type === "merge.reverted") delete task.merged;
      task.mergeSendBacks += 1;
      task.lastSendBack = event;
      return;
    }
    case "harness.paused":
      index.pausedHarnesses.set(event.harness, event);
      return;
    case "tell.delivered":
      index.deliveredTells.set(event.tellId, event);
      return;
    case "baseline.checked":
      index.baseline = event;
      return;
    case "budget.exhausted":
      index.budgetExhausted ??= event;
      return;
    case "options.changed":
      if (isBudgetStopLifted(index.budgetExhausted, event.options)) delete index.budgetExhausted;
      return;
    case "run.resumed":
    case "run.paused":
    case "run.completed":
      return;
  }
}

/**
 * True when new options raise the cap that stopped the run above the figure it stopped at.
 * (Resume records them only once they are above what is spent too: team-budget.ts.)
 */
function isBudgetStopLifted(
  stop: EventOf<"budget.exhausted"> | undefined,
  options: EventOf<"options.changed">["options"],
): boolean {
  if (stop === undefined || !("planner" in options)) return false;
  const capUsd = stop.scope === "run" ? options.budgetUsd : options.taskBudgetUsd;
  return capUsd === undefined || capUsd > stop.limitUsd;
}

function ensureTask(index: RunIndex, taskId: string, phase?: string): TaskState {
  const key = scopeKey(taskId, phase);
  let task = index.tasks.get(key);
  if (task === undefined) {
    task = {
      taskId,
      phase,
      rounds: new Map(),
      lastStartedRound: 0,
      costUsd: 0,
      lastWorkerSeq: 0,
      openReservations: new Map(),
      mergeSendBacks: 0,
      extraRounds: 0,
      failures: 0,
    };
    index.tasks.set(key, task);
  }
  return task;
}

function findRound(
  index: RunIndex,
  event: { taskId: string; phase?: string | undefined; round: number },
): RoundState | undefined {
  return getRoundState(index, event.taskId, event.round, event.phase);
}

function reservationKey(event: {
  round: number;
  seat: Seat;
  attempt?: number | undefined;
}): string {
  return `${event.round}:${event.seat}:${event.attempt ?? 1}`;
}

/** Rounds USD to the micro-dollar, as costs are recorded. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
