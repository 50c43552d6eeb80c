import { describe, expect, it } from "vitest";
import {
  type GraphTask,
  type TaskRunStatus,
  findBlockedTasks,
  findCriticalPath,
  findReadyTasks,
  isBlockedForever,
  listDependents,
  topologicalOrder,
} from "./graph.js";

function makeTask(id: string, dependsOn: string[] = [], extra: Partial<GraphTask> = {}): GraphTask {
  return { id, depends_on: dependsOn, priority: 3, ...extra };
}

function makeStatuses(entries: Record<string, TaskRunStatus>): Map<string, TaskRunStatus> {
  return new Map(Object.entries(entries));
}

/**
 *   a ─┬─> b ──┐
 *      └─> c ──┴─> d      e (alone)
 */
const DIAMOND = {
  tasks: [
    makeTask("d", ["b", "c"]),
    makeTask("b", ["a"]),
    makeTask("e"),
    makeTask("c", ["a"]),
    makeTask("a"),
  ],
};

describe("topologicalOrder", () => {
  it("puts every task after its dependencies, otherwise keeping plan order", () => {
    expect(topologicalOrder(DIAMOND)).toEqual(["a", "b", "c", "d", "e"]);
    const free = { tasks: [makeTask("z"), makeTask("y"), makeTask("x")] };
    expect(topologicalOrder(free)).toEqual(["z", "y", "x"]);
  });

  it("refuses a cycle, naming it, and an unknown dependency", () => {
    const cyclic = { tasks: [makeTask("a", ["b"]), makeTask("b", ["a"])] };
    expect(() => topologicalOrder(cyclic)).toThrow(
      "Invalid plan: dependency cycle a → b → a. Check plan.json with parsePlan before scheduling it.",
    );
    expect(() => topologicalOrder({ tasks: [makeTask("a", ["x"])] })).toThrow(
      'Invalid plan: task "a" depends on "x", which is not in the plan.',
    );
    expect(() => topologicalOrder({ tasks: [makeTask("a"), makeTask("a")] })).toThrow(
      'Invalid plan: two tasks have the id "a".',
    );
  });
});

describe("findReadyTasks", () => {
  it("starts with the tasks without dependencies, by priority then plan order", () => {
    const plan = {
      tasks: [
        makeTask("low", [], { priority: 5 }),
        makeTask("mid1"),
        makeTask("top", [], { priority: 1 }),
        makeTask("mid2"),
        makeTask("child", ["top"], { priority: 1 }),
      ],
    };
    const ids = findReadyTasks(plan, new Map()).map((task) => task.id);
    expect(ids).toEqual(["top", "mid1", "mid2", "low"]);
  });

  it("waits until every dependency is merged, and skips tasks already started", () => {
    const ready = (statuses: Record<string, TaskRunStatus>): string[] =>
      findReadyTasks(DIAMOND, makeStatuses(statuses)).map((task) => task.id);
    expect(ready({})).toEqual(["e", "a"]);
    expect(ready({ a: "running", e: "running" })).toEqual([]);
    expect(ready({ a: "merged", e: "merged" })).toEqual(["b", "c"]);
    expect(ready({ a: "merged", b: "merged", c: "running" })).toEqual(["e"]);
    expect(ready({ a: "merged", b: "merged", c: "merged", e: "failed" })).toEqual(["d"]);
    expect(ready({ a: "failed" })).toEqual(["e"]);
  });

  it("returns the plan's own task objects", () => {
    expect(findReadyTasks(DIAMOND, new Map())[1]).toBe(DIAMOND.tasks[4]);
  });
});

describe("findCriticalPath", () => {
  it("counts tasks when nothing is estimated", () => {
    expect(findCriticalPath(DIAMOND)).toEqual({ taskIds: ["a", "b", "d"], total: 3 });
  });

  it("follows the heavier branch; ties go to the earlier task in plan order", () => {
    const withEstimates = new Map([
      ["a", 10],
      ["b", 5],
      ["c", 20],
      ["d", 1],
      ["e", 30],
    ]);
    expect(findCriticalPath(DIAMOND, withEstimates)).toEqual({
      taskIds: ["a", "c", "d"],
      total: 31,
    });
    // e alone ties with a → c → d: the chain ending earlier in plan order wins (d is task 0).
    withEstimates.set("e", 31);
    expect(findCriticalPath(DIAMOND, withEstimates).taskIds).toEqual(["a", "c", "d"]);
    withEstimates.set("e", 32);
    expect(findCriticalPath(DIAMOND, withEstimates)).toEqual({ taskIds: ["e"], total: 32 });
  });

  it("uses the plan's estimates, and the median for a task without one", () => {
    const plan = {
      tasks: [
        makeTask("a", [], { estimate: { minutes: 10 } }),
        makeTask("b", ["a"], { estimate: { minutes: 40 } }),
        makeTask("c", ["a"], { estimate: { minutes: 30 } }),
        makeTask("d", ["c"]),
        makeTask("e", [], { estimate: { minutes: 90 } }),
      ],
    };
    // Known: 10, 40, 30, 90; the lower median is 30, so d weighs 30: a → c → d = 70 < e = 90.
    expect(findCriticalPath(plan)).toEqual({ taskIds: ["e"], total: 90 });
    // The map wins over the plan, task by task; the median is taken over the weights used
    // (1, 5, 10, 30 → 5).
    const estimates = new Map([
      ["b", 1],
      ["e", 5],
    ]);
    expect(findCriticalPath(plan, estimates)).toEqual({
      taskIds: ["a", "c", "d"],
      total: 10 + 30 + 5,
    });
  });

  it("gives an empty path for an empty plan, and refuses a negative estimate", () => {
    expect(findCriticalPath({ tasks: [] })).toEqual({ taskIds: [], total: 0 });
    expect(() => findCriticalPath(DIAMOND, new Map([["b", -1]]))).toThrow(
      'estimate for task "b" must be a finite number >= 0, got -1',
    );
  });
});

describe("listDependents", () => {
  it("lists direct dependents in plan order, or every task downstream", () => {
    expect(listDependents(DIAMOND, "a")).toEqual(["b", "c"]);
    expect(listDependents(DIAMOND, "a", { isTransitive: true })).toEqual(["d", "b", "c"]);
    expect(listDependents(DIAMOND, "d", { isTransitive: true })).toEqual([]);
    expect(() => listDependents(DIAMOND, "nope")).toThrow('Task "nope" is not in the plan');
  });
});

describe("isBlockedForever and findBlockedTasks", () => {
  it("names the stopped dependency, through the chain that leads to it", () => {
    const statuses = makeStatuses({ a: "merged", b: "failed", c: "merged" });
    expect(isBlockedForever(DIAMOND, statuses, "d")).toEqual({
      isBlocked: true,
      causeId: "b",
      causeStatus: "failed",
      chain: ["d", "b"],
      reason: 'task "d" cannot start: it depends on "b", which failed',
    });
    const chain = {
      tasks: [makeTask("x"), makeTask("y", ["x"]), makeTask("z", ["y"])],
    };
    expect(isBlockedForever(chain, makeStatuses({ x: "escalated" }), "z")).toEqual({
      isBlocked: true,
      causeId: "x",
      causeStatus: "escalated",
      chain: ["z", "y", "x"],
      reason:
        'task "z" cannot start: it depends on "y", which depends on "x", which was escalated to a human',
    });
  });

  it("is not blocked while dependencies run or wait", () => {
    const statuses = makeStatuses({ a: "merged", b: "running" });
    expect(isBlockedForever(DIAMOND, statuses, "d")).toEqual({ isBlocked: false });
    expect(isBlockedForever(DIAMOND, new Map(), "d")).toEqual({ isBlocked: false });
    expect(() => isBlockedForever(DIAMOND, new Map(), "nope")).toThrow(
      'Task "nope" is not in the plan',
    );
  });

  it("lists every pending task that can never start, in plan order", () => {
    const statuses = makeStatuses({ a: "failed" });
    expect(findBlockedTasks(DIAMOND, statuses)).toEqual([
      { taskId: "d", dependencyId: "b", causeId: "a", causeStatus: "failed" },
      { taskId: "b", dependencyId: "a", causeId: "a", causeStatus: "failed" },
      { taskId: "c", dependencyId: "a", causeId: "a", causeStatus: "failed" },
    ]);
    // A task already running or stopped is not listed: only tasks still waiting to start.
    const started = makeStatuses({ a: "failed", b: "running", c: "escalated" });
    expect(findBlockedTasks(DIAMOND, started).map((blocked) => blocked.taskId)).toEqual(["d"]);
  });
});

/** A Map that counts its `get` calls. */
class CountingMap<K, V> extends Map<K, V> {
  gets = 0;
  override get(key: K): V | undefined {
    this.gets++;
    return super.get(key);
  }
}

/**
 * A generated plan of `count` tasks whose `tasks` and `depends_on` arrays count their element
 * reads (`reads.taskCount`, `reads.count`), so a test can bound the work done: each
 * task depends on its previous two (a ladder: exponential for a walk without memory) and on up
 * to two earlier tasks drawn by a fixed-seed generator.
 */
function makeLargePlan(count: number): {
  plan: { tasks: GraphTask[] };
  edges: number;
  reads: { count: number; taskCount: number };
} {
  const reads = { count: 0, taskCount: 0 };
  let seed = 42;
  const random = (below: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % below;
  };
  let edges = 0;
  const tasks = Array.from({ length: count }, (_, i) => {
    const deps = new Set<string>();
    if (i >= 1) deps.add(`t${i - 1}`);
    if (i >= 2) deps.add(`t${i - 2}`);
    if (i >= 3) for (let k = 0; k < 2; k++) deps.add(`t${random(i - 2)}`);
    edges += deps.size;
    const counted = new Proxy([...deps], {
      get(target, key, receiver): unknown {
        if (typeof key === "string" && /^\d+$/.test(key)) reads.count++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    return makeTask(`t${i}`, counted, { priority: 1 + random(5) });
  });
  const countedTasks = new Proxy(tasks, {
    get(target, key, receiver): unknown {
      if (typeof key === "string" && /^\d+$/.test(key)) reads.taskCount++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { plan: { tasks: countedTasks }, edges, reads };
}

describe("on a generated 1,000-task DAG", () => {
  const COUNT = 1000;

  it("orders every task after its dependencies", () => {
    const { plan } = makeLargePlan(COUNT);
    const order = topologicalOrder(plan);
    const position = new Map(order.map((id, index) => [id, index]));
    expect(order).toHaveLength(COUNT);
    for (const task of plan.tasks) {
      for (const dep of task.depends_on) {
        expect(position.get(dep) ?? -1).toBeLessThan(position.get(task.id) ?? -1);
      }
    }
  });

  it("finds the ready set reading each dependency and each status a bounded number of times", () => {
    const { plan, edges, reads } = makeLargePlan(COUNT);
    const statuses = new CountingMap<string, TaskRunStatus>();
    for (let i = 0; i < COUNT / 2; i++) statuses.set(`t${i}`, "merged");
    reads.count = reads.taskCount = 0;
    const ready = findReadyTasks(plan, statuses);
    // Linear: one pass to index the dependencies, one to check them.
    expect(reads.count).toBeLessThanOrEqual(2 * edges);
    expect(reads.taskCount).toBeLessThanOrEqual(4 * (COUNT + edges));
    expect(statuses.gets).toBeLessThanOrEqual(COUNT + edges);
    // The ladder makes t500 the only task with every dependency merged.
    expect(ready.map((task) => task.id)).toEqual([`t${COUNT / 2}`]);
  });

  it("finds the critical path in linear work, matching a brute-force longest chain", () => {
    const { plan, edges, reads } = makeLargePlan(COUNT);
    const estimates = new CountingMap<string, number>(
      plan.tasks.map((task, i) => [task.id, (i * 7919) % 97]),
    );
    reads.count = reads.taskCount = 0;
    const path = findCriticalPath(plan, estimates);
    expect(reads.count).toBeLessThanOrEqual(2 * edges);
    expect(reads.taskCount).toBeLessThanOrEqual(4 * (COUNT + edges));
    expect(estimates.gets).toBeLessThanOrEqual(2 * COUNT);
    // Brute force with memory (a walk without it would take 2^1000 steps on the ladder).
    const byId = new Map(plan.tasks.map((task) => [task.id, task]));
    const longest = new Map<string, number>();
    for (const id of topologicalOrder(plan)) {
      const task = byId.get(id);
      const before = Math.max(0, ...(task?.depends_on ?? []).map((dep) => longest.get(dep) ?? 0));
      longest.set(id, (estimates.get(id) ?? 0) + before);
    }
    expect(path.total).toBe(Math.max(...longest.values()));
    // The path is a real chain whose estimates add up to the total.
    for (let i = 1; i < path.taskIds.length; i++) {
      expect(byId.get(path.taskIds[i] ?? "")?.depends_on).toContain(path.taskIds[i - 1]);
    }
    const sum = path.taskIds.reduce((total, id) => total + (estimates.get(id) ?? 0), 0);
    expect(sum).toBe(path.total);
  });

  it("finds blocked tasks and dependents in linear work", () => {
    const { plan, edges, reads } = makeLargePlan(COUNT);
    const statuses = new CountingMap<string, TaskRunStatus>([["t0", "failed"]]);
    reads.count = reads.taskCount = 0;
    const blocked = findBlockedTasks(plan, statuses);
    expect(blocked).toHaveLength(COUNT - 1);
    expect(isBlockedForever(plan, statuses, `t${COUNT - 1}`)).toMatchObject({ causeId: "t0" });
    expect(listDependents(plan, "t0", { isTransitive: true })).toHaveLength(COUNT - 1);
    // Three calls, each indexing the plan once and walking it once.
    expect(reads.count).toBeLessThanOrEqual(3 * 2 * edges);
    expect(reads.taskCount).toBeLessThanOrEqual(3 * 4 * (COUNT + edges));
    expect(statuses.gets).toBeLessThanOrEqual(2 * 2 * (COUNT + edges));
  });
});
