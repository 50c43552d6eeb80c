/**
 * `bosun pipeline` taking its defaults from `pipeline:` in bosun.yaml — autoloop's comma list of
 * pairs, the single phase mode and the test command as a gate — with no flag but the request.
 */
import { describe, expect, it } from "vitest";
import { createOfflineRepo, filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import {
  COMPLETE,
  INTENT,
  PIPELINE_CLI_TIMEOUT_MS,
  PIPELINE_TEST_TIMEOUT_MS,
  PLAN_FILE,
  TWO_PHASE_PLAN,
  listStartedIterations,
  readOnlyPipelineRun,
  workReport,
  writeJson,
} from "../helpers/pipeline-script.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";

const repos = useOfflineRepos();

describe("bosun pipeline with pipeline: in bosun.yaml", () => {
  it(
    "runs the configured pairs once over the whole plan, gated by the configured test command",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const verify = "test -f made-2.txt";
      const repo = await createOfflineRepo(
        [
          {
            seat: "worker",
            phase: "plan",
            actions: [writeJson(PLAN_FILE, TWO_PHASE_PLAN), workReport()],
          },
          {
            seat: "worker",
            // The test command passes from the second iteration on.
            actions: [{ write: { path: "made-${BOSUN_ROUND}.txt", content: "x\n" } }, workReport()],
          },
          { seat: "verifier", actions: [COMPLETE] },
        ],
        {
          pipeline: {
            pairs: "plan,implement",
            phaseMode: "single",
            verify,
            producer: "offline",
            verifier: "offline",
          },
        },
        { cliTimeoutMs: PIPELINE_CLI_TIMEOUT_MS },
      );
      repos.push(repo);

      const result = await repo.runCli(["pipeline", "--intent", INTENT]);

      expect(result.exitCode, result.stderr).toBe(0);
      expectNoInternalError(result);
      const { run, events } = await readOnlyPipelineRun(repo);
      expect(run).toMatchObject({
        status: "succeeded",
        options: { pairs: ["plan", "implement"], phaseMode: "single", verify },
      });
      // The plan has two phases; single mode takes them as one.
      expect(filterEvents(events, "phases.planned")).toMatchObject([{ phaseIds: ["all"] }]);
      expect(listStartedIterations(events)).toEqual([
        "plan#1",
        "implement/all#1",
        "implement/all#2",
      ]);
      const verifyGates = filterEvents(events, "gate.completed").filter(
        (event) => event.name === "verify",
      );
      expect(verifyGates.map((event) => [event.round, event.passed])).toEqual([
        [1, false],
        [2, true],
      ]);
      // A failed gate is a fix list of its own: no verifier call for iteration 1.
      expect(
        filterEvents(events, "dispatch.completed")
          .filter((event) => event.seat === "verifier")
          .map((event) => `${event.phase ?? ""}#${event.round}`),
      ).toEqual(["plan#1", "implement/all#2"]);
    },
  );
});
