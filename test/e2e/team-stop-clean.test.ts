/**
 * `bosun stop` and `bosun clean` on team runs: stopping keeps the state for --resume; cleaning
 * removes worktrees and merged branches, refuses unmerged work without --force, and saves
 * uncommitted work to a ref before removing anything.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listRunIds } from "../../src/store/run-read.js";
import { filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import {
  APPROVE,
  REJECT,
  RUN_OFFLINE,
  THREE_TASK_PLAN,
  createTeamRepo,
  planThreeTasks,
  writeTaskFile,
} from "../helpers/team-repo.js";
import { waitFor } from "../helpers/wait-for.js";

const repos = useOfflineRepos();

describe("bosun stop", () => {
  it("stops a live team run (paused, state kept); --resume finishes it", async () => {
    const release = "release-marker";
    const repo = await createTeamRepo([
      { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
      {
        seat: "worker",
        task: "a",
        times: 1,
        actions: [
          { run: `while [ ! -e "$HOME/${release}" ]; do sleep 0.05; done` },
          ...writeTaskFile("a"),
        ],
      },
      { seat: "worker", task: "a", actions: writeTaskFile("a") },
      { seat: "worker", task: "b", actions: writeTaskFile("b") },
      { seat: "worker", task: "c", actions: writeTaskFile("c") },
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);
    const live = repo.startCli(RUN_OFFLINE);
    // Stopped once a's worker is inside its waiting step (it has claimed that step's one play):
    // a stop before the agent got there would leave the step to the resumed run, which would wait.
    const runId = await waitFor("task a's worker to start waiting", async () => {
      const [id] = await listRunIds(repo.paths);
      if (id === undefined) return undefined;
      const log = join(repo.paths.attemptDir(id, "a", 1, "worker", 1), "agent.log");
      const text = await readFile(log, "utf8").catch(() => "");
      return text.includes(release) ? id : undefined;
    });
    const stopped = await repo.runCli(["stop", runId]);
    expectNoInternalError(stopped);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`Continue it with: bosun run --resume ${runId}`);
    const ended = await live.result;
    // A run stopped by a signal exits as Ctrl-C does.
    expect(ended.exitCode).toBe(130);
    expect((await repo.readOnlyRun()).run.status).toBe("paused");

    const resumed = await repo.runCli(["run", "--resume", runId]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(
      filterEvents(events, "merge.completed")
        .map((e) => e.taskId)
        .sort(),
    ).toEqual(["a", "b", "c"]);
  });

  it("says so when the run is not running", async () => {
    const repo = await createTeamRepo([
      { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
      { seat: "worker", actions: [] },
    ]);
    repos.push(repo);
    await repo.runCli(RUN_OFFLINE);
    const [runId = ""] = await listRunIds(repo.paths);
    const result = await repo.runCli(["stop", runId]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("is not running");
  });
});

describe("bosun clean", () => {
  it("removes merged tasks' worktrees and branches, keeps the integration branch", async () => {
    const repo = await createTeamRepo([
      ...planThreeTasks(),
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);
    expect((await repo.runCli(RUN_OFFLINE)).exitCode).toBe(0);
    const { runId, events } = await repo.readOnlyRun();
    const dirs = filterEvents(events, "worktree.created").map((e) => e.dir);
    for (const dir of dirs) expect(existsSync(dir)).toBe(true);
    const result = await repo.runCli(["clean", runId]);
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
    expect(await repo.git(["branch", "--list", `bosun/${runId}/*`])).toContain(
      `bosun/${runId}/integration`,
    );
    expect(await repo.git(["branch", "--list", `bosun/${runId}/a`])).toBe("");
    expect(filterEvents((await repo.readOnlyRun()).events, "worktree.removed")).toHaveLength(3);
  });

  it("refuses an unmerged task's worktree without --force; with it, saves uncommitted work first", async () => {
    const repo = await createTeamRepo([
      { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
      { seat: "worker", task: "a", actions: writeTaskFile("a") },
      { seat: "worker", task: "b", actions: writeTaskFile("b") },
      { seat: "critic", task: "b", actions: [REJECT] },
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);
    const run = await repo.runCli([...RUN_OFFLINE, "--max-repairs", "0"]);
    expect(run.exitCode).toBe(3);
    const { runId, events } = await repo.readOnlyRun();
    const bDir = filterEvents(events, "worktree.created").find((e) => e.taskId === "b")?.dir ?? "";
    // Work of the user's in the task's worktree that nobody committed.
    await repo.git(["-C", bDir, "status"]);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(bDir, "notes.txt"), "mine\n");

    const refused = await repo.runCli(["clean", runId]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toMatch(/b\s+kept:/);
    expect(existsSync(join(bDir, "notes.txt"))).toBe(true);

    const forced = await repo.runCli(["clean", runId, "--force"]);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(existsSync(bDir)).toBe(false);
    const saved =
      filterEvents((await repo.readOnlyRun()).events, "worktree.removed").find(
        (e) => e.taskId === "b",
      )?.snapshotRef ?? "";
    expect(saved).not.toBe("");
    expect(await repo.git(["show", `${saved}:notes.txt`])).toBe("mine");
    // The unmerged branch is kept even when forced.
    expect(await repo.git(["branch", "--list", `bosun/${runId}/b`])).toContain(`bosun/${runId}/b`);
  });
});
