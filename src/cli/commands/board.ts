/**
 * `bosun board [RUN]`: a team run's tasks grouped by status, with what each waits on, who works
 * on it and what it cost. Reads board.json while it is current with the journal (fast at any
 * history size); otherwise rebuilds the board from events.jsonl and plan.json, read-only.
 */
import { UsageError } from "../../errors.js";
import { readCurrentBoard } from "../../store/board-file.js";
import type { BosunPaths } from "../../store/paths.js";
import { readRun, resolveRunId } from "../../store/run-lookup.js";
import type { Board, BoardTask } from "../../store/schema/board.js";
import { TaskStatusSchema, type TaskStatus } from "../../store/schema/task-status.js";
import type { CliContext } from "../context.js";
import {
  color,
  formatStatus,
  formatTable,
  formatUsd,
  oneLine,
  printJson,
  shortSha,
} from "../format.js";

/**
 * The order of the status groups: the schema's own, a task's life from left to right, then the
 * ways it stops.
 */
const STATUS_ORDER: readonly TaskStatus[] = TaskStatusSchema.options;

/** Longest title shown in a row; the full one is in plan.json and `--json`. */
const TITLE_MAX = 40;

/** A critical path longer than this is shown by its ends. */
const PATH_SHOWN_MAX = 8;

/** Prints a team run's board; `--json` prints the board object. */
export async function runBoard(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getPaths();
  const runId = await resolveRunId(paths, wanted);
  const board = await loadBoard(paths, runId);
  if (ctx.isJson) printJson(board);
  else process.stdout.write(`${formatBoard(board).join("\n")}\n`);
  return 0;
}

/**
 * board.json when it is current; else the board rebuilt from the journal and the plan, without
 * the lock and without writing anything (the run's writer owns board.json).
 */
export async function loadBoard(paths: BosunPaths, runId: string): Promise<Board> {
  // run.json is small: it tells a review run apart before anything larger is read.
  const run = await readRun(paths, runId);
  if (run?.flow === "review") throw createReviewRunError(runId);
  const current = await readCurrentBoard(paths, runId);
  if (current !== null) return current;
  // Loaded only here: a current board.json needs neither the journal, the plan nor the task graph.
  const { readRebuiltBoard } = await import("../../flows/team/board-rebuild.js");
  const rebuilt = await readRebuiltBoard(paths, runId);
  if (rebuilt === null) throw createReviewRunError(runId);
  return rebuilt;
}

function createReviewRunError(runId: string): UsageError {
  return new UsageError(
    `Run ${runId} is a review run; the board shows the tasks of a team run (bosun run). See this run with "bosun status ${runId}".`,
  );
}

/** The board as lines: the run, the tasks grouped by status, the critical path and the totals. */
function formatBoard(board: Board): string[] {
  const lines = [
    `run      ${board.runId}  ${formatStatus(board.runStatus)}`,
    `goal     ${oneLine(board.title)}`,
    `branch   ${board.integrationBranch} at ${shortSha(board.headCommit)} (from ${shortSha(board.baseCommit)})`,
  ];
  if (!board.hasPlan) {
    lines.push(
      `plan     none yet: the planner is at work (watch with "bosun log --follow ${board.runId}")`,
    );
  } else {
    lines.push("", ...formatTaskGroups(board.tasks));
    lines.push("", `critical ${formatCriticalPath(board)}`);
  }
  const counts = STATUS_ORDER.filter((status) => board.totals.byStatus[status] > 0).map(
    (status) => `${board.totals.byStatus[status]} ${status}`,
  );
  lines.push(
    `tasks    ${board.totals.tasks}${counts.length === 0 ? "" : `: ${counts.join(" · ")}`}`,
    `cost     ${formatCost(board)}`,
  );
  return lines;
}

/** One aligned table of every task, cut into groups by status, each under its own heading. */
function formatTaskGroups(tasks: readonly BoardTask[]): string[] {
  const groups = STATUS_ORDER.map((status) => ({
    status,
    tasks: tasks.filter((task) => task.status === status),
  })).filter((group) => group.tasks.length > 0);
  const rows = groups.flatMap((group) => group.tasks.map(formatTaskRow));
  const table = formatTable(rows).split("\n");
  const lines: string[] = [];
  let at = 0;
  for (const group of groups) {
    lines.push(colorStatus(group.status, `${group.status} (${group.tasks.length})`));
    lines.push(...table.slice(at, at + group.tasks.length).map((row) => `  ${row}`.trimEnd()));
    at += group.tasks.length;
  }
  return lines;
}

function formatTaskRow(task: BoardTask): string[] {
  return [
    task.isCritical ? color.yellow("*") : " ",
    task.id,
    oneLine(task.title, TITLE_MAX),
    task.role,
    task.harness ?? "-",
    task.round === 0 ? "-" : `round ${task.round}`,
    formatUsd(task.costUsd),
    formatNotes(task),
  ];
}

/** What else matters about a task, most urgent first: its asks, what it waits on, why it stopped. */
function formatNotes(task: BoardTask): string {
  const notes: string[] = [];
  for (const askId of task.openAskIds) notes.push(`ask ${askId}`);
  for (const conflict of task.conflicts ?? []) notes.push(`⚠ ${oneLine(conflict, 80)}`);
  if (task.status !== "merged" && task.blockedBy.length > 0) {
    const shown = task.blockedBy.slice(0, 3).join(", ");
    const more = task.blockedBy.length > 3 ? ` +${task.blockedBy.length - 3} more` : "";
    notes.push(`waits on ${shown}${more}`);
  }
  if (task.mergedCommit !== undefined) notes.push(`merged ${shortSha(task.mergedCommit)}`);
  if (task.status === "retry_queued" && task.retryAt !== undefined)
    notes.push(`retry at ${task.retryAt}`);
  if (task.reason !== undefined) notes.push(oneLine(task.reason, 60));
  return notes.join(" · ");
}

/** `a → b → c (* in the list; about 90 min)`, long paths by their ends. */
function formatCriticalPath(board: Board): string {
  const ids = board.criticalPath;
  const shown =
    ids.length <= PATH_SHOWN_MAX
      ? ids.join(" → ")
      : `${ids.slice(0, 3).join(" → ")} → … → ${ids.slice(-3).join(" → ")} (${ids.length} tasks)`;
  return `${shown}  (marked *; about ${Math.round(board.criticalPathMinutes)} min of estimated work)`;
}

function formatCost(board: Board): string {
  const { costUsd, budgetUsd, taskBudgetUsd } = board.totals;
  const caps = [
    ...(budgetUsd === undefined ? [] : [`run budget ${formatUsd(budgetUsd)}`]),
    ...(taskBudgetUsd === undefined ? [] : [`${formatUsd(taskBudgetUsd)} per task`]),
  ];
  return `${formatUsd(costUsd)}${caps.length === 0 ? " (no budget cap)" : ` of ${caps.join(", ")}`}`;
}

function colorStatus(status: TaskStatus, text: string): string {
  switch (status) {
    case "merged":
      return color.green(text);
    case "running":
    case "accepted":
      return color.cyan(text);
    case "needs_human":
    case "retry_queued":
      return color.yellow(text);
    case "failed":
    case "cancelled":
      return color.red(text);
    case "pending":
      return color.bold(text);
  }
}
