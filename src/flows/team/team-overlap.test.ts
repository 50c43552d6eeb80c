/** Early conflict warnings between a team run's running tasks (checkOverlaps in team-task.ts). */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commitOnBranch, makeGitRepo, makeOutsideDir } from "../../../test/helpers/git-repo.js";
import { makePlanTask } from "../../../test/helpers/team-run.js";
import { createBosunPaths } from "../../store/paths.js";
import { buildRunIndex } from "../../store/run-index.js";
import type { RunEvent } from "../../store/schema/events.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import { getHead, readRef, runGit } from "../../workspace/git.js";
import { createWorktree } from "../../workspace/worktree.js";
import type { BosunEvent } from "../events.js";
import type { TeamContext } from "./team-context.js";
import { createChangeMeasurer } from "./change-measurer.js";
import { IntegrationHead } from "./integration-head.js";
import { createOverlapNotes } from "./overlap-notes.js";
import { checkOverlaps, formatOverlapWarnings, type TaskWork } from "./team-task.js";

const TEXT = "one\ntwo\nthree\n";
const INTEGRATION_REF = "refs/heads/bosun/r1/integration";

/** The journal's record of task worktrees cut from `base`, as the scheduler writes it. */
function recordWorktrees(base: string, worktrees: Record<string, string>): RunEvent[] {
  return Object.entries(worktrees).map(([taskId, dir], index) => ({
    seq: index + 1,
    ts: new Date(0).toISOString(),
    type: "worktree.created",
    taskId,
    dir,
    branch: `bosun/r1/${taskId}`,
    base,
  }));
}

/**
 * A team context on `repo` whose integration branch is at `base`, with `worktrees` (task id →
 * dir) journaled as created; `emitted` collects warnings.
 */
function makeTeam(
  repo: string,
  base: string,
  emitted: BosunEvent[],
  worktrees: Record<string, string> = {},
): TeamContext {
  const state = buildRunIndex(recordWorktrees(base, worktrees));
  return {
    changes: createChangeMeasurer(state),
    overlapNotes: createOverlapNotes(),
    ctx: {
      paths: createBosunPaths(repo),
      config: DEFAULT_CONFIG,
      runId: "r1",
      state,
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
    integrationHead: new IntegrationHead(() =>
      readRef(repo, INTEGRATION_REF).then((head) => head ?? base),
    ),
    integrationDir: path.join(repo, "integration"),
    roles: new Map(),
    intelligence: null,
    resumeCommand: "bosun run --resume r1",
  };
}

/** Task `task` in `cwd`, with `others` (task id → worktree) running beside it. */
function makeWork(task: string, cwd: string, others: Record<string, string>): TaskWork {
  return {
    task: makePlanTask(task),
    cwd,
    protectedFiles: [],
    env: {},
    listOtherWorktrees: () => Object.entries(others).map(([taskId, dir]) => ({ taskId, cwd: dir })),
  };
}

describe("checkOverlaps", () => {
  it("notes a conflict for both workers, passes over a worktree not made yet, and clears it once resolved", async () => {
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
    // c is started but its worktree is still waiting its turn (not journaled yet).
    const team = makeTeam(repo, base, emitted, { a, b });

    await checkOverlaps(team, makeWork("a", a, { b, c: path.join(home, "c") }));

    const note = "Tasks a and b are changing the same lines of f.txt";
    expect(formatOverlapWarnings(team, "a")).toContain(note);
    expect(formatOverlapWarnings(team, "b")).toContain(note);
    expect(formatOverlapWarnings(team, "c")).toBe("");
    expect(emitted).toMatchObject([
      { type: "warning", taskId: "a" },
      { type: "warning", taskId: "b" },
    ]);

    // b's worker takes its edit back (a new round: its worker's events), then a looks again.
    await writeFile(path.join(b, "f.txt"), TEXT);
    team.changes.forget("b");
    await checkOverlaps(team, makeWork("a", a, { b }));
    expect(formatOverlapWarnings(team, "a")).toBe("");
    expect(formatOverlapWarnings(team, "b")).toBe("");
  });

  it("runs no three-way merge for changes in different files, nor for a task that changed nothing yet", async () => {
    const repo = await makeGitRepo();
    const base = await commitOnBranch(repo, "bosun/r1/integration", await getHead(repo), {
      "f.txt": TEXT,
      "g.txt": TEXT,
    });
    const home = await makeOutsideDir();
    const a = (await createWorktree(repo, path.join(home, "a"), "bosun/r1/a", base)).dir;
    const b = (await createWorktree(repo, path.join(home, "b"), "bosun/r1/b", base)).dir;
    const c = (await createWorktree(repo, path.join(home, "c"), "bosun/r1/c", base)).dir;
    await writeFile(path.join(a, "f.txt"), TEXT.replace("two", "TWO"));
    await writeFile(path.join(b, "g.txt"), TEXT.replace("two", "deux"));
    const team = makeTeam(repo, base, [], { a, b, c });
    const objectsBefore = await runGit(repo, ["count-objects", "-v"]);

    await checkOverlaps(team, makeWork("a", a, { b, c }));
    await checkOverlaps(team, makeWork("c", c, { a, b }));

    expect(formatOverlapWarnings(team, "a")).toBe("");
    // A snapshot or a three-way merge writes objects; neither was needed.
    expect(await runGit(repo, ["count-objects", "-v"])).toBe(objectsBefore);
  });
});
