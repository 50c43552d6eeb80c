/**
 * `bosun review`: worker/reviewer rounds on one task card until the reviewer approves, a human
 * is needed, or an agent fails. A durable state machine: the next step is always derived from
 * events.jsonl, so starting, resuming after a crash, and continuing after an answer share one path.
 */
import { readAsk, writeAsk } from "../human/asks.js";
import { AgentError, CancelledError, StateError, UsageError } from "../errors.js";
import { readJson, writeJsonAtomic } from "../store/json-file.js";
import type { BosunPaths } from "../store/paths.js";
import { getTaskState, type TaskState } from "../store/run-index.js";
import { RunStore, createRunId } from "../store/run-store.js";
import type { Config } from "../store/schema/config.js";
import { EVENTS_VERSION, type RunEvent } from "../store/schema/events.js";
import { FixListSchema } from "../store/schema/reports.js";
import type { ReviewOptions } from "../store/schema/run-options.js";
import type { ReviewRun, RunEndStatus } from "../store/schema/run.js";
import { TaskCardSchema, type TaskCard } from "../store/schema/task-card.js";
import { excludeBosunDir, getHead, listDirtyFiles } from "../workspace/git.js";
import type { BosunEventListener } from "./events.js";
import type { RoundScope, RunContext } from "./flow-context.js";
import { runReviewRound, type CarriedFixes } from "./review-round.js";
import { driveWithStopChannel, getPauseReason } from "./stop-channel.js";
import { acquireWorkTree } from "./work-tree.js";

/** How a review call ended. */
export interface ReviewOutcome {
  /** The run. */
  run: ReviewRun;
  /** True when the process stopped with the run still running (single round, Ctrl-C). */
  isPaused: boolean;
}

/** Common options. */
interface DriveOptions {
  /** Repository paths. */
  paths: BosunPaths;
  /** Resolved config. */
  config: Config;
  /** Stop after one round. */
  isSingleRound?: boolean;
  /** Cancels the run's agents. */
  signal?: AbortSignal;
  /** Event subscriber (printer, TUI). */
  onEvent: BosunEventListener;
}

/** What starting a run needs besides the common options. */
export type StartReviewOptions = DriveOptions & {
  /** The task card. */
  task: TaskCard;
  /** The request as given, kept as request.md. */
  request: string;
  /** Options fixed at start. */
  reviewOptions: ReviewOptions;
  /** Start even if the tree has uncommitted changes. */
  isDirtyAllowed: boolean;
};

/** Starts a new review run. */
export async function startReview(options: StartReviewOptions): Promise<ReviewOutcome> {
  // Named before the tree is taken: the tree's lock tells a second run which run holds it.
  const runId = createRunId();
  const workLock = await acquireWorkTree(options, runId);
  try {
    return await createAndDrive(options, runId);
  } finally {
    await workLock.release();
  }
}

async function createAndDrive(options: StartReviewOptions, runId: string): Promise<ReviewOutcome> {
  const { paths } = options;
  await excludeBosunDir(paths.root);
  const dirty = await listDirtyFiles(paths.root);
  if (dirty.length > 0 && !options.isDirtyAllowed) {
    throw new UsageError(
      `The working tree has uncommitted changes (${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", …" : ""}). Commit or stash them, or pass --allow-dirty to include them in the first checkpoint.`,
    );
  }
  const baseCommit = await getHead(paths.root);
  const store = await RunStore.create(
    paths,
    options.request,
    {
      type: "run.created",
      version: EVENTS_VERSION,
      flow: "review",
      taskId: options.task.task_id,
      title: options.task.goal.split("\n")[0]?.slice(0, 120) ?? options.task.task_id,
      baseCommit,
      options: options.reviewOptions,
    },
    {
      // The id the tree's lock already names (a second run there is told which run holds it).
      createId: () => runId,
      writeInputs: (id) =>
        writeJsonAtomic(paths.taskCardFile(id, options.task.task_id), TaskCardSchema, options.task),
    },
  );
  options.onEvent({ ...store.events[0]!, runId: store.runId });
  return drive(store, options);
}

/** Resumes a run: after a crash, Ctrl-C, --single-round, a failure, or once its ask is answered. */
export async function resumeReview(
  options: DriveOptions & {
    runId: string;
    /** Options to change from now on (flags given with --resume); recorded as an event. */
    overrides?: Partial<ReviewOptions>;
  },
): Promise<ReviewOutcome> {
  const workLock = await acquireWorkTree(options, options.runId);
  try {
    return await openAndDrive(options);
  } finally {
    await workLock.release();
  }
}

async function openAndDrive(
  options: DriveOptions & { runId: string; overrides?: Partial<ReviewOptions> },
): Promise<ReviewOutcome> {
  const store = await RunStore.open(options.paths, options.runId);
  if (store.run.flow !== "review") {
    await store.close();
    throw new UsageError(
      `Run ${options.runId} is a team run, not a review; resume it with "bosun run --resume ${options.runId}".`,
    );
  }
  const { status } = store.run;
  if (status === "succeeded" || status === "cancelled") {
    await store.close();
    throw new StateError(
      `Run ${options.runId} already ${status}; there is nothing to resume. Start a new run with "bosun review".`,
    );
  }
  try {
    await excludeBosunDir(options.paths.root);
    await record(store, options.onEvent, { type: "run.resumed", pid: process.pid });
    const current = readReviewRun(store).options;
    const changed = { ...current, ...options.overrides };
    if (JSON.stringify(changed) !== JSON.stringify(current)) {
      await record(store, options.onEvent, { type: "options.changed", options: changed });
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  return drive(store, options);
}

/** Runs the state machine until the run ends, pauses or waits for a human; always closes the store. */
async function drive(store: RunStore, options: DriveOptions): Promise<ReviewOutcome> {
  try {
    return await driveWithStopChannel(options.paths, store.runId, options, (signal) =>
      driveUntilPaused(store, { ...options, signal }),
    );
  } finally {
    await store.close();
  }
}

async function driveUntilPaused(store: RunStore, options: DriveOptions): Promise<ReviewOutcome> {
  let pause: string;
  try {
    const step = await driveSteps(store, options);
    if (step.pause === undefined) return { run: readReviewRun(store), isPaused: false };
    pause = step.pause;
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
    pause = getPauseReason(options.signal);
  }
  // A run left unfinished on purpose says so on disk, so listings never show it as running.
  if (store.run.status === "running")
    await record(store, options.onEvent, { type: "run.paused", reason: pause });
  return { run: readReviewRun(store), isPaused: true };
}

/** Drives rounds until the run ends or waits for a human, or until it must pause (and why). */
async function driveSteps(store: RunStore, options: DriveOptions): Promise<{ pause?: string }> {
  const { paths, config } = options;
  const taskId = readReviewRun(store).taskId;
  const taskFile = paths.taskCardFile(store.runId, taskId);
  const task = await readJson(taskFile, TaskCardSchema);
  if (task === null)
    throw new StateError(`Run ${store.runId} is missing ${taskFile}; it cannot continue.`);
  const ctx: RunContext = {
    paths,
    config,
    runId: store.runId,
    get state() {
      return store.index;
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    record: (event) => record(store, options.onEvent, event),
    emit: options.onEvent,
  };
  let roundsThisCall = 0;
  for (;;) {
    // Every pass either awaits a recorded transition or a round, or ends here; a signal always ends it.
    if (options.signal?.aborted === true) return { pause: getPauseReason(options.signal) };
    const run = readReviewRun(store);
    if (run.status === "needs_human" && !(await takeAnswer(ctx, run))) return {};
    // Checked after the answer too: "accept" and "abort" end the run; asking again would undo them.
    if (store.run.status === "succeeded" || store.run.status === "cancelled") return {};
    const { options: reviewOptions } = readReviewRun(store);
    const next = getNextStep(getTaskState(store.index, taskId), reviewOptions.maxRounds);
    if (next.type === "complete") {
      await ctx.record({ type: "run.completed", status: next.status, reason: next.reason });
      continue;
    }
    if (next.type === "escalate") {
      await escalate(ctx, readReviewRun(store), next.round, next.reason);
      continue;
    }
    if (options.isSingleRound === true && roundsThisCall === 1)
      return { pause: "--single-round: one round ran" };
    roundsThisCall += 1;
    const scope: RoundScope = {
      taskId,
      round: next.round,
      cwd: paths.root,
      harnesses: { worker: reviewOptions.worker, reviewer: reviewOptions.reviewer },
      maxRounds: reviewOptions.maxRounds,
      timeoutSec: reviewOptions.timeoutSec,
      resumeCommand: `bosun review --resume ${store.runId}`,
    };
    try {
      const carried = await readCarried(ctx, scope);
      await runReviewRound(ctx, scope, task, reviewOptions.verify, carried);
    } catch (error) {
      if (error instanceof AgentError) {
        await ctx.record({ type: "run.completed", status: "failed", reason: error.message });
        return {};
      }
      throw error;
    }
  }
}

/** The run's snapshot, known to be a review's (checked when the store was opened). */
function readReviewRun(store: RunStore): ReviewRun {
  const run = store.run;
  if (run.flow !== "review") throw new StateError(`Run ${store.runId} is not a review run.`);
  return run;
}

type NextStep =
  | { type: "round"; round: number }
  | { type: "escalate"; round: number; reason: string }
  | { type: "complete"; status: RunEndStatus; reason: string };

/**
 * Derives what to do next from the task's indexed state alone (pure; the heart of resume).
 * `maxRounds` is the run's, as raised by humans.
 */
export function getNextStep(task: TaskState | undefined, maxRounds: number): NextStep {
  const lastStarted = task?.lastStartedRound ?? 0;
  const lastCompleted = task?.lastCompleted;
  const lastAnswer = task?.lastAnswer;
  if (lastStarted === 0) return { type: "round", round: 1 };
  if (lastCompleted === undefined || lastCompleted.round < lastStarted)
    return { type: "round", round: lastStarted };
  if (lastCompleted.verdict === "accept") {
    return {
      type: "complete",
      status: "succeeded",
      reason: `approved by the reviewer in round ${lastCompleted.round}`,
    };
  }
  const isAnsweredSince = lastAnswer !== undefined && lastAnswer.seq > lastCompleted.seq;
  // A human's accept or abort ends the run; derived here so a crash right after the answer
  // cannot lose it (the run.completed that follows it is only the record of this decision).
  if (isAnsweredSince && lastAnswer?.answer === "accept") {
    return { type: "complete", status: "succeeded", reason: "accepted by a human" };
  }
  if (isAnsweredSince && lastAnswer?.answer === "abort") {
    return { type: "complete", status: "cancelled", reason: "stopped by a human" };
  }
  if (lastCompleted.verdict === "escalate" && !isAnsweredSince) {
    return {
      type: "escalate",
      round: lastCompleted.round,
      reason: lastCompleted.reason ?? "the round escalated",
    };
  }
  if (lastCompleted.round < maxRounds) return { type: "round", round: lastCompleted.round + 1 };
  return {
    type: "escalate",
    round: lastCompleted.round,
    reason: `${lastCompleted.round} round(s) ran without approval (max rounds ${maxRounds})`,
  };
}

async function escalate(
  ctx: RunContext,
  run: ReviewRun,
  round: number,
  reason: string,
): Promise<void> {
  const { taskId } = run;
  const fixList = await readJson(
    ctx.paths.roundFile(ctx.runId, taskId, round, "fix_list.json"),
    FixListSchema,
  );
  const open = (fixList?.items ?? [])
    .map((item, index) => `${index + 1}. ${item.reason}`)
    .join("\n");
  // One ask per escalated round, named after it: a crash between writing the ask and recording
  // it re-writes the same ask instead of leaving an orphan that answering would not reach.
  const askId = `ask-${ctx.runId}-r${round}`;
  await writeAsk(ctx.paths, {
    version: 1,
    id: askId,
    runId: ctx.runId,
    createdAt: new Date().toISOString(),
    question: `Review run ${ctx.runId} (task ${taskId}) needs a decision: ${reason}.`,
    options: [
      { key: "more", label: `run up to ${run.options.maxRounds} more round(s)` },
      { key: "accept", label: "accept the work as it is" },
      { key: "abort", label: "stop the run" },
    ],
    context: open === "" ? "No open issues were recorded." : `Open issues:\n${open}`,
  });
  await ctx.record({ type: "ask.created", askId, taskId, question: reason });
  await ctx.record({
    type: "run.completed",
    status: "needs_human",
    reason: `${reason}; answer with "bosun answer ${askId} more|accept|abort"`,
  });
}

/**
 * Applies the answer to the run's open ask, if a human gave one. Returns false while the run
 * must keep waiting: no answer yet, or an answer file that is not one of the ask's options (said
 * once, and left for a human to correct; it is never recorded, so it cannot be acted on).
 */
async function takeAnswer(ctx: RunContext, run: ReviewRun): Promise<boolean> {
  const askId = run.openAskIds[0];
  if (askId === undefined) return true;
  const { answer, answerProblem } = await readAsk(ctx.paths, askId);
  if (answer === null) return false;
  if (answerProblem !== undefined) {
    ctx.emit({
      type: "warning",
      runId: ctx.runId,
      message: `The answer was not taken: ${answerProblem}. Correct that file, or delete it and run "bosun answer ${askId} <option>".`,
    });
    return false;
  }
  const isMore = answer.answer === "more";
  await ctx.record({
    type: "ask.answered",
    askId,
    taskId: run.taskId,
    answer: answer.answer,
    ...(isMore ? { extraRounds: run.options.maxRounds } : {}),
  });
  return true;
}

/** The previous round's fix list, and a human's note if one was given since. */
async function readCarried(ctx: RunContext, scope: RoundScope): Promise<CarriedFixes> {
  const { round, taskId } = scope;
  if (round === 1) return { fixItems: [] };
  const previous = await readJson(
    ctx.paths.roundFile(ctx.runId, taskId, round - 1, "fix_list.json"),
    FixListSchema,
  );
  // Only an answer given since the previous round ended speaks to this round.
  const task = getTaskState(ctx.state, taskId);
  const previousEnd = task?.rounds.get(round - 1)?.completed;
  const answered = task?.lastAnswer;
  let note: string | undefined;
  if (answered !== undefined && answered.seq > (previousEnd?.seq ?? 0))
    note = (await readAsk(ctx.paths, answered.askId)).answer?.note;
  return { fixItems: previous?.items ?? [], ...(note === undefined ? {} : { note }) };
}

async function record(
  store: RunStore,
  onEvent: BosunEventListener,
  input: Parameters<RunStore["append"]>[0],
): Promise<RunEvent> {
  const event = await store.append(input);
  onEvent({ ...event, runId: store.runId });
  return event;
}
