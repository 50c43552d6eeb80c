/**
 * `bosun run`: a planned team with the offline agent in every seat, against a real repository,
 * its own test command as the gate, real worktrees and the merge queue.
 */
import { existsSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
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
  VERIFY,
  createTeamRepo,
  planThreeTasks,
  writeTaskFile,
} from "../helpers/team-repo.js";
import { readPrompt } from "../helpers/team-scenario.js";

const repos = useOfflineRepos();

describe("bosun run (dry run)", () => {
  it("prints the roles, planner prompt, agent commands and budget, and launches nothing", async () => {
    const marker = "planner-ran";
    const repo = await createTeamRepo([
      { seat: "planner", actions: [{ run: `touch ${marker}` }, { report: THREE_TASK_PLAN }] },
    ]);
    repos.push(repo);
    // The project's own test command: the run's tests unless --verify or review.verify says otherwise.
    await writeFile(
      join(repo.root, "package.json"),
      JSON.stringify({ name: "sample", scripts: { test: "sh check.sh" } }),
    );
    await repo.git(["add", "package.json"]);
    await repo.git(["commit", "-q", "-m", "package.json"]);
    const result = await repo.runCli([
      "run",
      "Write three files.",
      "--worker",
      "offline",
      "--critic",
      "offline",
      "--budget-usd",
      "2",
    ]);
    expectNoInternalError(result);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Dry run: nothing is launched. Add --execute to run it.");
    expect(result.stdout).toMatch(/budget\s+run \$2\.00/);
    expect(result.stdout).toContain("You are the PLANNER");
    expect(result.stdout).toMatch(/planner\s+\S*node\S* .*offline-agent/);
    expect(result.stdout).toContain("backend");
    expect(result.stdout).toMatch(
      /tests\s+`npm test` \(found by bosun learn: package\.json scripts\.test: sh check\.sh; --verify "" for none\)/,
    );
    // Nothing ran: no run directory, no agent, no worktree, no branch.
    expect(await listRunIds(repo.paths)).toEqual([]);
    expect(existsSync(join(repo.root, marker))).toBe(false);
    expect(await repo.git(["branch", "--list", "bosun/*"])).toBe("");

    const json = await repo.runCli([
      "run",
      "Write three files.",
      "--worker",
      "offline",
      "--critic",
      "offline",
      "--json",
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      isDryRun: true,
      options: { maxParallel: 3, verify: "npm test" },
    });
    // The scan reads the files as they are; a run starts from the last commit: it says so.
    await writeFile(
      join(repo.root, "package.json"),
      JSON.stringify({ name: "sample", scripts: { test: "sh check.sh --fast" } }),
    );
    const dirty = await repo.runCli(["run", "Write three files.", "--json"]);
    expect(JSON.parse(dirty.stdout)).toMatchObject({
      verifySource: expect.stringContaining(
        "package.json has changes not committed, and the run starts from your last commit",
      ) as unknown,
    });
    const none = await repo.runCli(["run", "Write three files.", "--verify", "", "--json"]);
    expect(JSON.parse(none.stdout)).toMatchObject({ options: { verify: "" } });
  });

  it("refuses a critic on the workers' own harness", async () => {
    const repo = await createTeamRepo([]);
    repos.push(repo);
    const result = await repo.runCli(["run", "x", "--worker", "claude", "--critic", "claude"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("The critic must run on a different harness than the workers");
    // Also when a role's own harness (bosun.yaml team:) is the critic's.
    const roles = await createTeamRepo([], { team: { backend: { harness: "codex" } } });
    repos.push(roles);
    const byRole = await roles.runCli(["run", "x", "--worker", "claude", "--critic", "codex"]);
    expect(byRole.exitCode).toBe(2);
    expect(byRole.stderr).toContain("role backend plays on codex (team.backend.harness");
  });
});

describe("bosun run --execute", () => {
  it("plans three tasks, runs two in parallel worktrees, heals a critic's rejection, merges all; tests green", async () => {
    const repo = await createTeamRepo(
      [
        { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
        { seat: "worker", task: "a", actions: writeTaskFile("a") },
        { seat: "worker", task: "b", round: 1, actions: writeTaskFile("b") },
        { seat: "worker", task: "b", round: 2, actions: writeTaskFile("b", "b\nb\n") },
        { seat: "worker", task: "c", actions: writeTaskFile("c") },
        { seat: "critic", task: "b", times: 1, actions: [REJECT] },
        { seat: "critic", actions: [APPROVE] },
      ],
      { worktree: { setup: "touch .setup-ran", copy: [".env", "notes.txt"] } },
    );
    repos.push(repo);
    // An untracked file each worktree needs (copied in), and a setup command (run once per
    // worktree, and in the integration checkout where the tests run: they need both).
    await writeFile(join(repo.root, ".env"), "SECRET=local\n");
    await writeFile(join(repo.root, ".git", "info", "exclude"), ".env\n.setup-ran\n", {
      flag: "a",
    });
    // Not ignored by git: a copy would be committed by the checkpoint, so it is left out.
    await writeFile(join(repo.root, "notes.txt"), "mine\n");
    const mainHead = await repo.git(["rev-parse", "HEAD"]);
    const verify = `test -f .setup-ran && test -f .env && ${VERIFY}`;
    const result = await repo.runCli(RUN_OFFLINE.map((arg) => (arg === VERIFY ? verify : arg)));
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ flow: "team", status: "succeeded" });
    expect(filterEvents(events, "plan.created")).toMatchObject([{ taskIds: ["a", "b", "c"] }]);
    // Every task merged once, c last (it waited for both).
    const merges = filterEvents(events, "merge.completed").map((event) => event.taskId);
    expect([...merges].sort()).toEqual(["a", "b", "c"]);
    expect(merges.at(-1)).toBe("c");
    // a and b ran at the same time: both started before either merged.
    const firstMerge = events.findIndex((event) => event.type === "merge.completed");
    const started = events
      .slice(0, firstMerge)
      .filter((e) => e.type === "worktree.created")
      .map((e) => e.taskId);
    expect(started.sort()).toEqual(["a", "b"]);
    // The critic rejected b once; its second round healed it.
    expect(
      filterEvents(events, "round.completed")
        .filter((e) => e.taskId === "b")
        .map((e) => e.verdict),
    ).toEqual(["fix", "accept"]);
    // Worktrees were real, outside the checkout.
    const worktrees = filterEvents(events, "worktree.created");
    for (const worktree of worktrees) {
      expect(worktree.dir.startsWith(repo.root)).toBe(false);
      expect(await readFile(join(worktree.dir, ".env"), "utf8")).toBe("SECRET=local\n");
      expect(existsSync(join(worktree.dir, ".setup-ran"))).toBe(true);
      expect(existsSync(join(worktree.dir, "notes.txt"))).toBe(false);
    }
    expect(result.stderr).toContain(
      "worktree.copy: notes.txt was not copied: git does not ignore it",
    );
    expect(await readFile(repo.paths.runLogFile(runId, "baseline-verify.log"), "utf8")).toContain(
      "ok",
    );
    expect(worktrees.map((w) => w.branch).sort()).toEqual([
      `bosun/${runId}/a`,
      `bosun/${runId}/b`,
      `bosun/${runId}/c`,
    ]);
    // The integration branch holds all three files and the tests pass there; the user's branch is untouched.
    const integration = `bosun/${runId}/integration`;
    for (const id of ["a", "c"])
      expect((await repo.git(["show", `${integration}:${id}.txt`])).trim()).toBe(id);
    expect((await repo.git(["show", `${integration}:b.txt`])).trim()).toBe("b\nb");
    expect(filterEvents(events, "baseline.checked")).toMatchObject([{ passed: true }]);
    expect(await repo.git(["rev-parse", "HEAD"])).toBe(mainHead);
    expect(existsSync(join(repo.root, "a.txt"))).toBe(false);
    // Summary and evidence.
    const summary = await readFile(repo.paths.summaryFile(runId), "utf8");
    expect(summary).toContain("| b | Write b.txt | backend | merged | 2 |");
    expect(await readFile(repo.paths.taskFile(runId, "c", "evidence.md"), "utf8")).toContain(
      "+c\n",
    );
    expect(await readdir(repo.paths.taskDir(runId, "b"))).toContain("evidence.md");
    // The run left board.json current: bosun board reads it as it is.
    const board = await repo.runCli(["board", runId, "--json"]);
    expect(board.exitCode, board.stderr).toBe(0);
    const parsed = JSON.parse(board.stdout) as {
      eventCount: number;
      tasks: Array<{ id: string; status: string }>;
    };
    expect(parsed.tasks.map((task) => [task.id, task.status])).toEqual([
      ["a", "merged"],
      ["b", "merged"],
      ["c", "merged"],
    ]);
    expect(parsed.eventCount).toBe(events.length);
  });

  it("escalates a task the critic keeps rejecting; the rest goes on; 'accept' merges its work and the run completes", async () => {
    const repo = await createTeamRepo([
      ...planThreeTasks(),
      { seat: "critic", task: "b", actions: [REJECT] },
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);
    const first = await repo.runCli([...RUN_OFFLINE, "--max-repairs", "0"]);
    expect(first.exitCode, first.stderr).toBe(3);
    const waiting = await repo.readOnlyRun();
    expect(waiting.run.status).toBe("needs_human");
    // a merged meanwhile; c waits for b.
    expect(filterEvents(waiting.events, "merge.completed").map((e) => e.taskId)).toEqual(["a"]);
    const [ask] = filterEvents(waiting.events, "ask.created").filter((e) => e.taskId === "b");
    expect(ask).toBeDefined();

    const answered = await repo.runCli(["answer", ask?.askId ?? "", "accept"]);
    expectNoInternalError(answered);
    expect(answered.exitCode, answered.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(filterEvents(events, "merge.completed").map((e) => e.taskId)).toEqual(["a", "b", "c"]);
    expect(filterEvents(events, "ask.answered")).toMatchObject([{ taskId: "b", answer: "accept" }]);
  });

  it("gives an escalated task another round with 'more', and the human's --note reaches its worker", async () => {
    const repo = await createTeamRepo([
      { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
      { seat: "worker", task: "a", actions: writeTaskFile("a") },
      { seat: "worker", task: "b", round: 1, actions: writeTaskFile("b") },
      { seat: "worker", task: "b", round: 2, actions: writeTaskFile("b", "b\nb\n") },
      { seat: "worker", task: "c", actions: writeTaskFile("c") },
      { seat: "critic", task: "b", times: 1, actions: [REJECT] },
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);
    const first = await repo.runCli([...RUN_OFFLINE, "--max-repairs", "0"]);
    expect(first.exitCode, first.stderr).toBe(3);
    const waiting = await repo.readOnlyRun();
    const [ask] = filterEvents(waiting.events, "ask.created").filter((e) => e.taskId === "b");

    const answered = await repo.runCli([
      "answer",
      ask?.askId ?? "",
      "more",
      "--note",
      "Keep b.txt to one line.",
    ]);
    expectNoInternalError(answered);
    expect(answered.exitCode, answered.stderr).toBe(0);
    const { run } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(await readPrompt(repo, run.id, "b", 2)).toContain(
      "A human adds: Keep b.txt to one line.",
    );
  });
});
