/**
 * A team run's board (board.json), built purely from the run's snapshot, its index and its plan.
 * It lives in flows, not store, because it marks the critical path with the task graph
 * (`graph.ts`), which store may not import; store keeps its schema and its file.
 */
import { getTaskState, type RunIndex } from "../../store/run-index.js";
import { BOARD_FILE_VERSION, type Board, type BoardTask } from "../../store/schema/board.js";
import type { TaskStatus } from "../../store/schema/events.js";
import type { Plan, PlanTask } from "../../store/schema/plan.js";
import type { TeamRun } from "../../store/schema/run.js";
import { findCriticalPath } from "./graph.js";

/**
 * The board of a team run: one row per task of `plan` (none while `plan` is null, before the
 * planner is done), in plan order, with run totals. O(tasks + dependencies + open asks).
 */
export function buildBoard(
  run: TeamRun,
  index: RunIndex,
  plan: Plan | null,
  listConflicts: (taskId: string) => string[] = () => [],
): Board {
  const planTasks = plan?.tasks ?? [];
  const critical = plan === null ? { taskIds: [], total: 0 } : findCriticalPath(plan);
  const criticalIds = new Set(critical.taskIds);
  const asksByTask = new Map<string, string[]>();
  for (const [askId, taskId] of index.openAsks) {
    if (taskId === undefined) continue;
    const asks = asksByTask.get(taskId) ?? [];
    asks.push(askId);
    asksByTask.set(taskId, asks);
  }
  const statusOf = (taskId: string): TaskStatus => getTaskState(index, taskId)?.status ?? "pending";
  const byStatus: Record<TaskStatus, number> = {
    pending: 0,
    running: 0,
    retry_queued: 0,
    accepted: 0,
    merged: 0,
    needs_human: 0,
    failed: 0,
    cancelled: 0,
  };
  const tasks = planTasks.map((planTask) => {
    const task = createBoardTask(planTask, index, {
      statusOf,
      openAskIds: asksByTask.get(planTask.id) ?? [],
      isCritical: criticalIds.has(planTask.id),
      conflicts: listConflicts(planTask.id),
    });
    byStatus[task.status] += 1;
    return task;
  });
  const { options } = run;
  return {
    version: BOARD_FILE_VERSION,
    runId: run.id,
    title: run.title,
    runStatus: run.status,
    updatedAt: run.updatedAt,
    eventCount: run.eventCount,
    hasPlan: plan !== null,
    integrationBranch: run.integrationBranch,
    baseCommit: run.baseCommit,
    headCommit: run.headCommit,
    criticalPath: critical.taskIds,
    criticalPathMinutes: critical.total,
    totals: {
      tasks: tasks.length,
      byStatus,
      costUsd: run.costUsd,
      ...(options.budgetUsd === undefined ? {} : { budgetUsd: options.budgetUsd }),
      ...(options.taskBudgetUsd === undefined ? {} : { taskBudgetUsd: options.taskBudgetUsd }),
    },
    tasks,
  };
}

/** What a task's row needs from the rest of the board. */
interface RowContext {
  /** Any task's status (for its dependencies). */
  statusOf: (taskId: string) => TaskStatus;
  /** Open asks about this task. */
  openAskIds: string[];
  /** On the critical path. */
  isCritical: boolean;
  /** Conflicts with other running tasks noted by the live run. */
  conflicts: string[];
}

/** One task's row. */
function createBoardTask(planTask: PlanTask, index: RunIndex, row: RowContext): BoardTask {
  const state = getTaskState(index, planTask.id);
  const last = state?.lastStatus;
  return {
    id: planTask.id,
    title: planTask.title,
    role: planTask.role,
    status: state?.status ?? "pending",
    priority: planTask.priority,
    dependsOn: planTask.depends_on,
    blockedBy: planTask.depends_on.filter((dep) => row.statusOf(dep) !== "merged"),
    round: state?.lastStartedRound ?? 0,
    ...(state?.workerHarness === undefined ? {} : { harness: state.workerHarness }),
    costUsd: state?.costUsd ?? 0,
    ...(state?.worktree === undefined
      ? {}
      : { worktree: { dir: state.worktree.dir, branch: state.worktree.branch } }),
    ...(state?.merged === undefined ? {} : { mergedCommit: state.merged.commit }),
    ...(last?.reason === undefined ? {} : { reason: last.reason }),
    ...(last?.failures === undefined ? {} : { failures: last.failures }),
    ...(last?.retryAt === undefined ? {} : { retryAt: last.retryAt }),
    openAskIds: row.openAskIds,
    ...(row.conflicts.length === 0 ? {} : { conflicts: row.conflicts }),
    isCritical: row.isCritical,
  };
}
