/**
 * `bosun run` and the places its tests run: bosun's integration checkout set up as a task's
 * worktree is, whatever happened to it between two starts; and a test command bosun found itself
 * that cannot pass on the base commit gating no task.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import {
  APPROVE,
  REJECT,
  RUN_OFFLINE,
  VERIFY,
  createTeamRepo,
  planThreeTasks,
} from "../helpers/team-repo.js";

const repos = useOfflineRepos();

describe("bosun run: the integration checkout's setup", () => {
  it("is done again on a resume after the checkout was removed and its setup failed, though the baseline was recorded", async () => {
    // Setup fails while this file exists (outside the repository, so no checkout holds it).
    const flagDir = await mkdtemp(join(tmpdir(), "bosun-setup-flag-"));
    const flag = join(flagDir, "fail");
    const repo = await createTeamRepo(
      [
        ...planThreeTasks(),
        { seat: "critic", task: "b", actions: [REJECT] },
        { seat: "critic", actions: [APPROVE] },
      ],
      { worktree: { setup: `test ! -e '${flag}' && touch .setup-ran` } },
    );
    repos.push(repo);
    await writeFile(join(repo.root, ".git", "info", "exclude"), ".setup-ran\n", { flag: "a" });
    // The tests pass only where the setup ran: after each merge, in the integration checkout.
    const verify = `test -f .setup-ran && ${VERIFY}`;
    const args = RUN_OFFLINE.map((arg) => (arg === VERIFY ? verify : arg));
    const first = await repo.runCli([...args, "--max-repairs", "0"]);
    expectNoInternalError(first);
    expect(first.exitCode, first.stderr).toBe(3);
    const waiting = await repo.readOnlyRun();
    expect(filterEvents(waiting.events, "baseline.checked")).toMatchObject([{ passed: true }]);
    expect(filterEvents(waiting.events, "merge.completed").map((e) => e.taskId)).toEqual(["a"]);
    const [ask] = filterEvents(waiting.events, "ask.created").filter((e) => e.taskId === "b");

    // The checkout removed by hand (git still lists it), and its setup failing when made anew.
    // Where the CLI keeps worktrees (its BOSUN_HOME, not this process's): as git lists it.
    const integrationDir = (await repo.git(["worktree", "list", "--porcelain"]))
      .split("\n")
      .map((line) => line.replace(/^worktree /, ""))
      .find((line) => line.endsWith(`/${waiting.runId}/integration`));
    expect(integrationDir).toBeDefined();
    await rm(integrationDir ?? "", { recursive: true, force: true });
    await writeFile(flag, "");
    try {
      const answered = await repo.runCli(["answer", ask?.askId ?? "", "accept"]);
      expectNoInternalError(answered);
      expect(answered.stderr).toContain("The worktree setup command");
      expect(answered.exitCode).not.toBe(0);
    } finally {
      await rm(flagDir, { recursive: true, force: true });
    }

    const resumed = await repo.runCli(["run", "--resume", waiting.runId]);
    expectNoInternalError(resumed);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(existsSync(join(integrationDir ?? "", ".setup-ran"))).toBe(true);
    // Every merge stood: the tests after b's and c's found the setup done.
    expect(filterEvents(events, "merge.completed").map((e) => e.taskId)).toEqual(["a", "b", "c"]);
    expect(filterEvents(events, "merge.reverted")).toEqual([]);
  });
});

describe("bosun run: a test command bosun found", () => {
  it("red on the base commit, gates no task: a warning says why and the run completes", async () => {
    const repo = await createTeamRepo([
      ...planThreeTasks(),
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);
    // As when dependencies are not installed in a worktree: the suite cannot pass anywhere.
    await writeFile(
      join(repo.root, "package.json"),
      JSON.stringify({ name: "sample", scripts: { test: "echo cannot find vitest; exit 1" } }),
    );
    await repo.git(["add", "package.json"]);
    await repo.git(["commit", "-q", "-m", "package.json"]);
    const result = await repo.runCli(
      RUN_OFFLINE.filter((arg, i) => arg !== "--verify" && RUN_OFFLINE[i - 1] !== "--verify"),
    );
    expectNoInternalError(result);
    expect(result.stderr).toContain("Tests: `npm test` (found by bosun learn: package.json");
    expect(result.stderr).toContain("fail on the base commit");
    expect(result.exitCode, result.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({
      status: "succeeded",
      options: { verify: "npm test", isVerifyFound: true },
    });
    expect(filterEvents(events, "baseline.checked")).toMatchObject([{ passed: false }]);
    expect(
      filterEvents(events, "merge.completed")
        .map((e) => e.taskId)
        .sort(),
    ).toEqual(["a", "b", "c"]);
  });
});
