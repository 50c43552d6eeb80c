/**
 * `bosun pipeline` refusing what it cannot run, before it writes anything: a --task-id that is no
 * safe id.
 */
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
});
