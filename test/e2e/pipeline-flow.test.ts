/**
 * `bosun pipeline` end to end with the offline agent: the built CLI through plan → implement →
 * test → audit, the order phases take, a verifier sending a producer back, the layout a run
 * leaves, the read commands on it, the iteration limit, and bad verdicts and plans.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { filterEvents, type OfflineRepo, type OfflineSteps } from "../helpers/offline-repo.js";
import { parsePhasePlan, parseVerdict } from "../../src/store/schema/pipeline.js";
import {
  COMPLETE,
  INTENT,
  PLAN_FILE,
  makePhase,
  writeJson,
  PIPELINE_TEST_TIMEOUT_MS,
  countCompletedDispatches,
  createPipelineRepo,
  getRunFile,
  listStartedIterations,
  makeHappySteps,
  pipelineIntentArgs,
  readOnlyPipelineRun,
  readPromptFile,
  readRunFile,
  verdict,
  workReport,
} from "../helpers/pipeline-script.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { useOfflineRepos } from "../helpers/offline-repo.js";

const MISSING = "a test for an empty greeting";

const repos = useOfflineRepos();

function makeRepo(steps: OfflineSteps): Promise<OfflineRepo> {
  return createPipelineRepo(repos, steps);
}

describe("bosun pipeline: a four-pair run", () => {
  it(
    "plans two phases, takes them in dependency order, sends a producer back once, and leaves the run's files",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([
        {
          seat: "worker",
          phase: "implement/p1",
          actions: [{ write: { path: "p1.txt", content: "one\n" } }, workReport(["p1.txt"])],
        },
        {
          seat: "worker",
          phase: "implement/p2",
          actions: [{ write: { path: "p2.txt", content: "two\n" } }, workReport(["p2.txt"])],
        },
        {
          seat: "verifier",
          phase: "test/p1",
          round: 1,
          actions: [
            verdict({ verdict: "continue", missing: [MISSING], summary: "one test short" }),
          ],
        },
        {
          seat: "worker",
          phase: "test/p1",
          round: 2,
          actions: [
            { write: { path: "p1.test.txt", content: "test one\n" } },
            workReport(["p1.test.txt"]),
          ],
        },
        ...makeHappySteps(),
      ]);

      const result = await repo.runCli(pipelineIntentArgs());

      expect(result.exitCode, result.stderr).toBe(0);
      expectNoInternalError(result);
      const { runId, run, events } = await readOnlyPipelineRun(repo);
      expect(run).toMatchObject({ status: "succeeded", depth: 0 });
      expect(listStartedIterations(events)).toEqual([
        "plan#1",
        "implement/p1#1",
        "test/p1#1",
        "test/p1#2",
        "implement/p2#1",
        "test/p2#1",
        "audit#1",
      ]);
      expect(filterEvents(events, "phases.planned")).toMatchObject([{ phaseIds: ["p1", "p2"] }]);
      expect(
        filterEvents(events, "verdict.recorded").map(
          (event) => `${event.phase}#${event.round}:${event.verdict}`,
        ),
      ).toEqual([
        "plan#1:complete",
        "implement/p1#1:complete",
        "test/p1#1:continue",
        "test/p1#2:complete",
        "implement/p2#1:complete",
        "test/p2#1:complete",
        "audit#1:complete",
      ]);
      // What the verifier found missing reaches the producer's next iteration.
      const prompt = await readPromptFile(repo, runId, {
        phase: "test/p1",
        iteration: 2,
        seat: "worker",
      });
      expect(prompt).toContain(MISSING);
      for (const dispatches of countCompletedDispatches(events).values())
        expect(dispatches).toBe(1);

      expect(await readRunFile(repo, runId, "request.md")).toBe(`${INTENT}\n`);
      const story = await readRunFile(repo, runId, "raw_phase_log.md");
      expect(story).toContain("phases planned: p1 → p2");
      expect(story).toContain("## test/p1 · iteration 2");
      expect(story).toContain(`verdict **continue**: one test short — missing: ${MISSING}`);
      expect(existsSync(getRunFile(repo, runId, "decisions.md"))).toBe(false);
      for (const rel of [
        "artifacts/plan/plan.json",
        "artifacts/implement/phases/p1/rounds/1/verdict.json",
        "artifacts/test/phases/p2/rounds/1/verdict.json",
        "artifacts/audit/audit.json",
      ])
        expect(existsSync(getRunFile(repo, runId, rel)), rel).toBe(true);

      const status = await repo.runCli(["status", runId]);
      expect(status.exitCode).toBe(0);
      expect(status.stdout).toContain("succeeded");
      expect(status.stdout).toContain(
        "pairs    plan → implement → test → audit · now audit iteration 1",
      );
      const log = await repo.runCli(["log", runId]);
      expect(log.exitCode).toBe(0);
      expect(log.stdout).toContain("phases: p1 → p2");
      expect(log.stdout).toContain(
        `verdict continue · 1 item(s) missing one test short — missing: ${MISSING}`,
      );
      expect(log.stdout).toContain("succeeded the audit (iteration 1) found no material gap");
      const diff = await repo.runCli(["diff", runId]);
      expect(diff.exitCode).toBe(0);
      for (const file of ["p1.txt", "p2.txt", "p1.test.txt"])
        expect(diff.stdout).toContain(`+++ b/${file}`);
    },
  );
});

describe("bosun pipeline: limits and bad output", () => {
  it(
    "fails clearly after --max-iterations, and a --resume with more iterations goes on to complete",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([
        { seat: "verifier", round: 3, actions: [COMPLETE] },
        {
          seat: "verifier",
          actions: [verdict({ verdict: "continue", missing: [MISSING], summary: "not yet" })],
        },
        ...makeHappySteps(),
      ]);

      const failed = await repo.runCli(
        pipelineIntentArgs("--pairs", "implement", "--max-iterations", "2"),
      );

      expect(failed.exitCode).toBe(1);
      expectNoInternalError(failed);
      const reason =
        "implement/all did not complete in 2 iteration(s) (--max-iterations): its verifier still finds work missing; see its last verdict.json";
      expect(failed.stderr).toContain(reason);
      const { runId, run } = await readOnlyPipelineRun(repo);
      expect(run).toMatchObject({ status: "failed", reason });
      // The way on that can work: more iterations (a plain resume would fail the same way).
      expect(failed.stderr).toContain(
        `To give it more: bosun pipeline --resume ${runId} --max-iterations 7`,
      );

      const resumed = await repo.runCli(["pipeline", "--resume", runId, "--max-iterations", "3"]);

      expect(resumed.exitCode, resumed.stderr).toBe(0);
      const after = await readOnlyPipelineRun(repo);
      expect(after.run).toMatchObject({ status: "succeeded", options: { maxIterations: 3 } });
      expect(filterEvents(after.events, "options.changed")).toMatchObject([
        { options: { maxIterations: 3 } },
      ]);
      expect(listStartedIterations(after.events)).toEqual([
        "implement/all#1",
        "implement/all#2",
        "implement/all#3",
      ]);
      for (const dispatches of countCompletedDispatches(after.events).values())
        expect(dispatches).toBe(1);
    },
  );

  it(
    "re-prompts a verifier once with the exact error of its invalid verdict, then fails the run",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const badVerdict = { verdict: "maybe", summary: "unsure" };
      const repo = await makeRepo([
        { seat: "verifier", actions: [verdict(badVerdict)] },
        ...makeHappySteps(),
      ]);

      const result = await repo.runCli(pipelineIntentArgs("--pairs", "implement"));

      expect(result.exitCode).toBe(1);
      expectNoInternalError(result);
      const { runId, run, events } = await readOnlyPipelineRun(repo);
      const verdictFile = getRunFile(
        repo,
        runId,
        "artifacts/implement/phases/all/rounds/1/verdict.json",
      );
      const parsed = parseVerdict(badVerdict);
      if (parsed.ok) throw new Error("the bad verdict must not parse");
      const exactError = `${verdictFile}: ${parsed.error}`;
      const reprompt = await readPromptFile(repo, runId, {
        phase: "implement/all",
        iteration: 1,
        seat: "verifier",
        attempt: 2,
      });
      expect(reprompt).toContain(`## Your previous report was rejected\n${exactError}\n`);
      expect(
        await readPromptFile(repo, runId, {
          phase: "implement/all",
          iteration: 1,
          seat: "verifier",
        }),
      ).not.toContain("rejected");
      expect(filterEvents(events, "dispatch.completed", { seat: "verifier" })).toHaveLength(2);
      expect(filterEvents(events, "verdict.recorded")).toEqual([]);
      const reason = `implement/all, iteration 1: the verifier gave no valid verdict after a re-prompt: ${exactError}`;
      expect(run).toMatchObject({ status: "failed", reason });
      expect(result.stderr).toContain(reason);
    },
  );

  it(
    "fails the plan gate on an invalid plan.json with the exact error, which the next plan iteration's prompt carries",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const badPlan = { version: 1, phases: [makePhase("p1", ["p9"])] };
      const repo = await makeRepo([
        {
          seat: "worker",
          phase: "plan",
          round: 1,
          actions: [writeJson(PLAN_FILE, badPlan), workReport()],
        },
        ...makeHappySteps(),
      ]);

      const result = await repo.runCli(pipelineIntentArgs("--pairs", "plan"));

      expect(result.exitCode, result.stderr).toBe(0);
      const { runId, run, events } = await readOnlyPipelineRun(repo);
      expect(run.status).toBe("succeeded");
      const parsed = parsePhasePlan(badPlan);
      if (parsed.ok) throw new Error("the bad plan must not parse");
      expect(parsed.error).toContain("p9");
      expect(
        filterEvents(events, "gate.completed", { round: 1 }).map(({ name, passed, detail }) => ({
          name,
          passed,
          detail,
        })),
      ).toEqual([
        { name: "report", passed: true, detail: "valid work report" },
        { name: "plan", passed: false, detail: parsed.error },
      ]);
      // A failed gate is a fix for the next iteration: no verifier is asked about a broken plan.
      expect(filterEvents(events, "dispatch.started", { seat: "verifier", round: 1 })).toEqual([]);
      const planFile = getRunFile(repo, runId, "artifacts/plan/plan.json");
      const prompt = await readPromptFile(repo, runId, {
        phase: "plan",
        iteration: 2,
        seat: "worker",
      });
      expect(prompt).toContain(`Fix ${planFile}: ${parsed.error}`);
      expect(listStartedIterations(events)).toEqual(["plan#1", "plan#2"]);
    },
  );
});
