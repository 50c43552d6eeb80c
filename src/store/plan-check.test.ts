import { describe, expect, it } from "vitest";
import { checkPlan, findDependencyCycles, formatCycle } from "./plan-check.js";

function makeTask(
  id: string,
  dependsOn: string[] = [],
): { id: string; depends_on: string[]; role: string } {
  return { id, depends_on: dependsOn, role: "worker" };
}

describe("findDependencyCycles", () => {
  it("finds none in a DAG, and ignores self-loops and unknown ids (checkPlan names those)", () => {
    const tasks = [makeTask("a"), makeTask("b", ["a", "b", "nope"]), makeTask("c", ["a", "b"])];
    expect(findDependencyCycles(tasks)).toEqual([]);
  });

  it("walks a 10,000-task chain and a 10,000-task ring without overflowing the stack", () => {
    const count = 10_000;
    const chain = Array.from({ length: count }, (_, i) =>
      makeTask(`t${i}`, i === 0 ? [] : [`t${i - 1}`]),
    );
    expect(findDependencyCycles(chain)).toEqual([]);
    const ring = chain.map((task, i) => (i === 0 ? makeTask("t0", [`t${count - 1}`]) : task));
    const cycles = findDependencyCycles(ring);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(count);
    expect(cycles[0]?.slice(0, 3)).toEqual(["t0", `t${count - 1}`, `t${count - 2}`]);
  });

  it("starts each cycle at its task that comes first in the plan", () => {
    const tasks = [makeTask("z"), makeTask("b", ["c"]), makeTask("c", ["a"]), makeTask("a", ["b"])];
    expect(findDependencyCycles(tasks)).toEqual([["b", "c", "a"]]);
    expect(formatCycle(["b", "c", "a"])).toBe("b → c → a → b");
  });
});

describe("checkPlan", () => {
  it("finds nothing wrong in a sound plan", () => {
    const tasks = [makeTask("a"), makeTask("b", ["a"]), makeTask("c", ["a", "b"])];
    expect(checkPlan({ tasks }, { knownRoles: ["worker"] })).toEqual([]);
  });

  it("says when the run has no roles at all", () => {
    expect(checkPlan({ tasks: [makeTask("a")] }, { knownRoles: [] })).toEqual([
      'task "a": role "worker" is not one of the roles of this run (none are configured)',
    ]);
  });
});

describe("checkPlan: owned paths", () => {
  const ownedPaths = { frontend: ["web/"], backend: ["./src/server", "api"] };
  const task = (id: string, role: string, scope: string[]) => ({ id, role, scope, depends_on: [] });

  it("refuses a task inside another role's paths, naming the owner", () => {
    const problems = checkPlan(
      {
        tasks: [task("ui", "backend", ["web/app.ts"]), task("srv", "frontend", ["src/server/**"])],
      },
      { knownRoles: ["frontend", "backend"], ownedPaths },
    );
    expect(problems).toEqual([
      expect.stringContaining(
        'task "ui" (role backend) changes web/app.ts, which role frontend owns',
      ),
      expect.stringContaining(
        'task "srv" (role frontend) changes src/server/**, which role backend owns',
      ),
    ]);
  });

  it("accepts the owner's own tasks, paths nobody owns, wider scopes and look-alike names", () => {
    const problems = checkPlan(
      {
        tasks: [
          task("ui", "frontend", ["web", "web/app.ts"]),
          task("docs", "backend", ["README.md", "src", "webby/x.ts", "apiary"]),
        ],
      },
      { knownRoles: ["frontend", "backend"], ownedPaths },
    );
    expect(problems).toEqual([]);
  });
});
