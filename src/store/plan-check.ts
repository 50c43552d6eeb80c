/**
 * The checks on a plan that a schema cannot make: unique ids, known roles, dependencies that
 * exist, no task depending on itself, no cycle, a cap on the number of tasks. Each problem is a
 * sentence a planner can act on.
 */
import { suggestKey } from "./config-issues.js";
import type { Plan } from "./schema/plan.js";

/** Most tasks a plan may hold unless the caller sets its own cap: more is a plan gone wrong. */
export const MAX_PLAN_TASKS = 1000;

/** What `checkPlan` needs beyond the plan. */
export interface CheckPlanOptions {
  /** The roles the run has seats for. */
  knownRoles: readonly string[];
  /** Most tasks allowed (default MAX_PLAN_TASKS). */
  maxTasks?: number;
  /** Paths each role owns (bosun.yaml `team.<role>.paths`): only that role's tasks may change them. */
  ownedPaths?: Readonly<Record<string, readonly string[]>>;
}

/** The task fields the graph checks read. */
export type PlanGraphTask = Pick<Plan["tasks"][number], "id" | "depends_on">;

/** Every problem of a plan's graph, in plan order; empty when it is sound. */
export function checkPlan(
  plan: { tasks: readonly (PlanGraphTask & { role: string; scope?: readonly string[] })[] },
  options: CheckPlanOptions,
): string[] {
  const problems: string[] = [];
  const maxTasks = options.maxTasks ?? MAX_PLAN_TASKS;
  if (plan.tasks.length > maxTasks) {
    problems.push(
      `the plan has ${plan.tasks.length} tasks, more than the ${maxTasks} allowed: merge small tasks, or leave later work for another run`,
    );
  }
  const roles =
    options.knownRoles.length > 0 ? options.knownRoles.join(", ") : "none are configured";
  const checkTask = (task: (typeof plan.tasks)[number]): string[] => {
    const found: string[] = [];
    if (!options.knownRoles.includes(task.role)) {
      const suggestion = suggestKey(task.role, options.knownRoles);
      const hint = suggestion === undefined ? "" : `; did you mean "${suggestion}"?`;
      found.push(
        `task ${JSON.stringify(task.id)}: role ${JSON.stringify(task.role)} is not one of the roles of this run (${roles})${hint}`,
      );
    }
    return [...found, ...findOwnershipProblems(task, options.ownedPaths ?? {})];
  };
  problems.push(...checkDependencyGraph(plan.tasks, TASK_NOUNS, checkTask));
  return problems;
}

/** How the graph checks name what they check: tasks of a plan, phases of a phase plan. */
export interface GraphNouns {
  /** One item: "task". */
  item: string;
  /** The list it sits in, as a path names it: "tasks". */
  list: string;
  /** What holds them: "plan". */
  whole: string;
}

const TASK_NOUNS: GraphNouns = { item: "task", list: "tasks", whole: "plan" };

/**
 * Every problem of a dependency graph, in order: ids used twice (or differing only in case);
 * per item, what `checkItem` finds, then an item depending on itself, twice on one id or on an
 * id that is not there; then cycles.
 */
export function checkDependencyGraph<T extends PlanGraphTask>(
  items: readonly T[],
  nouns: GraphNouns,
  checkItem: (item: T) => string[] = () => [],
): string[] {
  const problems = findDuplicateIds(items, nouns);
  const ids = items.map((item) => item.id);
  const idSet = new Set(ids);
  for (const item of items) {
    problems.push(...checkItem(item));
    const name = `${nouns.item} ${JSON.stringify(item.id)}`;
    const seen = new Set<string>();
    for (const dep of item.depends_on) {
      if (seen.has(dep)) {
        problems.push(`${name} lists ${JSON.stringify(dep)} twice in depends_on: list it once`);
        continue;
      }
      seen.add(dep);
      if (dep === item.id) {
        problems.push(
          `${name} depends on itself: remove ${JSON.stringify(dep)} from its depends_on`,
        );
      } else if (!idSet.has(dep)) {
        // A one- or two-letter id is one edit from any other: no suggestion is better there.
        const suggestion = dep.length >= 3 ? suggestKey(dep, ids) : undefined;
        const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
        problems.push(
          `${name} depends on ${JSON.stringify(dep)}, which is not a ${nouns.item} of this ${nouns.whole}${hint}: name a ${nouns.item}'s id or remove it`,
        );
      }
    }
  }
  for (const cycle of findDependencyCycles(items)) {
    problems.push(
      `dependency cycle: ${formatCycle(cycle)} (each ${nouns.item} depends on the next): remove one of these dependencies`,
    );
  }
  return problems;
}

/**
 * A task whose scope reaches into paths other roles own, and its own role does not: a problem
 * per such path. Ownership is by path prefix (`web` owns `web/app.ts` and `web/**`); a scope
 * wider than an owned path (`src` against an owned `src/web`) is not refused, only one inside it.
 */
function findOwnershipProblems(
  task: { id: string; role: string; scope?: readonly string[] },
  ownedPaths: Readonly<Record<string, readonly string[]>>,
): string[] {
  const problems: string[] = [];
  for (const entry of task.scope ?? []) {
    const target = normalizeOwnedPath(entry);
    const owners = Object.entries(ownedPaths)
      .filter(([, paths]) =>
        paths.some((owned) => {
          const prefix = normalizeOwnedPath(owned);
          return prefix !== "" && (target === prefix || target.startsWith(`${prefix}/`));
        }),
      )
      .map(([role]) => role);
    if (owners.length === 0 || owners.includes(task.role)) continue;
    problems.push(
      `task ${JSON.stringify(task.id)} (role ${task.role}) changes ${entry}, which ${owners.length === 1 ? "role" : "roles"} ${owners.join(", ")} ${owners.length === 1 ? "owns" : "own"} (bosun.yaml team.<role>.paths): assign it to ${owners.length === 1 ? "that role" : "one of them"}, or split the task`,
    );
  }
  return problems;
}

function normalizeOwnedPath(value: string): string {
  return value.replace(/^\.\//, "").replace(/\/+$/, "");
}

/** `a → b → c → a`. */
export function formatCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0] ?? ""].join(" → ");
}

/**
 * Ids used twice, and ids that differ only in case: they would share a directory and a branch
 * on a case-insensitive file system (macOS, Windows).
 */
function findDuplicateIds(items: readonly PlanGraphTask[], nouns: GraphNouns): string[] {
  const problems: string[] = [];
  const firstByKey = new Map<string, number>();
  const { item: noun, list } = nouns;
  items.forEach((item, index) => {
    const key = item.id.toLowerCase();
    const first = firstByKey.get(key);
    if (first === undefined) {
      firstByKey.set(key, index);
      return;
    }
    const other = items[first]?.id ?? "";
    problems.push(
      other === item.id
        ? `${list}[${first}] and ${list}[${index}] both have the id ${JSON.stringify(item.id)}: give each ${noun} its own id`
        : `${list}[${first}] (${JSON.stringify(other)}) and ${list}[${index}] (${JSON.stringify(item.id)}) have ids that differ only in case: ids name directories and branches, make them differ in more than case`,
    );
  });
  return problems;
}

/**
 * One cycle per group of tasks that depend on each other in a circle (a strongly connected
 * component of more than one task), each as the ids along it, starting at the task that comes
 * first in the plan. Self-dependencies and unknown ids are left to `checkPlan`'s own messages.
 * Deterministic: components come in plan order, and each walk follows `depends_on` order.
 * O(tasks + dependencies).
 */
export function findDependencyCycles(tasks: readonly PlanGraphTask[]): string[][] {
  const indexById = new Map<string, number>();
  tasks.forEach((task, index) => {
    if (!indexById.has(task.id)) indexById.set(task.id, index);
  });
  const edges = tasks.map((task, index) =>
    task.depends_on
      .map((dep) => indexById.get(dep))
      .filter((dep): dep is number => dep !== undefined && dep !== index),
  );
  const components = findStronglyConnected(edges).filter((component) => component.length > 1);
  const componentOf = new Map<number, number>();
  components.forEach((component, c) => {
    for (const node of component) componentOf.set(node, c);
  });
  const cycles = components.map((component, c) => {
    // Walk from the component's first task along the first dependency that stays inside it;
    // every task in it has one, so the walk must come back to a task it passed.
    const start = getMin(component);
    const path: number[] = [];
    const positionOf = new Map<number, number>();
    let node = start;
    while (!positionOf.has(node)) {
      positionOf.set(node, path.length);
      path.push(node);
      node = edges[node]?.find((next) => componentOf.get(next) === c) ?? start;
    }
    const cycle = path.slice(positionOf.get(node));
    const first = cycle.indexOf(getMin(cycle));
    return [...cycle.slice(first), ...cycle.slice(0, first)];
  });
  return cycles
    .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))
    .map((cycle) => cycle.map((index) => tasks[index]?.id ?? ""));
}

/**
 * Tarjan's strongly connected components, iterative (a 10,000-task chain must not overflow the
 * call stack). `edges[i]` lists the nodes node i points to.
 */
function findStronglyConnected(edges: readonly (readonly number[])[]): number[][] {
  const count = edges.length;
  const order = new Array<number>(count).fill(-1);
  const low = new Array<number>(count).fill(0);
  const isOnStack = new Array<boolean>(count).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let nextOrder = 0;
  for (let root = 0; root < count; root++) {
    if (order[root] !== -1) continue;
    // Each frame is a node and the position of the next edge to follow from it.
    const frames: [node: number, edge: number][] = [[root, 0]];
    order[root] = low[root] = nextOrder++;
    stack.push(root);
    isOnStack[root] = true;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) break;
      const [node, edge] = frame;
      const next = edges[node]?.[edge];
      if (next !== undefined) {
        frame[1] = edge + 1;
        if (order[next] === -1) {
          order[next] = low[next] = nextOrder++;
          stack.push(next);
          isOnStack[next] = true;
          frames.push([next, 0]);
        } else if (isOnStack[next]) {
          low[node] = Math.min(low[node] ?? 0, order[next] ?? 0);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low[parent[0]] = Math.min(low[parent[0]] ?? 0, low[node] ?? 0);
      if (low[node] === order[node]) {
        const component: number[] = [];
        let member: number | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          isOnStack[member] = false;
          component.push(member);
        } while (member !== node);
        components.push(component);
      }
    }
  }
  return components;
}

/** The smallest number of a non-empty list (no spread: a long list would overflow the stack). */
function getMin(values: readonly number[]): number {
  return values.reduce((min, value) => Math.min(min, value), Number.POSITIVE_INFINITY);
}
