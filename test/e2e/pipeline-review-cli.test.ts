/**
 * `bosun pipeline` refusing what it cannot run, before it writes anything: a --task-id that is no
 * safe id, and a folder that is no repository without --no-git (also when it holds runs).
 */
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listRunIds } from "../../src/store/run-read.js";
import { type OfflineRepo, type OfflineSteps, useOfflineRepos } from "../helpers/offline-repo.js";
import { createPipelineRepo, pipelineIntentArgs } from "../helpers/pipeline-script.js";
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
