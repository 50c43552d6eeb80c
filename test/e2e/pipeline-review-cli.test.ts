/**
 * `bosun pipeline` refusing what it cannot run, before it writes anything: a --task-id that is no
 * safe id, and a folder that is no repository without --no-git (also when it holds runs); and
 * the words it ends a blocked pair's call with.
 */
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listRunIds } from "../../src/store/run-read.js";
import { type OfflineRepo, type OfflineSteps, useOfflineRepos } from "../helpers/offline-repo.js";
import {
  PIPELINE_TEST_TIMEOUT_MS,
  createPipelineRepo,
  pipelineIntentArgs,
  verdict,
  workReport,
} from "../helpers/pipeline-script.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";

const repos = useOfflineRepos();

function makeRepo(steps: OfflineSteps): Promise<OfflineRepo> {
  return createPipelineRepo(repos, steps);
}

describe("bosun pipeline refuses before writing anything", () => {
  it("a --task-id that is not a safe id: exit 2, and no run is made", async () => {
    const repo = await makeRepo([]);

    const result = await repo.runCli(pipelineIntentArgs("--task-id", "my task/../x"));

    expect(result.exitCode, result.stderr).toBe(2);
    expectNoInternalError(result);
    expect(result.stderr).toContain('--task-id "my task/../x": an id is letters, digits');
    // A run made with it would hold a journal whose run.json can never be written.
    expect(await listRunIds(repo.paths)).toEqual([]);
  });

  it("a folder that is no repository, without --no-git, also when it holds runs: exit 2 naming --no-git", async () => {
    const repo = await makeRepo([]);
    await rm(join(repo.root, ".git"), { recursive: true, force: true });
    // What a --no-git pipeline leaves: bosun then takes this folder as the one its runs are in.
    await mkdir(repo.paths.runsDir, { recursive: true });

    const result = await repo.runCli(pipelineIntentArgs("--pairs", "implement"));

    expect(result.exitCode, result.stderr).toBe(2);
    expectNoInternalError(result);
    expect(result.stderr).toContain(`${repo.root} is not inside a git repository`);
    expect(result.stderr).toContain("or pass --no-git");
    expect(result.stderr).not.toContain("git rev-parse");
    expect(await listRunIds(repo.paths)).toEqual([]);
    expect(existsSync(join(repo.root, ".git"))).toBe(false);
  });
});

describe("bosun pipeline: the end of a call that waits on a blocked pair", () => {
  it(
    "names retry|abort, never a free-text answer, for the ask it waits on",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([
        { seat: "worker", actions: [workReport()] },
        { seat: "verifier", actions: [verdict({ verdict: "blocked", reason: "no fixture" })] },
      ]);

      const result = await repo.runCli(pipelineIntentArgs("--pairs", "implement"));

      expect(result.exitCode, result.stderr).toBe(3);
      expectNoInternalError(result);
      const [runId = ""] = await listRunIds(repo.paths);
      const askId = `ask-${runId}-implement-all-i1`;
      expect(result.stderr).toContain(`bosun answer ${askId} retry|abort`);
      expect(result.stderr).not.toContain(`bosun answer ${askId} "<your answer>"`);
    },
  );
});
