/**
 * The documents a pipeline's producers write outside the tree (the plan, the audit): git does not
 * see `.bosun/`, so bosun keeps the copy each gate checked and puts it back when a verifier
 * changes the document — the next pairs work from the plan the plan pair's verifier approved.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PhasePlanSchema } from "../../src/store/schema/pipeline.js";
import { useOfflineRepos } from "../helpers/offline-repo.js";
import {
  COMPLETE,
  PIPELINE_TEST_TIMEOUT_MS,
  PLAN_FILE,
  TWO_PHASE_PLAN,
  createPipelineRepo,
  getRunFile,
  listStartedIterations,
  makeHappySteps,
  pipelineIntentArgs,
  readOnlyPipelineRun,
  writeJson,
} from "../helpers/pipeline-script.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";

const repos = useOfflineRepos();

describe("bosun pipeline: a verifier that edits the plan", () => {
  it(
    "gets the plan put back as its gate checked it, with a warning; the phases come from that plan",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const oneBigPhase = {
        version: 1,
        phases: [{ ...TWO_PHASE_PLAN.phases[0]!, id: "all-in-one", depends_on: [] }],
      };
      const repo = await createPipelineRepo(repos, [
        // The plan's verifier "improves" the plan instead of judging it.
        { seat: "verifier", phase: "plan", actions: [writeJson(PLAN_FILE, oneBigPhase), COMPLETE] },
        ...makeHappySteps(),
      ]);

      const result = await repo.runCli(pipelineIntentArgs("--pairs", "plan,implement"));

      expect(result.exitCode, result.stderr).toBe(0);
      expectNoInternalError(result);
      expect(result.stderr).toContain("bosun put back the version its gate checked");
      const { runId, events } = await readOnlyPipelineRun(repo);
      const plan = PhasePlanSchema.parse(
        JSON.parse(await readFile(getRunFile(repo, runId, "artifacts/plan/plan.json"), "utf8")),
      );
      expect(plan).toEqual(TWO_PHASE_PLAN);
      // p2 depends on p1: both phases of the checked plan, none of the verifier's.
      expect(listStartedIterations(events)).toEqual(["plan#1", "implement/p1#1", "implement/p2#1"]);
    },
  );
});
