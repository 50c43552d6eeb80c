/**
 * `bosun run --execute` gates that guard the run from its own workers: a worker that weakens a
 * protected test, and one that writes into the user's main checkout, are rejected, and the next
 * round heals. Offline agents, real git, the real CLI.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { APPROVE, CHECK_SCRIPT, VERIFY } from "../helpers/team-repo.js";
import {
  createScenarioRepo,
  makePlan,
  readIntegrationFile,
  readPrompt,
  teamArgs,
} from "../helpers/team-scenario.js";

const repos = useOfflineRepos();

const ONE_TASK = makePlan([{ id: "a" }]);
const REPORT_A = { report: { files_changed: ["a.txt"], notes: "wrote a.txt", tests: [] } };

/** The project's committed test: protected (`*.test.*`), and not in task a's scope. */
const CHECK_TEST = `[ ! -e a.txt ] || grep -qx a a.txt || { echo "a.txt must hold the line a"; exit 1; }\n`;

describe("bosun run --execute: a worker weakening its grader", () => {
  it("rejects a round that edits a protected test outside the scope; the next round restores it and merges", async () => {
    const repo = await createScenarioRepo(
      [
        { seat: "planner", actions: [{ report: ONE_TASK }] },
        {
          // Wrong work, and the test "fixed" to pass it.
          seat: "worker",
          round: 1,
          actions: [
            { write: { path: "a.txt", content: "not a\n" } },
            { write: { path: "check.test.sh", content: "exit 0\n" } },
            REPORT_A,
          ],
        },
        {
          seat: "worker",
          round: 2,
          actions: [
            { run: "git checkout HEAD~1 -- check.test.sh" },
            { write: { path: "a.txt", content: "a\n" } },
            REPORT_A,
          ],
        },
        { seat: "critic", actions: [APPROVE] },
      ],
      { "check.test.sh": CHECK_TEST },
    );
    repos.push(repo);

    const result = await repo.runCli(teamArgs("sh check.test.sh"));

    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ flow: "team", status: "succeeded" });
    const protectedGates = filterEvents(events, "gate.completed").filter(
      (event) => event.name === "protected",
    );
    expect(protectedGates).toMatchObject([
      { taskId: "a", round: 1, passed: false },
      { taskId: "a", round: 2, passed: true },
    ]);
    expect(protectedGates[0]?.detail).toContain("check.test.sh");
    // The cheap gate ended round 1: no test run, no critic spent on it.
    const round1 = filterEvents(events, "gate.completed", { round: 1 }).filter(
      (event) => event.taskId === "a",
    );
    expect(round1.map((event) => event.name)).not.toContain("verify");
    expect(filterEvents(events, "dispatch.started", { seat: "critic", round: 1 })).toEqual([]);
    expect(
      filterEvents(events, "round.completed").filter((event) => event.taskId === "a"),
    ).toMatchObject([
      { round: 1, verdict: "fix" },
      { round: 2, verdict: "accept" },
    ]);
    // The worker was told why, with the file.
    expect(await readPrompt(repo, runId, "a", 2)).toMatch(
      /You changed check\.test\.sh, a test or CI file outside your task's scope/,
    );
    // The grader on the integration branch is the one the run started with.
    expect(await readIntegrationFile(repo, runId, "check.test.sh")).toBe(CHECK_TEST.trimEnd());
    expect(await readIntegrationFile(repo, runId, "a.txt")).toBe("a");
    expect(filterEvents(events, "merge.completed").map((event) => event.taskId)).toEqual(["a"]);
  });
});

describe("bosun run --execute: a worker writing outside its worktree", () => {
  it("rejects writes into the main checkout, undoes them (saved under refs/bosun/outside/), and merges the clean next round", async () => {
    const repo = await createScenarioRepo([]);
    repos.push(repo);
    // Round 1 writes where the user works, not in its worktree: a new file and an existing one.
    await repo.writeScript([
      { seat: "planner", actions: [{ report: ONE_TASK }] },
      {
        seat: "worker",
        round: 1,
        actions: [
          { write: { path: join(repo.root, "a.txt"), content: "a\n" } },
          { write: { path: join(repo.root, "check.sh"), content: "exit 0\n" } },
          REPORT_A,
        ],
      },
      {
        seat: "worker",
        round: 2,
        actions: [{ write: { path: "a.txt", content: "a\n" } }, REPORT_A],
      },
      { seat: "critic", actions: [APPROVE] },
    ]);
    const mainHead = await repo.git(["rev-parse", "HEAD"]);

    const result = await repo.runCli(teamArgs(VERIFY));

    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded" });
    const outside = filterEvents(events, "gate.completed").filter(
      (event) => event.name === "outside",
    );
    expect(outside).toMatchObject([
      { taskId: "a", round: 1, passed: false },
      { taskId: "a", round: 2, passed: true },
    ]);
    expect(outside[0]?.detail).toMatch(/wrote outside its worktree: .*a\.txt/);
    expect(outside[0]?.detail).toContain("check.sh");
    expect(result.stderr).toContain("wrote into the main checkout");
    // The main checkout is as the user left it: the new file gone, the changed one back.
    expect(existsSync(join(repo.root, "a.txt"))).toBe(false);
    expect(await readFile(join(repo.root, "check.sh"), "utf8")).toBe(CHECK_SCRIPT);
    expect(await repo.git(["status", "--porcelain"])).toBe("");
    expect(await repo.git(["rev-parse", "HEAD"])).toBe(mainHead);
    // What the worker wrote there is kept, not lost.
    const ref = `refs/bosun/outside/${runId}/a/r1`;
    expect(await repo.git(["show", `${ref}:a.txt`])).toBe("a");
    expect(await repo.git(["show", `${ref}:check.sh`])).toBe("exit 0");
    expect(await readPrompt(repo, runId, "a", 2)).toContain("outside your worktree");
    expect(filterEvents(events, "merge.completed").map((event) => event.taskId)).toEqual(["a"]);
    expect(await readIntegrationFile(repo, runId, "a.txt")).toBe("a");
    expect(await readIntegrationFile(repo, runId, "check.sh")).toBe(CHECK_SCRIPT.trimEnd());
  });
});
