/** Early conflict warnings between a team run's running tasks (findOverlapWarnings in team-task.ts). */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commitOnBranch, makeGitRepo, makeOutsideDir } from "../../../test/helpers/git-repo.js";
import { makePlanTask } from "../../../test/helpers/team-run.js";
import { createBosunPaths } from "../../store/paths.js";
import { createRunIndex } from "../../store/run-index.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import { getHead } from "../../workspace/git.js";
import { createWorktree } from "../../workspace/worktree.js";
import type { BosunEvent } from "../events.js";
import type { TeamContext } from "./team-context.js";
import { findOverlapWarnings } from "./team-task.js";

const TEXT = "one\ntwo\nthree\n";
const INTEGRATION_REF = "refs/heads/bosun/r1/integration";

/** A team context on `repo` whose integration branch is at `base`; `emitted` collects warnings. */
function makeTeam(repo: string, base: string, emitted: BosunEvent[]): TeamContext {
  return {
    ctx: {
      paths: createBosunPaths(repo),
      config: DEFAULT_CONFIG,
      runId: "r1",
      state: createRunIndex(),
      record: () => Promise.reject(new Error("overlap warnings record nothing")),
      emit: (event) => emitted.push(event),
    },
    options: {
      planner: "offline",
      worker: "offline",
      critic: "offline",
      maxParallel: 3,
      maxRepairs: 0,
      verify: "",
      timeoutSec: 0,
      stallTimeoutSec: 300,
      isPlanGated: false,
    },
    goal: "Edit f.txt.",
    baseCommit: base,
    mainRoot: repo,
    integrationRef: INTEGRATION_REF,
    integrationDir: path.join(repo, "integration"),
    roles: new Map(),
    intelligence: null,
    resumeCommand: "bosun run --resume r1",
  };
}

describe("findOverlapWarnings", () => {
  it("warns of a running task that conflicts, and passes over one whose worktree is not made yet", async () => {
    const repo = await makeGitRepo();
    const base = await commitOnBranch(repo, "bosun/r1/integration", await getHead(repo), {
      "f.txt": TEXT,
    });
    const home = await makeOutsideDir();
    const a = (await createWorktree(repo, path.join(home, "a"), "bosun/r1/a", base)).dir;
    const b = (await createWorktree(repo, path.join(home, "b"), "bosun/r1/b", base)).dir;
    await writeFile(path.join(a, "f.txt"), TEXT.replace("two", "TWO"));
    await writeFile(path.join(b, "f.txt"), TEXT.replace("two", "deux"));
    const emitted: BosunEvent[] = [];

    // The scheduler lists every task it started; c's worktree is still waiting its turn.
    const text = await findOverlapWarnings(makeTeam(repo, base, emitted), {
      task: makePlanTask("a"),
      cwd: a,
      protectedFiles: [],
      env: {},
      listOtherWorktrees: () => [
        { taskId: "b", cwd: b },
        { taskId: "c", cwd: path.join(home, "c") },
      ],
    });

    expect(text).toContain("Task a and task b are changing the same lines of f.txt");
    expect(text).not.toContain("task c");
    expect(emitted).toMatchObject([{ type: "warning", taskId: "a" }]);
  });
});
