/**
 * The state and scheduling side of a 1,000-task team run, without agents or git: the journal a
 * real run writes (the measured run's own events, per task, renamed), appended through the real
 * RunStore (schema, reducer, index, synced group-committed writes, throttled run.json) with
 * board.json kept current as the run keeps it and the scheduler's decisions after every task;
 * then resuming the run, building its board, and the CLI reading it.
 */
import { rm } from "node:fs/promises";
import { buildBoard } from "../src/flows/team/board.js";
import { findReadyTasks, type TaskRunStatus } from "../src/flows/team/graph.js";
import { writeBoard } from "../src/store/board-file.js";
import { writeJsonAtomic } from "../src/store/json-file.js";
import { createBosunPaths, type BosunPaths } from "../src/store/paths.js";
import { getTaskState, type RunIndex } from "../src/store/run-index.js";
import { BoardSchema } from "../src/store/schema/board.js";
import { RUN_JSON_INTERVAL_MS, RunStore, createRunId } from "../src/store/run-store.js";
import {
  RunEventSchema,
  type RunCreatedEvent,
  type RunEvent,
  type TaskStatus,
} from "../src/store/schema/events.js";
import { PlanSchema, type Plan } from "../src/store/schema/plan.js";
import type { Run, TeamRun } from "../src/store/schema/run.js";
import { createThrottledWriter } from "../src/store/throttled-writer.js";
import { createBenchPlan, getBenchTaskId } from "./team-run.js";
import { CLI, createRepo, runCapture, spawnDirect, time } from "./util.js";

/** What the state benchmark measured. */
export interface TeamStateFigures {
  /** Tasks in the plan. */
  tasks: number;
  /** Events in the journal. */
  events: number;
  /** Tasks in flight at once (so appends in flight at once). */
  lanes: number;
  /** Wall time of recording the whole run. */
  recordWallMs: number;
  /** This process's CPU time while recording it. */
  recordCpuMs: number;
  /** Of the recording: the scheduler's decisions, one per finished task. */
  decideMs: number;
  /** Of the recording: board.json builds and writes. */
  boardMs: number;
  /** board.json writes. */
  boardWrites: number;
  /** `RunStore.open` of the finished run (what a resume does: read, check, reduce, index). */
  openMs: number;
  /** `buildBoard` of the finished run. */
  buildBoardMs: number;
  /** Bare `node -e ""`. */
  nodeMs: number;
  /** `bosun status RUN`. */
  statusMs: number;
  /** `bosun board RUN --json` (board.json current). */
  boardCliMs: number;
  /** `bosun board RUN --json` with no board.json (rebuilt from the journal). */
  boardRebuildMs: number;
}

/** The journal of one real run, and the task whose events stand for every task. */
export interface JournalTemplate {
  /** The real run's id. */
  runId: string;
  /** Its journal. */
  journal: readonly RunEvent[];
  /** A task that merged in it. */
  taskId: string;
}

/** The event with every `from` in its JSON replaced by `to`, re-checked by the journal schema. */
function renameEvent(event: RunEvent, renames: ReadonlyArray<[string, string]>): RunEvent {
  let text = JSON.stringify(event);
  for (const [from, to] of renames) text = text.replaceAll(from, to);
  return RunEventSchema.parse(JSON.parse(text));
}

function isTaskEvent(event: RunEvent, taskId: string): boolean {
  return "taskId" in event && event.taskId === taskId;
}

/** The whole 1,000-task journal: the run's start, each task's events, the run's end. */
function createJournal(
  template: JournalTemplate,
  runId: string,
  plan: Plan,
): { created: RunCreatedEvent; start: RunEvent[]; tasks: RunEvent[][]; end: RunEvent[] } {
  const runRename: [string, string] = [template.runId, runId];
  const first = template.journal[0];
  const created = first === undefined ? undefined : renameEvent(first, [runRename]);
  if (created?.type !== "run.created" || created.flow !== "team")
    throw new Error("the template journal does not start with a team run's run.created");
  const start = template.journal
    .filter(
      (event) =>
        ["plan.created", "plan.approved", "baseline.checked"].includes(event.type) ||
        isTaskEvent(event, "plan"),
    )
    .map((event) =>
      event.type === "plan.created"
        ? { ...event, taskIds: plan.tasks.map((task) => task.id) }
        : renameEvent(event, [runRename]),
    );
  const taskEvents = template.journal.filter((event) => isTaskEvent(event, template.taskId));
  const tasks = plan.tasks.map((task) =>
    taskEvents.map((event) => renameEvent(event, [runRename, [template.taskId, task.id]])),
  );
  const count = plan.tasks.length;
  const end = RunEventSchema.parse({
    type: "run.completed",
    seq: 1,
    ts: new Date().toISOString(),
    status: "succeeded",
    reason: `${count}/${count} task(s) merged into ${created.integrationBranch}`,
  });
  return { created, start, tasks, end: [end] };
}

/**
 * The scheduler's work at each wake, as `schedule()` in flows/team/team-run.ts does it: every
 * task's status from the index (with the blocked-dependency scan), then `findReadyTasks`. Its git
 * part (a started task's scope against running worktrees) is not here: no worktrees.
 */
function decide(
  plan: Plan,
  index: RunIndex,
  running: ReadonlySet<string>,
): { ready: number; blocked: number } {
  const statusById = new Map<string, TaskRunStatus>();
  let blocked = 0;
  for (const task of plan.tasks) {
    const status: TaskStatus = getTaskState(index, task.id)?.status ?? "pending";
    const isBlocked =
      status === "pending" &&
      task.depends_on.some((dep) => {
        const depStatus = getTaskState(index, dep)?.status;
        return depStatus === "failed" || depStatus === "cancelled";
      });
    if (isBlocked) blocked += 1;
    statusById.set(task.id, toGraphStatus(status, running.has(task.id)));
  }
  return { ready: findReadyTasks(plan, statusById).length, blocked };
}

function toGraphStatus(status: TaskStatus, isRunningHere: boolean): TaskRunStatus {
  if (isRunningHere) return "running";
  if (status === "merged") return "merged";
  if (status === "failed" || status === "cancelled") return "failed";
  if (status === "needs_human") return "escalated";
  return "pending";
}

function toTeamRun(run: Run): TeamRun {
  if (run.flow !== "team") throw new Error("the benchmark's run is not a team run");
  return run;
}

/** What recording the run measured. */
interface RecordFigures {
  runId: string;
  events: number;
  recordWallMs: number;
  recordCpuMs: number;
  decideMs: number;
  boardMs: number;
  boardWrites: number;
}

/** Records the 1,000-task run: `lanes` tasks in flight at once, each awaiting its own appends. */
async function recordRun(
  paths: BosunPaths,
  template: JournalTemplate,
  plan: Plan,
  lanes: number,
): Promise<RecordFigures> {
  const runId = createRunId();
  const journal = createJournal(template, runId, plan);
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const store = await RunStore.create(paths, `${plan.goal}\n`, journal.created, {
    createId: () => runId,
    writeInputs: () => writeJsonAtomic(paths.planFile(runId), PlanSchema, plan),
  });
  let boardMs = 0;
  let boardWrites = 0;
  const boardWriter = createThrottledWriter({
    intervalMs: RUN_JSON_INTERVAL_MS,
    write: async () => {
      const at = performance.now();
      await writeBoard(paths, buildBoard(toTeamRun(store.run), store.index, plan));
      boardMs += performance.now() - at;
      boardWrites += 1;
    },
  });
  const append = async (event: RunEvent): Promise<void> => {
    await store.append(event);
    boardWriter.schedule();
  };
  for (const event of journal.start) await append(event);
  let decideMs = 0;
  const running = new Set<string>();
  let next = 0;
  const runLane = async (): Promise<void> => {
    for (let index = next++; index < plan.tasks.length; index = next++) {
      const taskId = getBenchTaskId(index);
      running.add(taskId);
      for (const event of journal.tasks[index] ?? []) await append(event);
      running.delete(taskId);
      const at = performance.now();
      decide(plan, store.index, running);
      decideMs += performance.now() - at;
    }
  };
  await Promise.all(Array.from({ length: lanes }, runLane));
  for (const event of journal.end) await append(event);
  await boardWriter.flush();
  const events = store.run.eventCount;
  await store.close();
  const cpu = process.cpuUsage(cpuBefore);
  return {
    runId,
    events,
    recordWallMs: performance.now() - startedAt,
    recordCpuMs: (cpu.user + cpu.system) / 1000,
    decideMs,
    boardMs,
    boardWrites,
  };
}

/** Checks that the commands timed below do their work: the run's status, a board of every task merged. */
async function checkCli(repo: string, runId: string, tasks: number): Promise<void> {
  const status = await runCapture(process.execPath, [CLI, "status", runId], repo);
  const board = await runCapture(process.execPath, [CLI, "board", runId, "--json"], repo);
  const parsed = board.exitCode === 0 ? BoardSchema.safeParse(JSON.parse(board.stdout)) : null;
  if (
    status.exitCode !== 0 ||
    parsed?.success !== true ||
    parsed.data.totals.byStatus.merged !== tasks
  )
    throw new Error(
      `The ${tasks}-task run does not read back (status exit ${status.exitCode}, board exit ${board.exitCode}); the benchmark would time errors.`,
    );
}

/**
 * Records a `tasks`-task run from `template` in a new repository under `dir`, then measures
 * reading it: a resume's `RunStore.open`, `buildBoard`, and the CLI (`cliRuns` runs each, medians).
 */
export async function benchTeamState(
  dir: string,
  template: JournalTemplate,
  options: { tasks: number; lanes: number; cliRuns: number },
): Promise<TeamStateFigures> {
  const repo = await createRepo(dir);
  const paths = createBosunPaths(repo);
  const plan = createBenchPlan(options.tasks);
  const recorded = await recordRun(paths, template, plan, options.lanes);
  const { runId } = recorded;
  let index: RunIndex | undefined;
  let run: Run | undefined;
  const openMs = await time(2, async () => {
    const store = await RunStore.open(paths, runId);
    index = store.index;
    run = store.run;
    await store.close();
  });
  if (index === undefined || run === undefined) throw new Error("the run did not open");
  const opened = { index, run: toTeamRun(run) };
  const buildBoardMs = await time(5, () => {
    buildBoard(opened.run, opened.index, plan);
    return Promise.resolve();
  });
  await checkCli(repo, runId, options.tasks);
  const cli = (args: string[]) => () => spawnDirect(process.execPath, [CLI, ...args], repo);
  const nodeMs = await time(options.cliRuns, () => spawnDirect(process.execPath, ["-e", ""], repo));
  const statusMs = await time(options.cliRuns, cli(["status", runId]));
  const boardCliMs = await time(options.cliRuns, cli(["board", runId, "--json"]));
  await rm(paths.boardFile(runId));
  const boardRebuildMs = await time(Math.min(3, options.cliRuns), cli(["board", runId, "--json"]));
  return {
    tasks: options.tasks,
    lanes: options.lanes,
    events: recorded.events,
    recordWallMs: recorded.recordWallMs,
    recordCpuMs: recorded.recordCpuMs,
    decideMs: recorded.decideMs,
    boardMs: recorded.boardMs,
    boardWrites: recorded.boardWrites,
    openMs,
    buildBoardMs,
    nodeMs,
    statusMs,
    boardCliMs,
    boardRebuildMs,
  };
}
