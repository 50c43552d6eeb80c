import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import { SAFE_ID_RULE } from "../paths.js";
import { MAX_PLAN_TASKS } from "../plan-check.js";
import { type ParsePlanOptions, type PlanTask, PlanSchema, parsePlan } from "./plan.js";

const ROLES = { knownRoles: ["worker", "reviewer", "tester"] };

/** A valid task; `extra` overrides or adds fields (a field set to undefined is left out). */
function makeTask(
  id: string,
  dependsOn: string[] = [],
  extra: Record<string, unknown> = {},
): PlanTask {
  const task: Record<string, unknown> = {
    id,
    title: `Task ${id}`,
    description: `Do ${id}.`,
    role: "worker",
    depends_on: dependsOn,
    acceptance_criteria: [`${id} works`],
    scope: [`src/${id}/`],
    priority: 3,
    ...extra,
  };
  for (const key of Object.keys(task)) if (task[key] === undefined) delete task[key];
  return task as PlanTask;
}

function makePlanText(tasks: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ goal: "Ship it", tasks, ...extra }, null, 2);
}

/** The error of a plan that must be refused. */
function getError(text: string, options: ParsePlanOptions = ROLES): string {
  const result = parsePlan(text, options);
  if (result.ok) throw new Error("expected the plan to be refused");
  return result.error;
}

describe("parsePlan: accepted plans", () => {
  it("accepts a plan, adding version 1 when the planner left it out", () => {
    const tasks = [makeTask("a"), makeTask("b", ["a"], { estimate: { minutes: 30 } })];
    expect(parsePlan(makePlanText(tasks), ROLES)).toEqual({
      ok: true,
      plan: { version: 1, goal: "Ship it", tasks },
    });
  });

  it("accepts the plan in a ```json fence with prose around it (planners do that)", () => {
    const reply = `Here is the plan.\n\n\`\`\`json\n${makePlanText([makeTask("a")])}\n\`\`\`\n\nIt has one task.`;
    const result = parsePlan(reply, ROLES);
    expect(result.ok && result.plan.tasks.map((task) => task.id)).toEqual(["a"]);
  });

  it("keeps what it parsed valid for plan.json", () => {
    const result = parsePlan(makePlanText([makeTask("a"), makeTask("b", ["a"])]), ROLES);
    if (!result.ok) throw new Error(result.error);
    expect(parseWithSchema(result.plan, PlanSchema, "plan.json")).toEqual(result.plan);
  });
});

describe("parsePlan: text that is not a plan", () => {
  it("says where JSON breaks", () => {
    const text = '{\n  "goal": "g",\n  "tasks": [\n    {"id": "a",}\n  ]\n}';
    expect(getError(text)).toBe(
      'the reply is not valid JSON at line 4, column 16: trailing comma before "}": remove the last ",". Near: `{"id": "a",}`',
    );
  });

  it("says a reply with no JSON holds none", () => {
    expect(getError("I need more details before I can plan.")).toBe(
      'the reply holds no JSON object (no "{" in it): send one JSON object and nothing else',
    );
  });

  it("refuses an array of tasks in place of the plan object", () => {
    expect(getError(JSON.stringify([makeTask("a")]))).toBe(
      "the plan: expected an object, got an array",
    );
  });

  it("refuses an empty plan", () => {
    expect(getError(makePlanText([]))).toBe("tasks: empty; a plan needs at least one task");
  });

  it("refuses another version", () => {
    expect(getError(makePlanText([makeTask("a")], { version: 2 }))).toBe(
      "version: must be 1 (or left out)",
    );
  });
});

describe("parsePlan: schema problems, each with its path", () => {
  it.each<[string, unknown, string]>([
    [
      "an unsafe id",
      makeTask("../etc", [], { scope: ["src/"] }),
      `tasks[0] ("../etc").id: ${SAFE_ID_RULE}`,
    ],
    [
      "no acceptance criteria",
      makeTask("a", [], { acceptance_criteria: [] }),
      'tasks[0] ("a").acceptance_criteria: needs at least one criterion the reviewer can check',
    ],
    [
      "an empty criterion",
      makeTask("a", [], { acceptance_criteria: ["ok", ""] }),
      'tasks[0] ("a").acceptance_criteria[1]: must not be empty',
    ],
    [
      "no scope",
      makeTask("a", [], { scope: [] }),
      'tasks[0] ("a").scope: needs at least one path or glob ("**" when the task may touch anything)',
    ],
    [
      "a scope outside the repository",
      makeTask("a", [], { scope: ["src/../../etc"] }),
      'tasks[0] ("a").scope[0]: a scope entry is a path or glob relative to the repository root, without ".." or a leading "/" (such as "src/store/" or "src/**/*.test.ts")',
    ],
    [
      "an absolute scope",
      makeTask("a", [], { scope: ["/etc/passwd"] }),
      'tasks[0] ("a").scope[0]: a scope entry is a path or glob relative to the repository root, without ".." or a leading "/" (such as "src/store/" or "src/**/*.test.ts")',
    ],
    [
      "a priority out of range",
      makeTask("a", [], { priority: 0 }),
      'tasks[0] ("a").priority: must be from 1 (first) to 5 (last)',
    ],
    [
      "a fractional priority",
      makeTask("a", [], { priority: 2.5 }),
      'tasks[0] ("a").priority: must be a whole number from 1 (first) to 5 (last)',
    ],
    [
      "a priority as a string",
      makeTask("a", [], { priority: "high" }),
      'tasks[0] ("a").priority: expected a number, got a string',
    ],
    [
      "a missing depends_on",
      makeTask("a", [], { depends_on: undefined }),
      'tasks[0] ("a").depends_on: missing (expected an array)',
    ],
    [
      "Task Master's dependencies field",
      makeTask("a", [], { dependencies: [] }),
      'tasks[0] ("a"): unknown field "dependencies" (did you mean "depends_on"?); the fields are id, title, description, role, depends_on, acceptance_criteria, scope, priority, estimate',
    ],
    [
      "a misspelt field",
      makeTask("a", [], { priorty: 1 }),
      'tasks[0] ("a"): unknown field "priorty" (did you mean "priority"?); the fields are id, title, description, role, depends_on, acceptance_criteria, scope, priority, estimate',
    ],
    [
      "an estimate in hours",
      makeTask("a", [], { estimate: { hours: 2 } }),
      [
        "the plan has 2 problems:",
        '- tasks[0] ("a").estimate.minutes: missing (expected a number)',
        '- tasks[0] ("a").estimate: unknown field "hours"; the fields are minutes',
      ].join("\n"),
    ],
    [
      "a zero estimate",
      makeTask("a", [], { estimate: { minutes: 0 } }),
      'tasks[0] ("a").estimate.minutes: must be at least 1',
    ],
    ["a task that is not an object", "do a", "tasks[0]: expected an object, got a string"],
  ])("%s", (_name, task, error) => {
    expect(getError(makePlanText([task]))).toBe(error);
  });

  it("lists every problem of the reply at once", () => {
    const text = makePlanText([makeTask("a", [], { title: "" }), { id: "b" }], { notes: "x" });
    expect(getError(text)).toBe(
      [
        "the plan has 9 problems:",
        '- tasks[0] ("a").title: must not be empty',
        '- tasks[1] ("b").title: missing (expected a string)',
        '- tasks[1] ("b").description: missing (expected a string)',
        '- tasks[1] ("b").role: missing (expected a string)',
        '- tasks[1] ("b").depends_on: missing (expected an array)',
        '- tasks[1] ("b").acceptance_criteria: missing (expected an array)',
        '- tasks[1] ("b").scope: missing (expected an array)',
        '- tasks[1] ("b").priority: missing (expected a number)',
        '- the plan: unknown field "notes"; the fields are version, goal, tasks',
      ].join("\n"),
    );
  });

  it("lists at most 20 problems and counts the rest", () => {
    const tasks = Array.from({ length: 30 }, (_, i) => makeTask(`t${i}`, [], { priority: 9 }));
    const error = getError(makePlanText(tasks));
    expect(error.split("\n")).toHaveLength(22);
    expect(error).toMatch(/^the plan has 30 problems:\n/);
    expect(error).toMatch(/\n- and 10 more$/);
  });
});

describe("parsePlan: graph problems", () => {
  it.each<[string, PlanTask[], string]>([
    [
      "a duplicate id",
      [makeTask("a"), makeTask("b"), makeTask("a")],
      'tasks[0] and tasks[2] both have the id "a": give each task its own id',
    ],
    [
      "ids that differ only in case",
      [makeTask("api"), makeTask("API")],
      'tasks[0] ("api") and tasks[1] ("API") have ids that differ only in case: ids name directories and branches, make them differ in more than case',
    ],
    [
      "a self-dependency",
      [makeTask("a", ["a"])],
      'task "a" depends on itself: remove "a" from its depends_on',
    ],
    [
      "an unknown dependency, with the nearest id",
      [makeTask("schema"), makeTask("api", ["shcema"])],
      'task "api" depends on "shcema", which is not a task of this plan (did you mean "schema"?): name a task\'s id or remove it',
    ],
    [
      "an unknown dependency with no near id",
      [makeTask("a"), makeTask("b", ["zzz"])],
      'task "b" depends on "zzz", which is not a task of this plan: name a task\'s id or remove it',
    ],
    [
      "a dependency listed twice",
      [makeTask("a"), makeTask("b", ["a", "a"])],
      'task "b" lists "a" twice in depends_on: list it once',
    ],
    [
      "an unknown role, with the nearest one",
      [makeTask("a", [], { role: "revewer" })],
      'task "a": role "revewer" is not one of the roles of this run (worker, reviewer, tester); did you mean "reviewer"?',
    ],
    [
      "an unknown role with no near one",
      [makeTask("a", [], { role: "architect" })],
      'task "a": role "architect" is not one of the roles of this run (worker, reviewer, tester)',
    ],
    [
      "a cycle, named in dependency order",
      [makeTask("a", ["c"]), makeTask("b", ["a"]), makeTask("c", ["b"])],
      "dependency cycle: a → c → b → a (each task depends on the next): remove one of these dependencies",
    ],
    [
      "a two-task cycle beside sound tasks",
      [makeTask("root"), makeTask("x", ["root", "y"]), makeTask("y", ["x"])],
      "dependency cycle: x → y → x (each task depends on the next): remove one of these dependencies",
    ],
  ])("%s", (_name, tasks, error) => {
    expect(getError(makePlanText(tasks))).toBe(error);
  });

  it("names one cycle per tangle, in plan order", () => {
    const tasks = [
      makeTask("p", ["q"]),
      makeTask("q", ["p"]),
      makeTask("m"),
      makeTask("x", ["z"]),
      makeTask("y", ["x"]),
      makeTask("z", ["y", "m"]),
    ];
    expect(getError(makePlanText(tasks))).toBe(
      [
        "the plan has 2 problems:",
        "- dependency cycle: p → q → p (each task depends on the next): remove one of these dependencies",
        "- dependency cycle: x → z → y → x (each task depends on the next): remove one of these dependencies",
      ].join("\n"),
    );
  });

  it("refuses more tasks than the cap, which the caller may set", () => {
    const tasks = Array.from({ length: MAX_PLAN_TASKS + 1 }, (_, i) => makeTask(`t${i}`));
    expect(getError(makePlanText(tasks))).toBe(
      "the plan has 1001 tasks, more than the 1000 allowed: merge small tasks, or leave later work for another run",
    );
    expect(parsePlan(makePlanText(tasks), { ...ROLES, maxTasks: 2000 }).ok).toBe(true);
    expect(getError(makePlanText(tasks.slice(0, 3)), { ...ROLES, maxTasks: 2 })).toMatch(
      /^the plan has 3 tasks, more than the 2 allowed/,
    );
  });

  it("lists the graph problems together", () => {
    const tasks = [makeTask("a", ["a"], { role: "coder" }), makeTask("a")];
    expect(getError(makePlanText(tasks))).toBe(
      [
        "the plan has 3 problems:",
        '- tasks[0] and tasks[1] both have the id "a": give each task its own id',
        '- task "a": role "coder" is not one of the roles of this run (worker, reviewer, tester)',
        '- task "a" depends on itself: remove "a" from its depends_on',
      ].join("\n"),
    );
  });
});

describe("PlanSchema (plan.json)", () => {
  it("requires version 1 in the file", () => {
    expect(() =>
      parseWithSchema({ goal: "g", tasks: [makeTask("a")] }, PlanSchema, "plan.json"),
    ).toThrow("Invalid plan.json: version: must be 1");
  });
});
