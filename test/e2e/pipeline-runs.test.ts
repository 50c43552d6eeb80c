/**
 * `bosun pipeline` across runs, end to end with the offline agent: follow-up runs the audit
 * starts (and the flags that stop them), `--list-tasks`, a run in a folder without git, a kill -9
 * mid-pair and its resume, and the intent modes of a task's later runs.
 */
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AuditReport } from "../../src/store/schema/pipeline.js";
import {
  filterEvents,
  type OfflineRepo,
  type OfflineSteps,
  useOfflineRepos,
} from "../helpers/offline-repo.js";
import {
  AUDIT_FILE,
  CLEAN_AUDIT,
  INTENT,
  PIPELINE_CLI_TIMEOUT_MS,
  PIPELINE_TEST_TIMEOUT_MS,
  countCompletedDispatches,
  createPipelineRepo,
  getRunFile,
  makeHappySteps,
  makePhase,
  pipelineArgs,
  pipelineIntentArgs,
  readOnlyPipelineRun,
  readPipelineRuns,
  readRunFile,
  workReport,
} from "../helpers/pipeline-script.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { isPidRunning } from "../helpers/testdir.js";
import { waitFor } from "../helpers/wait-for.js";

const REVISED_REQUEST = "REVISED: add farewell.txt too.";
const GAPS_AUDIT: AuditReport = {
  version: 1,
  delivered: ["greeting.txt"],
  gaps: ["farewell.txt is missing"],
  revised_request: REVISED_REQUEST,
};

/** `bosun pipeline --list-tasks --json`. */
const TaskListSchema = z.array(
  z.strictObject({
    taskId: z.string(),
    runs: z.array(
      z
        .object({
          id: z.string(),
          status: z.string(),
          depth: z.number(),
          parentRunId: z.string().nullable(),
          followupRunId: z.string().nullable(),
        })
        .loose(),
    ),
  }),
);

const repos = useOfflineRepos();

function makeRepo(steps: OfflineSteps): Promise<OfflineRepo> {
  return createPipelineRepo(repos, steps);
}

/**
 * A repo whose audit finds a gap, except in a run whose request is the revised one (a follow-up):
 * the audit producer copies one of two prepared audits by what its run's request.md says.
 */
async function makeGapRepo(): Promise<OfflineRepo> {
  const repo = await makeRepo([]);
  const gapsFile = join(repo.home, "audit-gaps.json");
  const cleanFile = join(repo.home, "audit-clean.json");
  await writeFile(gapsFile, JSON.stringify(GAPS_AUDIT));
  await writeFile(cleanFile, JSON.stringify(CLEAN_AUDIT));
  const auditFile = AUDIT_FILE.replace("${BOSUN_RUN_DIR}", '"$BOSUN_RUN_DIR"');
  await repo.writeScript([
    {
      seat: "worker",
      phase: "audit",
      actions: [
        {
          run: `mkdir -p "$BOSUN_RUN_DIR/artifacts/audit" && if grep -q REVISED "$BOSUN_RUN_DIR/request.md"; then cp '${cleanFile}' ${auditFile}; else cp '${gapsFile}' ${auditFile}; fi`,
        },
        workReport(),
      ],
    },
    ...makeHappySteps(),
  ]);
  return repo;
}

describe("bosun pipeline: follow-up runs", () => {
  it(
    "starts a follow-up run for the audit's gaps by itself, links both ways, and lists the task",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeGapRepo();

      const result = await repo.runCli(pipelineIntentArgs("--pairs", "audit"));

      expect(result.exitCode, result.stderr).toBe(0);
      expectNoInternalError(result);
      const [parent, child, ...others] = await readPipelineRuns(repo);
      if (parent === undefined || child === undefined) throw new Error("expected two runs");
      expect(others).toEqual([]);
      expect(parent.run).toMatchObject({
        status: "succeeded",
        depth: 0,
        followupRunId: child.runId,
        reason: `the audit found 1 material gap(s); follow-up run ${child.runId} takes them on`,
      });
      expect(parent.run.parentRunId).toBeUndefined();
      expect(filterEvents(parent.events, "followup.started")).toMatchObject([
        { childRunId: child.runId, gaps: 1 },
      ]);
      expect(await readRunFile(repo, parent.runId, "artifacts/audit/revised_request.md")).toBe(
        `${REVISED_REQUEST}\n`,
      );
      expect(child.run).toMatchObject({
        status: "succeeded",
        depth: 1,
        parentRunId: parent.runId,
        taskId: parent.run.taskId,
      });
      expect(child.run.followupRunId).toBeUndefined();
      expect(filterEvents(child.events, "run.created")).toMatchObject([
        { parentRunId: parent.runId, depth: 1 },
      ]);
      expect(await readRunFile(repo, child.runId, "request.md")).toContain(REVISED_REQUEST);
      // The call reports the last run it drove: the follow-up.
      expect(result.stderr).toContain(`succeeded run ${child.runId}`);

      const listed = await repo.runCli(["pipeline", "--list-tasks"]);
      expect(listed.exitCode).toBe(0);
      expect(listed.stdout).toContain(`${parent.run.taskId}  (2 run(s))`);
      expect(listed.stdout).toContain(`followed up by ${child.runId}`);
      expect(listed.stdout).toContain(`follow-up of ${parent.runId}`);
      const listedJson = await repo.runCli(["pipeline", "--list-tasks", "--json"]);
      expect(listedJson.exitCode).toBe(0);
      expect(TaskListSchema.parse(JSON.parse(listedJson.stdout))).toMatchObject([
        {
          taskId: parent.run.taskId,
          runs: [
            {
              id: parent.runId,
              status: "succeeded",
              depth: 0,
              parentRunId: null,
              followupRunId: child.runId,
            },
            {
              id: child.runId,
              status: "succeeded",
              depth: 1,
              parentRunId: parent.runId,
              followupRunId: null,
            },
          ],
        },
      ]);
    },
  );

  it(
    "fails at --followup-depth 0 naming the depth, and succeeds with --no-followup naming revised_request.md; neither starts a run",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeGapRepo();

      const deep = await repo.runCli(
        pipelineArgs("--intent", "Add greeting.txt.", "--pairs", "audit", "--followup-depth", "0"),
      );

      expect(deep.exitCode).toBe(1);
      expectNoInternalError(deep);
      const [first] = await readPipelineRuns(repo);
      if (first === undefined) throw new Error("expected a run");
      const revisedFile = getRunFile(repo, first.runId, "artifacts/audit/revised_request.md");
      expect(first.run.status).toBe("failed");
      expect(first.run.reason).toContain(
        "the chain of follow-ups is 0 deep, the most --followup-depth allows",
      );
      expect(deep.stderr).toContain(first.run.reason);
      expect(first.run.reason).toContain(revisedFile);
      expect(deep.stderr).toContain(`bosun pipeline --resume ${first.runId} --followup-depth 1`);

      const off = await repo.runCli(
        pipelineArgs("--intent", "Add hello.txt.", "--pairs", "audit", "--no-followup"),
      );

      expect(off.exitCode, off.stderr).toBe(0);
      const runs = await readPipelineRuns(repo);
      expect(runs).toHaveLength(2);
      const second = runs[1];
      if (second === undefined) throw new Error("expected a second run");
      expect(second.run.status).toBe("succeeded");
      expect(second.run.reason).toContain("follow-ups are off (--no-followup)");
      const secondRevised = getRunFile(repo, second.runId, "artifacts/audit/revised_request.md");
      expect(second.run.reason).toContain(secondRevised);
      expect(off.stderr).toContain(secondRevised);
      expect(existsSync(secondRevised)).toBe(true);
      for (const { run, events } of runs) {
        expect(run.followupRunId).toBeUndefined();
        expect(filterEvents(events, "followup.started")).toEqual([]);
      }
    },
  );
});

describe("bosun pipeline --no-git", () => {
  it(
    "runs in a folder that is no repository: no checkpoints, status works, diff says why there is none",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([
        {
          seat: "worker",
          phase: "implement/all",
          actions: [{ write: { path: "greeting.txt", content: "hello\n" } }, workReport()],
        },
        ...makeHappySteps(),
      ]);
      await rm(join(repo.root, ".git"), { recursive: true, force: true });

      const result = await repo.runCli(pipelineIntentArgs("--pairs", "implement", "--no-git"));

      expect(result.exitCode, result.stderr).toBe(0);
      expectNoInternalError(result);
      expect(existsSync(join(repo.root, ".git"))).toBe(false);
      const { runId, run, events } = await readOnlyPipelineRun(repo);
      expect(run).toMatchObject({
        status: "succeeded",
        baseCommit: "",
        options: { isGitDisabled: true },
      });
      const checkpoints = filterEvents(events, "checkpoint.created");
      expect(checkpoints.length).toBeGreaterThan(0);
      expect(checkpoints.every((event) => event.commit === "")).toBe(true);
      expect(await readRunFile(repo, runId, "raw_phase_log.md")).toContain(
        "no checkpoint (--no-git)",
      );

      const status = await repo.runCli(["status", runId]);
      expect(status.exitCode, status.stderr).toBe(0);
      expect(status.stdout).toContain(runId);
      expect(status.stdout).toContain("succeeded");
      const diff = await repo.runCli(["diff", runId]);
      expect(diff.exitCode).toBe(2);
      expectNoInternalError(diff);
      expect(diff.stderr).toContain(
        `Run ${runId} ran with --no-git: nothing was checkpointed, so there is no diff`,
      );
    },
  );
});

describe("bosun pipeline after kill -9", () => {
  it(
    "resumes mid-pair: the run completes, no finished dispatch runs again, the orphaned producer is ended",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([]);
      const marker = join(repo.home, "producer-pid");
      await repo.writeScript([
        {
          seat: "worker",
          phase: "implement/p1",
          times: 1,
          actions: [
            // The offline agent's pid, written whole (tmp + rename): the signal that it is working.
            { run: `echo $PPID > '${marker}.tmp' && mv '${marker}.tmp' '${marker}'` },
            { sleepMs: 60_000 },
          ],
        },
        ...makeHappySteps({ version: 1, phases: [makePhase("p1")] }),
      ]);

      const first = repo.startCli(pipelineIntentArgs("--pairs", "plan,implement"));
      const exited = first.result.then((result): never => {
        throw new Error(
          `bosun exited (code ${String(result.exitCode)}) before its producer started:\n${result.stderr}`,
        );
      });
      const producerPid = Number(
        await Promise.race([
          waitFor(
            "the implement producer to start",
            async () => (existsSync(marker) ? readFile(marker, "utf8") : undefined),
            { timeoutMs: PIPELINE_CLI_TIMEOUT_MS },
          ),
          exited,
        ]),
      );
      process.kill(first.pid, "SIGKILL");
      expect((await first.result).exitCode).toBeNull();
      expect(isPidRunning(producerPid)).toBe(true);
      const { runId } = await readOnlyPipelineRun(repo);

      const resumed = await repo.runCli(["pipeline", "--resume", runId]);

      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expectNoInternalError(resumed);
      const { run, events } = await readOnlyPipelineRun(repo);
      expect(run.status).toBe("succeeded");
      expect(filterEvents(events, "run.resumed")).toHaveLength(1);
      const counts = countCompletedDispatches(events);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
      expect([...counts.keys()].sort()).toEqual([
        "implement/p1/1/verifier/1",
        "implement/p1/1/worker/1",
        "plan/1/verifier/1",
        "plan/1/worker/1",
      ]);
      // Only the killed producer was started twice.
      expect(
        filterEvents(events, "dispatch.started").map((event) => `${event.phase}/${event.seat}`),
      ).toEqual([
        "plan/worker",
        "plan/verifier",
        "implement/p1/worker",
        "implement/p1/worker",
        "implement/p1/verifier",
      ]);
      expect(isPidRunning(producerPid)).toBe(false);
    },
  );
});

describe("bosun pipeline: a task's later runs", () => {
  it(
    "preserves, replaces and appends to the request, refuses a new intent under preserve, and refuses to resume a finished run",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo(makeHappySteps());
      const run = (...extra: string[]): ReturnType<OfflineRepo["runCli"]> =>
        repo.runCli(pipelineArgs("--task-id", "greet", "--pairs", "implement", ...extra));
      const readRequests = async (): Promise<string[]> =>
        Promise.all(
          (await readPipelineRuns(repo)).map(({ runId }) => readRunFile(repo, runId, "request.md")),
        );

      expect((await run("--intent", INTENT)).exitCode).toBe(0);
      const again = await run();
      expect(again.exitCode, again.stderr).toBe(0);
      expect(await readRequests()).toEqual([`${INTENT}\n`, `${INTENT}\n`]);

      const refused = await run("--intent", "Something else entirely.");
      expect(refused.exitCode).toBe(2);
      expectNoInternalError(refused);
      const [firstRun, secondRun] = await readPipelineRuns(repo);
      if (firstRun === undefined || secondRun === undefined) throw new Error("expected two runs");
      expect(refused.stderr).toContain(
        `Task greet already has a request (run ${secondRun.runId}) and --intent-mode is preserve: drop --intent to run it again, or pass --intent-mode replace (a new request) or append (added to it).`,
      );
      expect(await readPipelineRuns(repo)).toHaveLength(2);

      expect(
        (await run("--intent-mode", "replace", "--intent", "Add hello.txt instead.")).exitCode,
      ).toBe(0);
      expect((await run("--intent-mode", "append", "--intent", "Also add bye.txt.")).exitCode).toBe(
        0,
      );
      const requests = await readRequests();
      expect(requests).toHaveLength(4);
      expect(requests[2]).not.toContain(INTENT);
      expect(requests[2]).toContain("Add hello.txt instead.");
      expect(requests[3]).toMatch(
        /^Add hello\.txt instead\.\n\n## Added for run of \d{4}-\d{2}-\d{2}\nAlso add bye\.txt\.\n/,
      );

      const finished = await repo.runCli(["pipeline", "--resume", firstRun.runId]);
      expect(finished.exitCode).toBe(1);
      expectNoInternalError(finished);
      expect(finished.stderr).toContain(
        `Run ${firstRun.runId} already succeeded; there is nothing to resume.`,
      );
      expect((await readPipelineRuns(repo)).map(({ events }) => events.length)).toEqual(
        (await readPipelineRuns(repo)).map(({ run }) => run.eventCount),
      );
    },
  );
});
