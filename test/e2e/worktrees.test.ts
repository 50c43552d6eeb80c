/**
 * bosun in git worktrees: every worktree of a repository shares the main checkout's `.bosun/`,
 * and the one-live-run rule is per working tree, so a run in a worktree proceeds while another
 * works in the main checkout, and a second run in the same tree is refused, naming the first.
 */
import { existsSync } from "node:fs";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { listRunIds, readRunEvents } from "../../src/store/run-read.js";
import { assertCliBuilt, createOfflineRepo, filterEvents } from "../helpers/offline-repo.js";
import { createBosunEnv, expectNoInternalError, runBosun } from "../helpers/run-bosun.js";
import { waitFor } from "../helpers/wait-for.js";

const GOAL = "Add feature.txt containing the word feature.";
const REVIEW = ["review", "--goal", GOAL, "--worker", "offline", "--reviewer", "offline"];
const WRITE_FEATURE: OfflineAction = { write: { path: "feature.txt", content: "feature\n" } };
const WORK_REPORT: OfflineAction = {
  report: { files_changed: ["feature.txt"], notes: "Edited feature.txt.", tests: [] },
};
const APPROVE: OfflineAction = {
  report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] },
};

const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  assertCliBuilt();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("bosun in a linked git worktree", () => {
  it("reviews there while a run works in the main checkout, sharing its .bosun/; a second run in one tree is refused", async () => {
    const repo = await createOfflineRepo([]);
    cleanups.push(() => repo.cleanup());
    const main = repo.root;
    const worktree = `${main}-wt`;
    cleanups.push(() => rm(worktree, { recursive: true, force: true }));
    await repo.git(["worktree", "add", "-q", "-b", "task-1", worktree]);
    const release = join(repo.home, "release");
    // The reviewer in the main checkout waits for the test's word, so that run is live throughout.
    const holdInMain: OfflineAction = {
      run: `if [ "$(pwd -P)" = '${main}' ]; then while [ ! -e '${release}' ]; do sleep 0.05; done; fi`,
    };
    await repo.writeScript([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [holdInMain, APPROVE] },
    ]);
    const env = createBosunEnv(repo.home);

    const inMain = repo.startCli(REVIEW);
    const mainRunId = await waitFor("the main checkout's reviewer to start", async () => {
      const [id] = await listRunIds(repo.paths);
      if (id === undefined) return undefined;
      const started = filterEvents(await readRunEvents(repo.paths, id), "dispatch.started", {
        seat: "reviewer",
      });
      return started.length > 0 ? id : undefined;
    });

    const secondInMain = await runBosun(REVIEW, { cwd: main, env });
    expectNoInternalError(secondInMain);
    expect(secondInMain.exitCode).not.toBe(0);
    expect(secondInMain.stderr).toContain(
      `Run ${mainRunId} (process ${inMain.pid}) is still working in ${main};`,
    );

    const inWorktree = await runBosun(REVIEW, { cwd: worktree, env });
    expectNoInternalError(inWorktree);
    expect(inWorktree.exitCode).toBe(0);
    // Its state went to the main checkout's .bosun/; its work and commits stayed in the worktree.
    expect(existsSync(join(worktree, ".bosun"))).toBe(false);
    const ids = await listRunIds(repo.paths);
    expect(ids).toHaveLength(2);
    const worktreeRunId = ids.find((id) => id !== mainRunId) ?? "";
    const events = await readRunEvents(repo.paths, worktreeRunId);
    expect(filterEvents(events, "run.completed")).toMatchObject([{ status: "succeeded" }]);
    const checkpoint = filterEvents(events, "checkpoint.created")[0]?.commit;
    expect((await repo.git(["rev-parse", "task-1"])).trim()).toBe(checkpoint);
    expect(await readFile(join(worktree, "feature.txt"), "utf8")).toBe("feature\n");

    // Read commands in the worktree see every run of the repository.
    const runs = await runBosun(["runs"], { cwd: worktree, env });
    expect(runs.exitCode).toBe(0);
    expect(runs.stdout).toContain(mainRunId);
    expect(runs.stdout).toContain(worktreeRunId);

    await writeFile(release, "");
    const mainResult = await inMain.result;
    expectNoInternalError(mainResult);
    expect(mainResult.exitCode).toBe(0);
    expect(await readdir(repo.paths.locksDir)).toEqual([]);
  });
});
