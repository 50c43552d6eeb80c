/**
 * `bosun pipeline` and its humans, end to end with the offline agent: a verifier's question
 * through `bosun asks` / `bosun answer` (or a model, with --full-auto-answers) into the ledger and
 * the next producer's prompt, and a blocked pair that a human stops.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AnswerSchema, AskSchema } from "../../src/store/schema/asks.js";
import {
  filterEvents,
  type OfflineRepo,
  type OfflineSteps,
  useOfflineRepos,
} from "../helpers/offline-repo.js";
import {
  PIPELINE_CLI_TIMEOUT_MS,
  PIPELINE_TEST_TIMEOUT_MS,
  countCompletedDispatches,
  createPipelineRepo,
  listStartedIterations,
  makeHappySteps,
  pipelineIntentArgs,
  readOnlyPipelineRun,
  readPromptFile,
  readRunFile,
  verdict,
} from "../helpers/pipeline-script.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { waitFor } from "../helpers/wait-for.js";

const QUESTION = "Should the greeting say hello or hi?";
const ANSWER = "Say hello, in lower case.";
const MODEL_ANSWER = "hello, as the request implies";
const BLOCKED_REASON = "greeting.txt is owned by another team";

/** `bosun asks --json`: asks with their answer (null while open). */
const AskListSchema = z.array(AskSchema.extend({ answer: AnswerSchema.nullable() }));

/** The verifier asks in the first iteration of implement; every later verdict completes. */
const QUESTION_STEPS: OfflineSteps = [
  {
    seat: "verifier",
    round: 1,
    actions: [verdict({ verdict: "question", question: QUESTION, options: ["hello", "hi"] })],
  },
  ...makeHappySteps(),
];

const repos = useOfflineRepos();

function makeRepo(steps: OfflineSteps): Promise<OfflineRepo> {
  return createPipelineRepo(repos, steps);
}

describe("bosun pipeline: a verifier's question", () => {
  it(
    "waits for a human (exit 3), lists the ask, and resumes once answered: the answer is in the ledger and the next producer prompt",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo(QUESTION_STEPS);

      const asked = await repo.runCli(pipelineIntentArgs("--pairs", "implement"));

      expect(asked.exitCode, asked.stderr).toBe(3);
      expectNoInternalError(asked);
      const { runId, run } = await readOnlyPipelineRun(repo);
      expect(run.status).toBe("needs_human");
      const askId = `ask-${runId}-implement-all-i1`;
      expect(run.openAskIds).toEqual([askId]);
      expect(asked.stderr).toContain(`bosun answer ${askId} "<your answer>"`);
      const listed = await repo.runCli(["asks", "--json"]);
      expect(listed.exitCode).toBe(0);
      const asks = AskListSchema.parse(JSON.parse(listed.stdout));
      expect(asks).toMatchObject([{ id: askId, runId, answer: null }]);
      expect(asks[0]?.question).toContain(QUESTION);
      expect(asks[0]?.context).toContain("the verifier suggests: hello | hi");
      expect(await readRunFile(repo, runId, "decisions.md")).toContain(`**Question:** ${QUESTION}`);

      const answered = await repo.runCli(["answer", askId, ANSWER]);

      expect(answered.exitCode, answered.stderr).toBe(0);
      expectNoInternalError(answered);
      const after = await readOnlyPipelineRun(repo);
      expect(after.run).toMatchObject({ status: "succeeded", openAskIds: [] });
      expect(filterEvents(after.events, "ask.answered")).toMatchObject([{ askId, answer: ANSWER }]);
      expect(listStartedIterations(after.events)).toEqual(["implement/all#1", "implement/all#2"]);
      const ledger = await readRunFile(repo, runId, "decisions.md");
      expect(ledger).toContain(`**Answer** (a human, via cli): ${ANSWER}`);
      const prompt = await readPromptFile(repo, runId, {
        phase: "implement/all",
        iteration: 2,
        seat: "worker",
      });
      expect(prompt).toContain(QUESTION);
      expect(prompt).toContain(ANSWER);
      for (const dispatches of countCompletedDispatches(after.events).values())
        expect(dispatches).toBe(1);
      expect(
        AskListSchema.parse(JSON.parse((await repo.runCli(["asks", "--json"])).stdout)),
      ).toEqual([]);
    },
  );

  it(
    "with --full-auto-answers, a model answers at once and the ledger says so",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([
        { seat: "answerer", actions: [{ report: { answer: MODEL_ANSWER } }] },
        ...QUESTION_STEPS,
      ]);

      const result = await repo.runCli(
        pipelineIntentArgs("--pairs", "implement", "--full-auto-answers"),
      );

      expect(result.exitCode, result.stderr).toBe(0);
      expectNoInternalError(result);
      const { runId, run, events } = await readOnlyPipelineRun(repo);
      expect(run.status).toBe("succeeded");
      const askId = `ask-${runId}-implement-all-i1`;
      expect(filterEvents(events, "ask.answered")).toMatchObject([{ askId, answer: MODEL_ANSWER }]);
      expect(filterEvents(events, "dispatch.completed", { seat: "answerer" })).toHaveLength(1);
      // The run never waited on a human.
      expect(filterEvents(events, "run.completed").map((event) => event.status)).toEqual([
        "succeeded",
      ]);
      const ledger = await readRunFile(repo, runId, "decisions.md");
      expect(ledger).toContain(`**Question:** ${QUESTION}`);
      expect(ledger).toContain(
        `**Answer** (model (offline, --full-auto-answers)): ${MODEL_ANSWER}`,
      );
      expect(
        await readPromptFile(repo, runId, { phase: "implement/all", iteration: 2, seat: "worker" }),
      ).toContain(MODEL_ANSWER);
    },
  );
});

describe("bosun pipeline: --full-auto-answers on a question already open", () => {
  it(
    "a --resume with --full-auto-answers has the model answer the question the run waits on",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([
        { seat: "answerer", actions: [{ report: { answer: MODEL_ANSWER } }] },
        ...QUESTION_STEPS,
      ]);
      const asked = await repo.runCli(pipelineIntentArgs("--pairs", "implement"));
      expect(asked.exitCode, asked.stderr).toBe(3);
      const { runId } = await readOnlyPipelineRun(repo);

      const resumed = await repo.runCli(["pipeline", "--resume", runId, "--full-auto-answers"]);

      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expectNoInternalError(resumed);
      const { run, events } = await readOnlyPipelineRun(repo);
      expect(run).toMatchObject({ status: "succeeded", options: { isFullAutoAnswers: true } });
      expect(filterEvents(events, "ask.answered")).toMatchObject([
        { askId: `ask-${runId}-implement-all-i1`, answer: MODEL_ANSWER },
      ]);
      expect(await readRunFile(repo, runId, "decisions.md")).toContain(
        `**Answer** (model (offline, --full-auto-answers)): ${MODEL_ANSWER}`,
      );
    },
  );

  it(
    "after a kill -9 during the model's answer, a resume has the model answer again instead of waiting for a human",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([]);
      const marker = join(repo.home, "answerer-started");
      await repo.writeScript([
        {
          seat: "answerer",
          times: 1,
          actions: [{ write: { path: marker, content: "started\n" } }, { sleepMs: 60_000 }],
        },
        { seat: "answerer", actions: [{ report: { answer: MODEL_ANSWER } }] },
        ...QUESTION_STEPS,
      ]);
      const first = repo.startCli(
        pipelineIntentArgs("--pairs", "implement", "--full-auto-answers"),
      );
      const exited = first.result.then((result): never => {
        throw new Error(
          `bosun exited (code ${String(result.exitCode)}) before its answerer started:\n${result.stderr}`,
        );
      });
      await Promise.race([
        waitFor("the answerer to start", () => (existsSync(marker) ? true : undefined), {
          timeoutMs: PIPELINE_CLI_TIMEOUT_MS,
        }),
        exited,
      ]);
      process.kill(first.pid, "SIGKILL");
      await first.result;
      const { runId } = await readOnlyPipelineRun(repo);

      const resumed = await repo.runCli(["pipeline", "--resume", runId]);

      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expectNoInternalError(resumed);
      const { run, events } = await readOnlyPipelineRun(repo);
      expect(run.status).toBe("succeeded");
      expect(filterEvents(events, "ask.answered")).toMatchObject([{ answer: MODEL_ANSWER }]);
      expect(filterEvents(events, "run.completed").map((event) => event.status)).toEqual([
        "succeeded",
      ]);
      for (const dispatches of countCompletedDispatches(events).values())
        expect(dispatches).toBe(1);
    },
  );
});

describe("bosun pipeline: a blocked pair", () => {
  it(
    "asks retry|abort, and abort cancels the run without another iteration",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([
        {
          seat: "verifier",
          round: 1,
          actions: [verdict({ verdict: "blocked", reason: BLOCKED_REASON })],
        },
        ...makeHappySteps(),
      ]);

      const blocked = await repo.runCli(pipelineIntentArgs("--pairs", "implement"));

      expect(blocked.exitCode, blocked.stderr).toBe(3);
      expectNoInternalError(blocked);
      const { runId, run } = await readOnlyPipelineRun(repo);
      const askId = `ask-${runId}-implement-all-i1`;
      expect(run).toMatchObject({ status: "needs_human", openAskIds: [askId] });
      expect(run.reason).toBe(`waiting for an answer: bosun answer ${askId} retry|abort`);
      const asks = AskListSchema.parse(JSON.parse((await repo.runCli(["asks", "--json"])).stdout));
      expect(asks[0]?.question).toContain(`implement/all is blocked: ${BLOCKED_REASON}`);
      expect(asks[0]?.options.map((option) => option.key)).toEqual(["retry", "abort"]);

      const aborted = await repo.runCli(["answer", askId, "abort"]);

      expect(aborted.exitCode).toBe(1);
      expectNoInternalError(aborted);
      const after = await readOnlyPipelineRun(repo);
      expect(after.run).toMatchObject({
        status: "cancelled",
        reason: "stopped by a human at implement/all",
      });
      expect(listStartedIterations(after.events)).toEqual(["implement/all#1"]);
    },
  );

  it(
    "retry runs the pair again even when the blocked iteration was its last (--max-iterations 1)",
    { timeout: PIPELINE_TEST_TIMEOUT_MS },
    async () => {
      const repo = await makeRepo([
        {
          seat: "verifier",
          round: 1,
          actions: [verdict({ verdict: "blocked", reason: BLOCKED_REASON })],
        },
        ...makeHappySteps(),
      ]);
      const blocked = await repo.runCli(
        pipelineIntentArgs("--pairs", "implement", "--max-iterations", "1"),
      );
      expect(blocked.exitCode, blocked.stderr).toBe(3);
      const { runId } = await readOnlyPipelineRun(repo);
      const askId = `ask-${runId}-implement-all-i1`;

      const retried = await repo.runCli(["answer", askId, "retry"]);

      expect(retried.exitCode, retried.stderr).toBe(0);
      expectNoInternalError(retried);
      const { run, events } = await readOnlyPipelineRun(repo);
      expect(run.status).toBe("succeeded");
      expect(listStartedIterations(events)).toEqual(["implement/all#1", "implement/all#2"]);
      expect(filterEvents(events, "ask.answered")).toMatchObject([
        { askId, answer: "retry", extraRounds: 1 },
      ]);
    },
  );
});
