/**
 * `bosun run --execute`: a planned team of agents. The planner turns the goal into a task graph;
 * the scheduler starts every task whose dependencies are merged, up to max-parallel, each in its
 * own git worktree (outside the user's checkout) on its own branch cut from the integration
 * branch; each task is rounds (team-task.ts); accepted work goes through the deterministic merge
 * queue (merge-queue.ts). Every transition is an event first, so a crash or `kill -9` resumes
 * with the worktrees re-adopted, only unfinished dispatches re-run, and nothing merged twice.
 */
import { mkdir, readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { writeAsk, readAsk } from "../../human/asks.js";
import {
  AgentError,
  BudgetExhaustedError,
  CancelledError,
  StateError,
  UsageError,
  getErrorMessage,
} from "../../errors.js";
import { writeBoard } from "../../store/board-file.js";
import type { BosunPaths } from "../../store/paths.js";
import { createThrottledWriter } from "../../store/throttled-writer.js";
import { buildBoard } from "./board.js";
import { readIntelligence } from "../../store/intelligence-file.js";
import { getTaskState } from "../../store/run-index.js";
import { RUN_JSON_INTERVAL_MS, RunStore, createRunId } from "../../store/run-store.js";
import type { Config } from "../../store/schema/config.js";
import {
  EVENTS_VERSION,
  type RunEvent,
  type RunEventInput,
  type TaskStatus,
} from "../../store/schema/events.js";
import type { Plan, PlanTask } from "../../store/schema/plan.js";
import type { TeamOptions } from "../../store/schema/run-options.js";
import type { TeamRun } from "../../store/schema/run.js";
import { excludeBosunDir, getHead, readRef, runGit } from "../../workspace/git.js";
import { createWorktree } from "../../workspace/worktree.js";
import { prepareWorktree, prepareWorktreeOnce } from "./worktree-setup.js";
import { createHarnessPauses, restoreHarnessPauses } from "../../agents/harness-pause.js";
import type { BosunEventListener } from "../events.js";
import type { RunContext } from "../flow-context.js";
import { listLockedRuns } from "../../store/run-read.js";
import { killLeftoverProcesses } from "../leftovers.js";
import { killAbandonedLeftovers } from "../work-tree.js";
import { TreeLooks } from "../tree-look.js";
import { driveWithStopChannel, getPauseReason } from "../stop-channel.js";
import { VerifyCannotRunError, runVerifyCommand } from "../verify.js";
import { createBudgetStopRecorder, createTeamBudget, getBudgetStopProblem } from "./team-budget.js";
import {
  PLAN_TASK_ID,
  getIntegrationBranch,
  getTaskBranch,
  type TeamContext,
} from "./team-context.js";
import { findReadyTasks, type TaskRunStatus } from "./graph.js";
import { IntegrationHead } from "./integration-head.js";
import { checkoutIntegration, createMergeQueue, readIntegrationHead } from "./merge-queue.js";
import { runPlanner } from "./planner.js";
import { createSerializer } from "./serialize.js";
import { listRoles } from "./roles.js";
import { listProtectedFiles } from "./team-gates.js";
import { runTeamTask } from "./team-task.js";
import { createChangeMeasurer, type ChangeMeasurer } from "./change-measurer.js";
import { createOverlapNotes, type OverlapNotes } from "./overlap-notes.js";
import { scopesOverlap } from "./scopes.js";
import { writeTaskEvidence, writeTeamSummary } from "./team-summary.js";

/** Failed attempts of a task (agent errors, stalls) before it is marked failed. */
export const MAX_TASK_FAILURES = 3;

/** Retry backoff of a task after a failed attempt: min(10 s · 2^(n-1), 300 s). */
export function getRetryDelayMs(failures: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, failures - 1), 300_000);
}

/** How a team run call ended. */
export interface TeamOutcome {
  /** The run. */
  run: TeamRun;
  /** True when the process stopped with the run unfinished (Ctrl-C, a signal). */
  isPaused: boolean;
}

/** What starting or resuming a team run needs. */
export interface TeamDriveOptions {
  /** Repository paths (`paths.root` is the user's checkout). */
  paths: BosunPaths;
  /** Resolved config. */
  config: Config;
  /** Cancels the run's agents and waits. */
  signal?: AbortSignal;
  /** Event subscriber (printer, TUI). */
  onEvent: BosunEventListener;
}

/** Starts a team run. */
export async function startTeamRun(
  options: TeamDriveOptions & { goal: string; title: string; teamOptions: TeamOptions },
): Promise<TeamOutcome> {
  const { paths } = options;
  await excludeBosunDir(paths.root);
  const baseCommit = await getHead(paths.root);
  const runId = createRunId();
  const store = await RunStore.create(
    paths,
    options.goal,
    {
      type: "run.created",
      version: EVENTS_VERSION,
      flow: "team",
      title: options.title,
      baseCommit,
      integrationBranch: getIntegrationBranch(runId),
      options: options.teamOptions,
    },
    { createId: () => runId },
  );
  options.onEvent({ ...store.events[0]!, runId: store.runId });
  return drive(store, options);
}

/** The options `bosun run --resume` may change: how much, how fast, how long; not who or what. */
export type TeamOptionOverrides = Partial<
  Pick<TeamOptions, "maxParallel" | "budgetUsd" | "taskBudgetUsd" | "timeoutSec" | "maxRepairs">
>;

/**
 * Resumes a team run (after a crash, a stop, or once its asks are answered). `overrides` change
 * its options from now on: journaled as `options.changed`, so a later resume keeps them. A run
 * the budget stopped goes on only when they raise the cap that stopped it.
 */
export async function resumeTeamRun(
  options: TeamDriveOptions & { runId: string; overrides?: TeamOptionOverrides },
): Promise<TeamOutcome> {
  const store = await RunStore.open(options.paths, options.runId);
  if (store.run.flow !== "team") {
    await store.close();
    throw new UsageError(
      `Run ${options.runId} is a review; resume it with "bosun review --resume ${options.runId}".`,
    );
  }
  if (store.run.status === "succeeded" || store.run.status === "cancelled") {
    const status = store.run.status;
    await store.close();
    throw new StateError(`Run ${options.runId} already ${status}; there is nothing to resume.`);
  }
  try {
    const current = readTeamRun(store).options;
    const changed = { ...current, ...options.overrides };
    const stop = store.index.budgetExhausted;
    const problem =
      stop === undefined
        ? undefined
        : getBudgetStopProblem(store.events, stop, changed, {
            runId: store.runId,
            command: `bosun run --resume ${store.runId}`,
          });
    // Refused before anything is recorded: a resume that could only stop again changes nothing.
    if (problem !== undefined) throw new UsageError(problem);
    await record(store, options.onEvent, { type: "run.resumed", pid: process.pid });
    if (JSON.stringify(changed) !== JSON.stringify(current))
      await record(store, options.onEvent, { type: "options.changed", options: changed });
  } catch (error) {
    await store.close();
    throw error;
  }
  return drive(store, options);
}

function readTeamRun(store: RunStore): TeamRun {
  const run = store.run;
  if (run.flow !== "team") throw new StateError(`Run ${store.runId} is not a team run.`);
  return run;
}

/** What board.json is built from besides the journal: the plan, and the live conflict notes. */
interface BoardSources {
  plan: Plan | null;
  notes?: OverlapNotes;
}

async function drive(store: RunStore, options: TeamDriveOptions): Promise<TeamOutcome> {
  // board.json, kept current (throttled like run.json) for `bosun board` and the surfaces.
  const board: BoardSources = { plan: null };
  const boardWriter = createThrottledWriter({
    intervalMs: RUN_JSON_INTERVAL_MS,
    write: () =>
      writeBoard(
        options.paths,
        buildBoard(readTeamRun(store), store.index, board.plan, (taskId) =>
          board.notes === undefined ? [] : board.notes.listFor(taskId),
        ),
      ),
    onError: (error) =>
      options.onEvent({
        type: "warning",
        runId: store.runId,
        message: `board.json not written: ${getErrorMessage(error)}`,
      }),
  });
  const onEvent: BosunEventListener = (event) => {
    if ("seq" in event) boardWriter.schedule();
    options.onEvent(event);
  };
  return driveWithBoard(store, { ...options, onEvent }, board).finally(() => boardWriter.flush());
}

async function driveWithBoard(
  store: RunStore,
  options: TeamDriveOptions,
  board: BoardSources,
): Promise<TeamOutcome> {
  try {
    // What this run's own killed process left running (an agent whose task may not run again now).
    const graceMs = options.config.dispatch.graceSec * 1000;
    for (const dir of await killLeftoverProcesses(options.paths, [store.runId], graceMs))
      options.onEvent({
        type: "warning",
        runId: store.runId,
        message: `Killed processes left running by this run's earlier process (${dir}).`,
      });
    const dead = (await listLockedRuns(options.paths)).filter((run) => run.pid === undefined);
    await killAbandonedLeftovers(
      options,
      dead.map((run) => run.runId),
      store.runId,
    );
    return await driveWithStopChannel(options.paths, store.runId, options, (signal) =>
      driveUntilPaused(store, { ...options, signal }, board),
    );
  } finally {
    await store.close();
  }
}

async function driveUntilPaused(
  store: RunStore,
  options: TeamDriveOptions,
  board: BoardSources,
): Promise<TeamOutcome> {
  let pause: string | undefined;
  try {
    pause = await driveTeam(store, options, board);
  } catch (error) {
    if (error instanceof CancelledError) pause = getPauseReason(options.signal);
    else if (error instanceof AgentError) {
      await record(store, options.onEvent, {
        type: "run.completed",
        status: "failed",
        reason: error.message,
      });
    } else throw error;
  }
  if (pause !== undefined && readTeamRun(store).status === "running")
    await record(store, options.onEvent, { type: "run.paused", reason: pause });
  return { run: readTeamRun(store), isPaused: pause !== undefined };
}

async function record(
  store: RunStore,
  onEvent: BosunEventListener,
  input: RunEventInput,
): Promise<RunEvent> {
  const event = await store.append(input);
  onEvent({ ...event, runId: store.runId });
  return event;
}

/** The whole run: plan, baseline, schedule until nothing is left to do. Returns a pause reason. */
async function driveTeam(
  store: RunStore,
  options: TeamDriveOptions,
  board: BoardSources,
): Promise<string | undefined> {
  const { paths, config } = options;
  const run = readTeamRun(store);
  const budget = createTeamBudget(store.events, run.options);
  // One set of provider pauses for the whole run: a 429 on one task pauses that harness for all.
  // Those a provider set before this process (a crash, a stop) still hold: its dispatches wait.
  const pauses = createHarnessPauses();
  for (const pause of restoreHarnessPauses(pauses, store.index.pausedHarnesses.values()))
    options.onEvent({
      type: "warning",
      runId: store.runId,
      message: `${pause.harness} is still paused until ${pause.until.toISOString()} by a provider limit recorded before this resume (${pause.reason}); its dispatches wait until then.`,
    });
  const ctx: RunContext = {
    paths,
    // The run's stall limit (fixed at its start) for every dispatch it makes.
    config: {
      ...config,
      dispatch: { ...config.dispatch, stallTimeoutSec: run.options.stallTimeoutSec },
    },
    pauses,
    runId: store.runId,
    get state() {
      return store.index;
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    record: (event) => record(store, options.onEvent, event),
    emit: options.onEvent,
    budget,
    // Task worktrees are bosun's own; the user's checkout (a review's) is looked at every time.
    looks: new TreeLooks(),
  };
  const integrationRef = `refs/heads/${run.integrationBranch}`;
  const team: TeamContext = {
    ctx,
    options: run.options,
    goal: (await readFile(paths.requestFile(store.runId), "utf8")).trim(),
    baseCommit: run.baseCommit,
    mainRoot: paths.root,
    integrationRef,
    integrationHead: new IntegrationHead(() => readIntegrationHead(team)),
    integrationDir: paths.integrationDir(store.runId),
    roles: new Map((await listRoles(paths)).map((role) => [role.id, role])),
    intelligence: await readIntelligence(paths),
    resumeCommand: `bosun run --resume ${store.runId}`,
    changes: createChangeMeasurer(store.index),
    overlapNotes: createOverlapNotes(),
  };
  const recordBudgetStop = createBudgetStopRecorder(ctx, run.options);
  await ensureIntegration(team);
  let plan: Plan;
  try {
    plan = await runPlanner(team);
  } catch (error) {
    // The planner's dispatch is refused like any other: the run ends budget_exhausted, not broken.
    if (!(error instanceof BudgetExhaustedError)) throw error;
    await recordBudgetStop(PLAN_TASK_ID, error);
    await ctx.record({
      type: "run.completed",
      status: "budget_exhausted",
      reason: `the budget stopped the planner: ${error.message}`,
    });
    return undefined;
  }
  board.plan = plan;
  board.notes = team.overlapNotes;
  if (!ctx.state.isPlanApproved) {
    if (run.options.isPlanGated && !(await takePlanApproval(team))) return undefined;
    if (!ctx.state.isPlanApproved) await ctx.record({ type: "plan.approved", by: "auto" });
  }
  await prepareIntegration(team);
  if (ctx.state.baseline === undefined) await checkBaseline(team);
  const outcome = await schedule(team, plan, recordBudgetStop);
  if (outcome.pause !== undefined) return outcome.pause;
  await finish(team, plan, store);
  return undefined;
}

/** Creates (or re-adopts) the integration branch and bosun's detached checkout of it. */
async function ensureIntegration(team: TeamContext): Promise<void> {
  if ((await readRef(team.mainRoot, team.integrationRef)) === null)
    await runGit(team.mainRoot, ["update-ref", team.integrationRef, team.baseCommit, ""]);
  const head = await team.integrationHead.refresh();
  const worktrees = await runGit(team.mainRoot, ["worktree", "list", "--porcelain"]);
  // git lists a checkout by its real path (a symlinked worktrees folder, macOS's /tmp), and one
  // removed by hand (rm -rf) until it is pruned: that one must be made anew too.
  const realDir = await realpath(team.integrationDir).catch(() => undefined);
  if (realDir === undefined || !worktrees.includes(`worktree ${realDir}\n`)) {
    await mkdir(path.dirname(team.integrationDir), { recursive: true });
    await runGit(team.mainRoot, ["worktree", "prune"]);
    await runGit(team.mainRoot, [
      "worktree",
      "add",
      "--quiet",
      "--detach",
      team.integrationDir,
      head,
    ]);
  } else await checkoutIntegration(team, head);
}

/** Sets up the integration checkout where the tests run, unless it was set up for this config. */
async function prepareIntegration(team: TeamContext): Promise<void> {
  // Without a test command nothing runs there but the planner; after a red baseline nothing at
  // all (merges are tested on a green one only).
  if (team.options.verify === "" || team.ctx.state.baseline?.passed === false) return;
  await prepareWorktreeOnce(team, {
    dir: team.integrationDir,
    logFile: team.ctx.paths.runLogFile(team.ctx.runId, "integration-setup.log"),
  });
}

/** --gate-plan: the run waits for a human to approve plan.json (maybe edited). */
async function takePlanApproval(team: TeamContext): Promise<boolean> {
  const { ctx } = team;
  const askId = `ask-${ctx.runId}-plan`;
  if (!ctx.state.openAsks.has(askId) && ctx.state.isPlanApproved === false) {
    const { answer } = await readAsk(ctx.paths, askId).catch(() => ({ answer: null }));
    if (answer === null) {
      await writeAsk(ctx.paths, {
        version: 1,
        id: askId,
        runId: ctx.runId,
        createdAt: new Date().toISOString(),
        question: `Team run ${ctx.runId}: review (or edit) the plan in ${ctx.paths.planFile(ctx.runId)}, then approve it.`,
        options: [
          { key: "approve", label: "run the plan as it is in plan.json" },
          { key: "abort", label: "stop the run" },
        ],
        context: `Approve with: bosun approve ${ctx.runId}`,
      });
      await ctx.record({ type: "ask.created", askId, question: "approve the plan" });
      await ctx.record({
        type: "run.completed",
        status: "needs_human",
        reason: `the plan waits for approval: bosun approve ${ctx.runId}`,
      });
      return false;
    }
  }
  const { answer } = await readAsk(ctx.paths, askId);
  if (answer === null) return false;
  if (ctx.state.openAsks.has(askId))
    await ctx.record({ type: "ask.answered", askId, answer: answer.answer });
  if (answer.answer === "abort") {
    await ctx.record({
      type: "run.completed",
      status: "cancelled",
      reason: "the plan was not approved",
    });
    return false;
  }
  await ctx.record({ type: "plan.approved", by: "human" });
  return true;
}

/** Runs the project's tests once on the integration base: only a green baseline can be broken. */
async function checkBaseline(team: TeamContext): Promise<void> {
  const { ctx } = team;
  if (team.options.verify === "") {
    await ctx.record({
      type: "baseline.checked",
      commit: team.baseCommit,
      passed: false,
      detail: "no test command",
    });
    return;
  }
  const { verify, isVerifyFound } = team.options;
  const logFile = ctx.paths.runLogFile(ctx.runId, "baseline-verify.log");
  let outcome: { passed: boolean; detail: string };
  try {
    outcome = await runVerifyCommand(
      ctx,
      {
        cwd: team.integrationDir,
        taskId: "integration",
        timeoutSec: team.options.timeoutSec,
        resumeCommand: team.resumeCommand,
        isVerifyFixed: true,
      },
      verify,
      logFile,
    );
  } catch (error) {
    // The command cannot run at all: one the user gave is a mistake to fix in a new run (the
    // error says so); one bosun found is only no test gate.
    if (!(error instanceof VerifyCannotRunError) || isVerifyFound !== true) throw error;
    outcome = { passed: false, detail: error.detail };
  }
  await ctx.record({
    type: "baseline.checked",
    commit: team.baseCommit,
    passed: outcome.passed,
    detail: outcome.detail,
  });
  if (isVerifyFound === true && !outcome.passed)
    ctx.emit({
      type: "warning",
      runId: ctx.runId,
      message: `The tests bosun found, \`${verify}\`, fail on the base commit (${outcome.detail}; see ${logFile}), so they gate no task in this run. For a new run: if they need installed dependencies, set worktree.setup (e.g. "npm ci") in bosun.yaml, or pass --verify.`,
    });
}

/** Journals a budget stop once per process (`createBudgetStopRecorder`). */
type BudgetStopRecorder = ReturnType<typeof createBudgetStopRecorder>;

/** A task worked on in this process. */
interface RunningTask {
  /** Its worktree. */
  cwd: string;
  /** Settles when it leaves this process's hands (merged, escalated, failed, retry-queued, budget). */
  done: Promise<void>;
}

/**
 * The one owner of scheduling state. Every decision is made from the journal's index (rebuilt
 * after a crash, retry times included): which tasks are ready (dependencies merged), which are
 * blocked forever, whether the budget stopped new work. Event-driven: it sleeps until a task
 * settles, a retry is due, or a stop signal comes.
 */
async function schedule(
  team: TeamContext,
  plan: Plan,
  recordBudgetStop: BudgetStopRecorder,
): Promise<{ pause?: string }> {
  const { ctx } = team;
  const mergeQueue = createMergeQueue(team);
  const protectedFiles = await listProtectedFiles(
    team.mainRoot,
    team.baseCommit,
    team.options.verify,
  );
  const running = new Map<string, RunningTask>();
  let fatal: unknown;
  // Counts tasks that left this process's hands: one that settles while a pass awaits git must
  // not be missed (its merge may have made others ready).
  let settledCount = 0;
  let wake: (() => void) | undefined;
  const onAbort = (): void => wake?.();
  ctx.signal?.addEventListener("abort", onAbort);
  // One at a time: git worktree creation takes repository-wide locks.
  const createWorktreeSerially = createSerializer();
  try {
    await applyAnswers(team, plan);
    for (;;) {
      if (ctx.signal?.aborted === true || fatal !== undefined) {
        await Promise.allSettled([...running.values()].map((task) => task.done));
        if (fatal instanceof Error) throw fatal;
        if (fatal !== undefined)
          throw new StateError(`A task failed unexpectedly: ${JSON.stringify(fatal)}`);
        return { pause: getPauseReason(ctx.signal) };
      }
      const settledAtStart = settledCount;
      await markBlockedTasks(team, plan);
      const now = Date.now();
      let nextRetryMs = Number.POSITIVE_INFINITY;
      const statusById = new Map<string, TaskRunStatus>();
      for (const task of plan.tasks) {
        const state = getTaskState(ctx.state, task.id);
        const status: TaskStatus = state?.status ?? "pending";
        const retryAt =
          state?.lastStatus?.retryAt === undefined ? 0 : Date.parse(state.lastStatus.retryAt);
        if (status === "retry_queued" && retryAt > now)
          nextRetryMs = Math.min(nextRetryMs, retryAt - now);
        statusById.set(task.id, toGraphStatus(status, running.has(task.id), retryAt <= now));
      }
      const isBudgetStopped = ctx.state.budgetExhausted !== undefined;
      let deferred = 0;
      // What each running task has changed: measured at most once per pass, and kept across
      // passes while nothing of that task happened (see `measureChanges`).
      const changedByTask = new Map<string, Promise<string[]>>();
      for (const task of findReadyTasks(plan, statusById)) {
        if (running.size >= team.options.maxParallel || isBudgetStopped) break;
        // Serialize only what really overlaps: a task whose scope covers a running task's changes waits.
        if (await overlapsRunning(task, running, changedByTask, team.changes)) {
          deferred += 1;
          continue;
        }
        const cwd = ctx.paths.worktreeDir(ctx.runId, task.id);
        const done = runTask(team, task, {
          cwd,
          protectedFiles,
          mergeQueue,
          running,
          createWorktreeSerially,
          recordBudgetStop,
        })
          .catch((error: unknown) => {
            fatal ??= error;
          })
          .finally(() => {
            running.delete(task.id);
            team.changes.forget(task.id);
            team.overlapNotes.forget(task.id);
            settledCount += 1;
            wake?.();
          });
        running.set(task.id, { cwd, done });
      }
      // Something changed during this pass (a task settled, or one waited only on a task now gone): look again.
      if (settledCount !== settledAtStart || (deferred > 0 && running.size === 0)) continue;
      if (running.size === 0 && !Number.isFinite(nextRetryMs)) return {};
      if (running.size === 0 && isBudgetStopped) return {};
      await new Promise<void>((resolve) => {
        wake = resolve;
        const timer = Number.isFinite(nextRetryMs)
          ? setTimeout(resolve, nextRetryMs + 5)
          : undefined;
        void Promise.race([...running.values()].map((task) => task.done)).then(() => {
          if (timer !== undefined) clearTimeout(timer);
          resolve();
        });
      });
      wake = undefined;
    }
  } finally {
    ctx.signal?.removeEventListener("abort", onAbort);
  }
}

/** The graph's view of a task's status. */
function toGraphStatus(
  status: TaskStatus,
  isRunningHere: boolean,
  isRetryDue: boolean,
): TaskRunStatus {
  if (isRunningHere) return "running";
  switch (status) {
    case "merged":
      return "merged";
    case "failed":
    case "cancelled":
      return "failed";
    case "needs_human":
      return "escalated";
    case "retry_queued":
      return isRetryDue ? "pending" : "running";
    // Running or accepted in the journal but not here: a crashed process's; it continues.
    case "pending":
    case "running":
    case "accepted":
      return "pending";
  }
}

/** What running one task needs from the scheduler. */
interface TaskRunOptions {
  cwd: string;
  protectedFiles: readonly string[];
  mergeQueue: ReturnType<typeof createMergeQueue>;
  running: ReadonlyMap<string, RunningTask>;
  createWorktreeSerially: <T>(work: () => Promise<T>) => Promise<T>;
  recordBudgetStop: BudgetStopRecorder;
}

/** One task, from its start to merged, escalated, failed or queued for a retry. */
async function runTask(team: TeamContext, task: PlanTask, options: TaskRunOptions): Promise<void> {
  const { ctx } = team;
  const setStatus = async (
    status: TaskStatus,
    extra: { reason?: string; failures?: number; retryAt?: string } = {},
  ): Promise<void> => {
    if (getTaskState(ctx.state, task.id)?.status === status && extra.reason === undefined) return;
    await ctx.record({ type: "task.status", taskId: task.id, status, ...extra });
  };
  try {
    await setStatus("running");
    await options.createWorktreeSerially(() => ensureTaskWorktree(team, task, options.cwd));
    const env = { BOSUN_PORT: String(await findFreePort()) };
    for (;;) {
      const verdict = await runTeamTask(team, {
        task,
        cwd: options.cwd,
        protectedFiles: options.protectedFiles,
        env,
        listOtherWorktrees: () =>
          [...options.running.entries()]
            .filter(([id]) => id !== task.id)
            .map(([taskId, other]) => ({ taskId, cwd: other.cwd })),
      });
      if (verdict.kind === "escalated") {
        await escalateTask(team, task, verdict.round, verdict.reason);
        await writeTaskEvidence(team, task.id, task.title);
        return;
      }
      await setStatus("accepted");
      const merged = await options.mergeQueue(task, verdict.commit);
      if (merged.kind === "merged") {
        await setStatus("merged");
        await writeTaskEvidence(team, task.id, task.title);
        return;
      }
      await setStatus("running", {
        reason:
          merged.kind === "conflicted"
            ? `conflicts in ${merged.files.join(", ")}`
            : "its merge turned the tests red",
      });
    }
  } catch (error) {
    if (error instanceof BudgetExhaustedError) {
      await options.recordBudgetStop(task.id, error);
      await setStatus("pending", { reason: error.message });
      return;
    }
    if (error instanceof AgentError && !(error instanceof CancelledError)) {
      // Counted in the index across restarts (a "running" status in between does not reset it).
      const failures = (getTaskState(ctx.state, task.id)?.failures ?? 0) + 1;
      if (failures >= MAX_TASK_FAILURES || error.isPermanent) {
        await setStatus("failed", { reason: error.message, failures });
        await writeTaskEvidence(team, task.id, task.title);
        return;
      }
      const retryAt = new Date(Date.now() + getRetryDelayMs(failures)).toISOString();
      await setStatus("retry_queued", { reason: error.message, failures, retryAt });
      return;
    }
    throw error;
  }
}

/** Creates (or re-adopts, on resume) the task's worktree on its branch, cut from the integration head. */
async function ensureTaskWorktree(team: TeamContext, task: PlanTask, dir: string): Promise<void> {
  const { ctx } = team;
  const recorded = getTaskState(ctx.state, task.id)?.worktree;
  const branch = getTaskBranch(ctx.runId, task.id);
  const base = recorded?.base ?? (await team.integrationHead.get());
  await mkdir(path.dirname(dir), { recursive: true });
  const worktree = await createWorktree(team.mainRoot, dir, branch, base);
  if (recorded !== undefined) return;
  // Made ready before it is journaled: a crash in between makes (and sets up) it again.
  // Also when adopted: a crash between its creation and this record left it maybe half set up.
  await prepareWorktree(team, {
    dir: worktree.dir,
    taskId: task.id,
    logFile: ctx.paths.taskFile(ctx.runId, task.id, "setup.log"),
  });
  // Just checked out by git and nothing else run in it: clean at its base, no need to look.
  const { copy, setup } = ctx.config.worktree;
  if (!worktree.isAdopted && copy.length === 0 && setup === "")
    ctx.looks?.note(dir, { head: worktree.head, dirty: [] });
  await ctx.record({ type: "worktree.created", taskId: task.id, dir: worktree.dir, branch, base });
}

/** True when the task's scope covers what a running task has changed so far (uncommitted work included). */
async function overlapsRunning(
  task: PlanTask,
  running: ReadonlyMap<string, RunningTask>,
  changedByTask: Map<string, Promise<string[]>>,
  measureChanges: ChangeMeasurer,
): Promise<boolean> {
  for (const [taskId, other] of running) {
    let measured = changedByTask.get(taskId);
    if (measured === undefined) {
      measured = measureChanges.measure(taskId, other.cwd);
      changedByTask.set(taskId, measured);
    }
    const changed = await measured;
    if (changed.length > 0 && scopesOverlap(task.scope, changed)) return true;
  }
  return false;
}

/** A free TCP port on 127.0.0.1 for the worktree's dev servers and tests (BOSUN_PORT). */
async function findFreePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A task that cannot go on without a human: an ask says why; the rest of the run goes on. */
async function escalateTask(
  team: TeamContext,
  task: PlanTask,
  round: number,
  reason: string,
): Promise<void> {
  const { ctx } = team;
  const askId = await findEscalationAskId(team, task, round);
  if (!ctx.state.openAsks.has(askId)) {
    await writeAsk(ctx.paths, {
      version: 1,
      id: askId,
      runId: ctx.runId,
      createdAt: new Date().toISOString(),
      question: `Team run ${ctx.runId}, task ${task.id} (${task.title}) needs a decision: ${reason}.`,
      options: [
        { key: "more", label: `run up to ${1 + team.options.maxRepairs} more round(s)` },
        { key: "accept", label: "accept its last work as it is and merge it" },
        { key: "abort", label: "drop the task" },
      ],
      context: `Worktree: ${ctx.paths.worktreeDir(ctx.runId, task.id)}. Round files: ${ctx.paths.roundDir(ctx.runId, task.id, round)}.`,
    });
    await ctx.record({ type: "ask.created", askId, taskId: task.id, question: reason });
  }
  await ctx.record({ type: "task.status", taskId: task.id, status: "needs_human", reason });
}

/**
 * The ask for this escalation: named after the task and round (so a crash between writing the ask
 * and journaling it re-writes the same one), with a number when that round already had an answered
 * ask (the same round can escalate again after an answer).
 */
async function findEscalationAskId(
  team: TeamContext,
  task: PlanTask,
  round: number,
): Promise<string> {
  const base = `ask-${team.ctx.runId}-${task.id}-r${round}`;
  for (let n = 1; ; n += 1) {
    const askId = n === 1 ? base : `${base}-${n}`;
    if (team.ctx.state.openAsks.has(askId)) return askId;
    const existing = await readAsk(team.ctx.paths, askId).catch(() => null);
    if (existing?.answer === null || existing === null) return askId;
  }
}

/**
 * Takes the answers humans gave to escalated tasks since the run stopped: `more` grants rounds,
 * `accept` merges the last work as it is, `abort` drops the task.
 */
async function applyAnswers(team: TeamContext, plan: Plan): Promise<void> {
  const { ctx } = team;
  for (const [askId, taskId] of [...ctx.state.openAsks]) {
    if (taskId === undefined || plan.tasks.every((task) => task.id !== taskId)) continue;
    const { answer, answerProblem } = await readAsk(ctx.paths, askId);
    if (answer === null || answerProblem !== undefined) continue;
    await ctx.record({
      type: "ask.answered",
      askId,
      taskId,
      answer: answer.answer,
      ...(answer.answer === "more" ? { extraRounds: 1 + team.options.maxRepairs } : {}),
    });
    const status: TaskStatus = answer.answer === "abort" ? "cancelled" : "pending";
    await ctx.record({
      type: "task.status",
      taskId,
      status,
      reason: `a human answered ${answer.answer}`,
    });
  }
}

/** Tasks whose dependency failed or escalated can never start: they fail, naming why. */
async function markBlockedTasks(team: TeamContext, plan: Plan): Promise<void> {
  const { ctx } = team;
  for (const task of plan.tasks) {
    const status = getTaskState(ctx.state, task.id)?.status ?? "pending";
    if (status !== "pending") continue;
    const stopped = task.depends_on.find((dep) => {
      const depStatus = getTaskState(ctx.state, dep)?.status;
      return depStatus === "failed" || depStatus === "cancelled";
    });
    if (stopped !== undefined)
      await ctx.record({
        type: "task.status",
        taskId: task.id,
        status: "failed",
        reason: `its dependency ${stopped} failed`,
      });
  }
}

/** The end: summary, evidence, --merge-to, and the run's final status. */
async function finish(team: TeamContext, plan: Plan, store: RunStore): Promise<void> {
  const { ctx } = team;
  const statuses = plan.tasks.map((task) => getTaskState(ctx.state, task.id)?.status ?? "pending");
  const count = (status: TaskStatus): number => statuses.filter((s) => s === status).length;
  const head = await team.integrationHead.refresh();
  const mergeNote =
    count("merged") === plan.tasks.length ? await mergeToUserBranch(team, head) : "";
  await writeTeamSummary(team, plan, store, mergeNote);
  const merged = `${count("merged")}/${plan.tasks.length} task(s) merged into ${team.integrationRef.replace("refs/heads/", "")}`;
  if (ctx.state.budgetExhausted !== undefined) {
    await ctx.record({
      type: "run.completed",
      status: "budget_exhausted",
      reason: `${merged}; the budget stopped the rest`,
    });
    return;
  }
  if (count("needs_human") > 0) {
    await ctx.record({
      type: "run.completed",
      status: "needs_human",
      reason: `${merged}; ${count("needs_human")} task(s) wait for a human ("bosun asks", then "bosun answer", then "${team.resumeCommand}")`,
    });
    return;
  }
  if (count("merged") < plan.tasks.length) {
    await ctx.record({
      type: "run.completed",
      status: "failed",
      reason: `${merged}; ${count("failed")} failed, ${count("cancelled")} dropped`,
    });
    return;
  }
  await ctx.record({
    type: "run.completed",
    status: "succeeded",
    reason: `${merged}${mergeNote === "" ? "" : `; ${mergeNote}`}`,
  });
}

/** --merge-to BRANCH: fast-forwards the user's branch to the integration head, and only that. */
async function mergeToUserBranch(team: TeamContext, head: string): Promise<string> {
  const target = team.options.mergeTo;
  if (target === undefined) return "";
  const ref = `refs/heads/${target}`;
  const old = await readRef(team.mainRoot, ref);
  if (old === null) {
    await runGit(team.mainRoot, ["update-ref", ref, head, ""]);
    return `created ${target} at ${head.slice(0, 7)}`;
  }
  const isFastForward = (await runGit(team.mainRoot, ["merge-base", old, head])).trim() === old;
  if (!isFastForward)
    return `${target} moved since the run started; merge it yourself: git merge ${team.integrationRef.replace("refs/heads/", "")}`;
  const current = (
    await runGit(team.mainRoot, ["symbolic-ref", "-q", "HEAD"]).catch(() => "")
  ).trim();
  if (current === ref) {
    // The user's checked-out branch: move it with their files, or not at all.
    await runGit(team.mainRoot, ["merge", "--ff-only", "-q", head]);
  } else await runGit(team.mainRoot, ["update-ref", ref, head, old]);
  return `fast-forwarded ${target} to ${head.slice(0, 7)}`;
}
