/**
 * The task graph of a team run's plan, as pure functions: an order that respects dependencies,
 * the tasks ready to start, the critical path, dependents, and tasks that can never start.
 * Every function is O(tasks + dependencies) (plus a sort of its result), and deterministic: ties
 * go to priority, then to the planner's order.
 */
import { StateError } from "../../errors.js";
import { findDependencyCycles, formatCycle } from "../../store/plan-check.js";
import type { PlanTask } from "../../store/schema/plan.js";

export { scopesOverlap } from "./scopes.js";

/** The task fields the graph reads; a full `PlanTask` is one. */
export type GraphTask = Pick<PlanTask, "id" | "depends_on" | "priority" | "estimate">;

/** A plan, as far as the graph is concerned. */
export interface TaskGraph<T extends GraphTask = GraphTask> {
  /** The tasks, in the planner's order. */
  readonly tasks: readonly T[];
}

/**
 * Where a task of a run stands, for scheduling. `pending`: not started (a task missing from a
 * status map is pending); `running`: started, not merged yet (working, in review or queued to
 * merge); `merged`: its work is on the integration branch, so dependents may start; `failed`
 * and `escalated`: it stopped without merging, and only a retry or a human can change that.
 */
export type TaskRunStatus = "pending" | "running" | "merged" | "failed" | "escalated";

/** Task statuses by id. */
export type StatusById = ReadonlyMap<string, TaskRunStatus>;

/** The plan's tasks by index, with each task's dependencies as indexes. */
interface IndexedGraph<T extends GraphTask> {
  tasks: readonly T[];
  indexById: ReadonlyMap<string, number>;
  deps: readonly (readonly number[])[];
}

/**
 * Indexes a plan once: every dependency must name a task and ids must be unique. A plan that
 * passed `parsePlan` always does; one that did not is a damaged plan.json.
 */
function indexGraph<T extends GraphTask>(plan: TaskGraph<T>): IndexedGraph<T> {
  const indexById = new Map<string, number>();
  plan.tasks.forEach((task, index) => {
    if (indexById.has(task.id)) {
      throw new StateError(
        `Invalid plan: two tasks have the id "${task.id}". Check plan.json with parsePlan before scheduling it.`,
      );
    }
    indexById.set(task.id, index);
  });
  const deps = plan.tasks.map((task) =>
    task.depends_on.map((dep) => {
      const index = indexById.get(dep);
      if (index === undefined) {
        throw new StateError(
          `Invalid plan: task "${task.id}" depends on "${dep}", which is not in the plan. Check plan.json with parsePlan before scheduling it.`,
        );
      }
      return index;
    }),
  );
  return { tasks: plan.tasks, indexById, deps };
}

/**
 * Task indexes with every task after all of its dependencies: a depth-first walk in plan order
 * that emits a task once its dependencies are out, so the result stays close to the planner's
 * order. A cycle is a StateError naming it.
 */
function getOrder<T extends GraphTask>(graph: IndexedGraph<T>): number[] {
  const state = new Array<"new" | "open" | "done">(graph.tasks.length).fill("new");
  const order: number[] = [];
  for (let root = 0; root < graph.tasks.length; root++) {
    if (state[root] !== "new") continue;
    // Iterative: a chain of thousands of tasks must not overflow the call stack.
    const frames: [node: number, edge: number][] = [[root, 0]];
    state[root] = "open";
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) break;
      const [node, edge] = frame;
      const dep = graph.deps[node]?.[edge];
      if (dep === undefined) {
        frames.pop();
        state[node] = "done";
        order.push(node);
        continue;
      }
      frame[1] = edge + 1;
      if (state[dep] === "open") {
        const cycles = findDependencyCycles(graph.tasks);
        const named =
          cycles[0] === undefined ? `"${graph.tasks[node]?.id}"` : formatCycle(cycles[0]);
        throw new StateError(
          `Invalid plan: dependency cycle ${named}. Check plan.json with parsePlan before scheduling it.`,
        );
      }
      if (state[dep] === "new") {
        state[dep] = "open";
        frames.push([dep, 0]);
      }
    }
  }
  return order;
}

/**
 * Task ids in an order where each task comes after all of its dependencies; among tasks free to
 * go in either order, the planner's order wins. Throws a StateError on a cycle or an unknown id.
 */
export function topologicalOrder(plan: TaskGraph): string[] {
  const graph = indexGraph(plan);
  return getOrder(graph).map((index) => plan.tasks[index]?.id ?? "");
}

/**
 * The tasks that may start now: not started (`pending`, or absent from `statusById`) and every
 * dependency `merged`. Ordered by priority (1 first), then plan order.
 */
export function findReadyTasks<T extends GraphTask>(
  plan: TaskGraph<T>,
  statusById: StatusById,
): T[] {
  const graph = indexGraph(plan);
  const ready: { task: T; index: number }[] = [];
  plan.tasks.forEach((task, index) => {
    if ((statusById.get(task.id) ?? "pending") !== "pending") return;
    const deps = graph.deps[index] ?? [];
    const isReady = deps.every((dep) => statusById.get(plan.tasks[dep]?.id ?? "") === "merged");
    if (isReady) ready.push({ task, index });
  });
  ready.sort((a, b) => a.task.priority - b.task.priority || a.index - b.index);
  return ready.map((entry) => entry.task);
}

/** The longest chain of dependent tasks, by estimated work. */
export interface CriticalPath {
  /** Task ids from the first task to start to the last to finish. */
  taskIds: string[];
  /** Sum of the chain's estimates (in the unit of the estimates used, minutes by default). */
  total: number;
}

/**
 * The critical path: the chain of dependencies whose estimates add up the most, which bounds
 * how soon the whole plan can be done however many tasks run at once. A task's weight is
 * `estimateById.get(id)`, else its plan estimate (`estimate.minutes`), else the median of the
 * weights known (1 when none is), so an unestimated task counts as a typical one. Ties go to the
 * chain ending at the earlier task in plan order, and within a chain to the earlier dependency.
 */
export function findCriticalPath(
  plan: TaskGraph,
  estimateById?: ReadonlyMap<string, number>,
): CriticalPath {
  const graph = indexGraph(plan);
  const order = getOrder(graph);
  const weights = getWeights(plan, estimateById);
  const total = new Array<number>(plan.tasks.length).fill(0);
  const previous = new Array<number>(plan.tasks.length).fill(-1);
  for (const node of order) {
    let best = -1;
    for (const dep of graph.deps[node] ?? []) {
      const isLonger = best === -1 || (total[dep] ?? 0) > (total[best] ?? 0);
      const isTieEarlier = best !== -1 && total[dep] === total[best] && dep < best;
      if (isLonger || isTieEarlier) best = dep;
    }
    previous[node] = best;
    total[node] = (weights[node] ?? 0) + (best === -1 ? 0 : (total[best] ?? 0));
  }
  let end = -1;
  total.forEach((value, index) => {
    if (end === -1 || value > (total[end] ?? 0)) end = index;
  });
  const chain: number[] = [];
  for (let node = end; node !== -1; node = previous[node] ?? -1) chain.push(node);
  chain.reverse();
  return {
    taskIds: chain.map((index) => plan.tasks[index]?.id ?? ""),
    total: end === -1 ? 0 : (total[end] ?? 0),
  };
}

/** Each task's weight for the critical path (see findCriticalPath). */
function getWeights(plan: TaskGraph, estimateById?: ReadonlyMap<string, number>): number[] {
  const known = plan.tasks.map((task) => estimateById?.get(task.id) ?? task.estimate?.minutes);
  for (const [index, weight] of known.entries()) {
    if (weight !== undefined && !(Number.isFinite(weight) && weight >= 0)) {
      throw new RangeError(
        `estimate for task "${plan.tasks[index]?.id}" must be a finite number >= 0, got ${weight}`,
      );
    }
  }
  const sorted = known.filter((weight) => weight !== undefined).sort((a, b) => a - b);
  // The lower median: an actual estimate from the list, never an average of two.
  const fill = sorted.length === 0 ? 1 : (sorted[Math.floor((sorted.length - 1) / 2)] ?? 1);
  return known.map((weight) => weight ?? fill);
}

/**
 * Ids of the tasks that depend on `taskId`, in plan order: directly, or with `isTransitive`
 * also through other tasks (everything that cannot start before it is merged).
 */
export function listDependents(
  plan: TaskGraph,
  taskId: string,
  options: { isTransitive?: boolean } = {},
): string[] {
  const graph = indexGraph(plan);
  const start = graph.indexById.get(taskId);
  if (start === undefined) {
    throw new StateError(
      `Task "${taskId}" is not in the plan; the plan's tasks are listed in plan.json.`,
    );
  }
  const dependents: number[][] = plan.tasks.map(() => []);
  graph.deps.forEach((deps, index) => {
    for (const dep of new Set(deps)) dependents[dep]?.push(index);
  });
  const isFound = new Array<boolean>(plan.tasks.length).fill(false);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    for (const next of dependents[queue[head] ?? 0] ?? []) {
      if (isFound[next]) continue;
      isFound[next] = true;
      if (options.isTransitive === true) queue.push(next);
    }
  }
  return plan.tasks.filter((_, index) => isFound[index]).map((task) => task.id);
}

/** Whether a task can never start, and if so, because of which stopped task. */
export type BlockedVerdict =
  | { isBlocked: false }
  | {
      isBlocked: true;
      /** The failed or escalated task at the root of the blockage. */
      causeId: string;
      /** How it stopped. */
      causeStatus: StoppedStatus;
      /** Ids from the blocked task down to the cause, each depending on the next. */
      chain: string[];
      /** One sentence for a person: which task and why. */
      reason: string;
    };

/** The statuses that stop a task short of merging until it is retried or a human steps in. */
export type StoppedStatus = Extract<TaskRunStatus, "failed" | "escalated">;

/**
 * Whether `taskId` can never start as things stand: one of its dependencies, or one of theirs,
 * `failed` or was `escalated`, so it will not be merged unless it is retried or a human steps
 * in. Names the first such dependency in `depends_on` order. O(tasks + dependencies).
 */
export function isBlockedForever(
  plan: TaskGraph,
  statusById: StatusById,
  taskId: string,
): BlockedVerdict {
  const blockage = getBlockage(plan, statusById);
  const start = blockage.graph.indexById.get(taskId);
  if (start === undefined) {
    throw new StateError(
      `Task "${taskId}" is not in the plan; the plan's tasks are listed in plan.json.`,
    );
  }
  if (blockage.via[start] === -1) return { isBlocked: false };
  const idOf = (index: number): string => plan.tasks[index]?.id ?? "";
  const chain = [start];
  for (let at = blockage.via[start] ?? -1; at !== -1; at = blockage.via[at] ?? -1) chain.push(at);
  const cause = chain[chain.length - 1] ?? start;
  const causeStatus = blockage.stoppedStatus(cause) ?? "failed";
  const steps = chain.slice(1).map((index) => `"${idOf(index)}"`);
  const how = causeStatus === "failed" ? "failed" : "was escalated to a human";
  return {
    isBlocked: true,
    causeId: idOf(cause),
    causeStatus,
    chain: chain.map(idOf),
    reason: `task "${taskId}" cannot start: it depends on ${steps.join(", which depends on ")}, which ${how}`,
  };
}

/** A task that can never start as things stand, as `findBlockedTasks` lists it. */
export interface BlockedTask {
  /** The blocked task. */
  taskId: string;
  /** Its dependency that blocks it: stopped itself, or blocked in turn. */
  dependencyId: string;
  /** The failed or escalated task at the root of the blockage. */
  causeId: string;
  /** How that task stopped. */
  causeStatus: StoppedStatus;
}

/**
 * Every task not started yet (`pending`) that can never start as things stand (see
 * isBlockedForever), in plan order, in one pass: what a scheduler needs to mark them, or to
 * tell that the run cannot finish.
 */
export function findBlockedTasks(plan: TaskGraph, statusById: StatusById): BlockedTask[] {
  const { via, cause, stoppedStatus } = getBlockage(plan, statusById);
  const blocked: BlockedTask[] = [];
  plan.tasks.forEach((task, index) => {
    const dep = via[index] ?? -1;
    const root = cause[index] ?? -1;
    if (dep === -1 || root === -1 || (statusById.get(task.id) ?? "pending") !== "pending") return;
    blocked.push({
      taskId: task.id,
      dependencyId: plan.tasks[dep]?.id ?? "",
      causeId: plan.tasks[root]?.id ?? "",
      causeStatus: stoppedStatus(root) ?? "failed",
    });
  });
  return blocked;
}

/**
 * For each task, the first dependency (in `depends_on` order) that is stopped or blocked itself
 * (`via`, -1 for none) and the stopped task at the end of that chain (`cause`). Computed in
 * dependency order, so each task looks only at its own dependencies: O(tasks + dependencies).
 */
function getBlockage(
  plan: TaskGraph,
  statusById: StatusById,
): {
  graph: IndexedGraph<GraphTask>;
  via: number[];
  cause: number[];
  stoppedStatus: (index: number) => StoppedStatus | undefined;
} {
  const graph = indexGraph(plan);
  const stoppedStatus = (index: number): StoppedStatus | undefined => {
    const status = statusById.get(plan.tasks[index]?.id ?? "");
    return status === "failed" || status === "escalated" ? status : undefined;
  };
  const via = new Array<number>(plan.tasks.length).fill(-1);
  const cause = new Array<number>(plan.tasks.length).fill(-1);
  for (const node of getOrder(graph)) {
    for (const dep of graph.deps[node] ?? []) {
      if (stoppedStatus(dep) !== undefined) {
        via[node] = dep;
        cause[node] = dep;
        break;
      }
      if (via[dep] !== -1) {
        via[node] = dep;
        cause[node] = cause[dep] ?? -1;
        break;
      }
    }
  }
  return { graph, via, cause, stoppedStatus };
}
