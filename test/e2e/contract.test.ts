/**
 * `bosun _ <verb>` through the built CLI on runs made with the offline agent: every verb's real
 * output validates against the JSON Schema `bosun _ schema VERB` publishes (ajv, draft 2020-12),
 * errors are JSON with their exit codes, `tell` writes a tell, and `wait` returns on a new
 * journal event and on an answered ask.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { runProcess } from "../../src/proc/run-process.js";
import {
  createOfflineRepo,
  type CliProcess,
  type CliResult,
  type OfflineRepo,
  type OfflineSteps,
  useOfflineRepos,
} from "../helpers/offline-repo.js";
import { BOSUN_CLI, createBosunEnv, expectNoInternalError } from "../helpers/run-bosun.js";
import { APPROVE, RUN_OFFLINE, THREE_TASK_PLAN, createTeamRepo } from "../helpers/team-repo.js";
import { waitFor } from "../helpers/wait-for.js";

const GOAL = "Add feature.txt containing the word feature.";

const WORK: OfflineAction[] = [
  { write: { path: "feature.txt", content: "feature\n" } },
  { report: { files_changed: ["feature.txt"], notes: "Edited feature.txt.", tests: [] } },
];
const CHANGES_REQUIRED: OfflineAction = {
  report: {
    decision: "changes_required",
    blocking_issues: [{ severity: "high", file: "feature.txt", reason: "say FEATURE" }],
  },
};

/** Round 1 is rejected (with --max-rounds 1 the run then asks a human); round 2 is approved. */
const STEPS: OfflineSteps = [
  { role: "worker", round: 1, actions: WORK },
  { role: "reviewer", round: 1, actions: [CHANGES_REQUIRED] },
  {
    role: "worker",
    round: 2,
    actions: [
      { replace: { path: "feature.txt", find: "feature", with: "FEATURE" } },
      { report: { files_changed: ["feature.txt"], notes: "Said FEATURE.", tests: [] } },
    ],
  },
  { role: "reviewer", round: 2, actions: [APPROVE] },
];

const REVIEW = ["review", "--goal", GOAL, "--worker", "offline", "--reviewer", "offline"];

const repos = useOfflineRepos();

/** A review run that needs a human: its repo, run id and open ask. */
async function makeNeedsHumanRun(): Promise<{ repo: OfflineRepo; runId: string; askId: string }> {
  const repo = await createOfflineRepo(STEPS);
  repos.push(repo);
  const result = await repo.runCli([...REVIEW, "--max-rounds", "1"]);
  expect(result.exitCode).toBe(3);
  const { runId, run } = await repo.readOnlyRun();
  const askId = run.openAskIds[0];
  if (askId === undefined) throw new Error("a needs_human run has an open ask");
  return { repo, runId, askId };
}

/** Validates outputs against the schemas the CLI itself publishes. */
function createValidator(repo: OfflineRepo): (verb: string, output: unknown) => Promise<void> {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return async (verb, output) => {
    let validate = compiled.get(verb);
    if (validate === undefined) {
      const published = parseOutput(await repo.runCli(["_", "schema", verb]), 0);
      expect(published).toMatchObject({ contract: 1, verb });
      validate = ajv.compile(published["schema"] as object);
      compiled.set(verb, validate);
    }
    if (!validate(output))
      throw new Error(
        `${verb} output does not match its schema: ${ajv.errorsText(validate.errors)}`,
      );
  };
}

/** The one JSON document a verb printed, after checking its exit code. */
function parseOutput(result: CliResult, exitCode: number): Record<string, unknown> {
  expectNoInternalError(result);
  expect(result.exitCode, result.stderr).toBe(exitCode);
  const lines = result.stdout.split("\n").filter((line) => line.trim() !== "");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? "") as Record<string, unknown>;
}

/** Resolves once a `bosun _ wait` says on stderr that it is watching. */
function waitUntilWatching(wait: CliProcess): Promise<void> {
  return waitFor("bosun _ wait to arm its watches", async () =>
    (await wait.readStderr()).includes("waiting for") ? true : undefined,
  ).then(() => undefined);
}

describe("bosun _ read verbs", () => {
  it("runs, status, events, asks and schema print documents their published schemas accept", async () => {
    const { repo, runId, askId } = await makeNeedsHumanRun();
    const check = createValidator(repo);

    const runs = parseOutput(await repo.runCli(["_", "runs"]), 0);
    await check("runs", runs);
    expect(runs).toMatchObject({
      contract: 1,
      runs: [
        { id: runId, flow: "review", status: "needs_human", isLive: false, openAskIds: [askId] },
      ],
    });

    const status = parseOutput(await repo.runCli(["_", "status", runId.slice(-4)]), 0);
    await check("status", status);
    expect(status).toMatchObject({
      run: { id: runId, status: "needs_human" },
      isLive: false,
      writerPid: null,
      resumeCommand: `bosun review --resume ${runId}`,
    });

    const events = parseOutput(await repo.runCli(["_", "events", runId]), 0);
    await check("events", events);
    const all = events["events"] as Array<{ seq: number; type: string }>;
    expect(all[0]).toMatchObject({ seq: 1, type: "run.created" });
    expect(events["lastSeq"]).toBe(all.length);
    const since = parseOutput(
      await repo.runCli(["_", "events", runId, "--since", String(all.length - 2)]),
      0,
    );
    await check("events", since);
    expect((since["events"] as Array<{ seq: number }>).map((event) => event.seq)).toEqual([
      all.length - 1,
      all.length,
    ]);

    const asks = parseOutput(await repo.runCli(["_", "asks"]), 0);
    await check("asks", asks);
    expect(asks).toMatchObject({
      asks: [{ ask: { id: askId, runId }, answer: null, isOpen: true }],
    });

    for (const verb of ["wait", "answer", "tell", "board", "schema", "notify", "error"])
      expect(parseOutput(await repo.runCli(["_", "schema", verb]), 0)).toMatchObject({ verb });
  });

  it("board prints a team run's board", async () => {
    const repo = await createTeamRepo([
      { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
    ]);
    repos.push(repo);
    expect((await repo.runCli([...RUN_OFFLINE, "--gate-plan"])).exitCode).toBe(3);
    const board = parseOutput(await repo.runCli(["_", "board", "latest"]), 0);
    await createValidator(repo)("board", board);
    expect(board).toMatchObject({
      contract: 1,
      board: { hasPlan: true, runStatus: "needs_human" },
    });
    expect((board["board"] as { tasks: unknown[] }).tasks).toHaveLength(3);
  });

  it("prints failures as JSON errors with their exit codes", async () => {
    const { repo } = await makeNeedsHumanRun();
    const check = createValidator(repo);
    const missing = parseOutput(await repo.runCli(["_", "status", "nope"]), 2);
    await check("error", missing);
    expect(missing).toMatchObject({ contract: 1, error: { code: "usage", exitCode: 2 } });
    expect((missing["error"] as { message: string }).message).toContain('Run "nope" not found');
    expect((missing["error"] as { message: string }).message).toContain('"bosun _ runs"');

    const badOption = parseOutput(await repo.runCli(["_", "events", "latest", "--since", "x"]), 2);
    await check("error", badOption);
    expect(badOption).toMatchObject({ error: { code: "usage" } });

    const unknownVerb = parseOutput(await repo.runCli(["_", "frobnicate"]), 2);
    await check("error", unknownVerb);
    expect((unknownVerb["error"] as { message: string }).message).toContain("frobnicate");

    const reviewBoard = parseOutput(await repo.runCli(["_", "board", "latest"]), 2);
    expect((reviewBoard["error"] as { message: string }).message).toContain("is a review run");
  });
});

describe("bosun _ tell", () => {
  it("writes a tell from stdin with source contract, refuses a task the run does not have, and says how the run continues", async () => {
    const { repo, runId } = await makeNeedsHumanRun();
    const check = createValidator(repo);

    const refused = parseOutput(await repo.runCli(["_", "tell", runId, "--task", "T-9", "hi"]), 2);
    await check("error", refused);
    expect((refused["error"] as { message: string }).message).toContain("works on task T-001 only");

    const stdinFile = join(repo.home, "tell.txt");
    await writeFile(stdinFile, "Say FEATURE in capitals.\n");
    const piped = await runProcess({
      command: process.execPath,
      args: [BOSUN_CLI, "_", "tell", "latest", "--task", "T-001", "-"],
      cwd: repo.root,
      env: createBosunEnv(repo.home),
      stdinFile,
      timeoutMs: 30_000,
    });
    const told = parseOutput(
      { exitCode: piped.exitCode, stdout: piped.stdout, stderr: piped.stderrTail, durationMs: 0 },
      0,
    );
    await check("tell", told);
    expect(told).toMatchObject({
      contract: 1,
      tell: { runId, taskId: "T-001", text: "Say FEATURE in capitals.", source: "contract" },
      runStatus: "needs_human",
      isRunLive: false,
      resumeCommand: `bosun review --resume ${runId}`,
    });
    expect(told["message"]).toContain("delivered with T-001's next worker prompt");
  });
});

describe("bosun _ answer", () => {
  it("records an answer from stdin with source contract, refuses one that is not an option, and says how the run continues", async () => {
    const { repo, runId, askId } = await makeNeedsHumanRun();
    const check = createValidator(repo);

    const refused = parseOutput(await repo.runCli(["_", "answer", askId, "nonsense"]), 2);
    await check("error", refused);
    expect((refused["error"] as { message: string }).message).toContain(
      `"nonsense" is not an answer to ${askId}`,
    );

    const stdinFile = join(repo.home, "answer.txt");
    await writeFile(stdinFile, "more\n");
    const piped = await runProcess({
      command: process.execPath,
      args: [BOSUN_CLI, "_", "answer", askId, "-", "--note", "capitals"],
      cwd: repo.root,
      env: createBosunEnv(repo.home),
      stdinFile,
      timeoutMs: 30_000,
    });
    const answered = parseOutput(
      { exitCode: piped.exitCode, stdout: piped.stdout, stderr: piped.stderrTail, durationMs: 0 },
      0,
    );
    await check("answer", answered);
    expect(answered).toMatchObject({
      answer: { askId, answer: "more", note: "capitals", source: "contract" },
      runId,
      runStatus: "needs_human",
      isRunLive: false,
      resumeCommand: `bosun review --resume ${runId}`,
    });
    const asks = parseOutput(await repo.runCli(["_", "asks", "--all"]), 0);
    await check("asks", asks);
    expect(asks).toMatchObject({ asks: [{ isOpen: false, answer: { answer: "more" } }] });

    // The run continues from the recorded answer, with the command the output named.
    const resumed = await repo.runCli(["review", "--resume", runId]);
    expect(resumed.exitCode).toBe(0);
  });
});

describe("bosun _ wait", () => {
  it("returns on an answered ask (--only-asks), and times out with 124 when nothing changes", async () => {
    const { repo, runId, askId } = await makeNeedsHumanRun();
    const check = createValidator(repo);

    const timedOut = parseOutput(await repo.runCli(["_", "wait", runId, "--timeout", "1"]), 124);
    await check("wait", timedOut);
    expect(timedOut).toMatchObject({ contract: 1, isTimedOut: true, changes: [] });

    const wait = repo.startCli(["_", "wait", runId, "--only-asks"]);
    await waitUntilWatching(wait);
    expect(parseOutput(await repo.runCli(["_", "answer", askId, "accept"]), 0)).toMatchObject({
      answer: { answer: "accept" },
    });
    const changed = parseOutput(await wait.result, 0);
    await check("wait", changed);
    expect(changed).toMatchObject({
      isTimedOut: false,
      changes: [{ kind: "ask.answered", ask: { id: askId }, answer: { answer: "accept" } }],
    });
  });

  it("returns on a new event in the run's journal, with the events read with it", async () => {
    const { repo, runId, askId } = await makeNeedsHumanRun();
    const check = createValidator(repo);
    const before = parseOutput(await repo.runCli(["_", "events", runId]), 0)["lastSeq"] as number;

    expect((await repo.runCli(["answer", askId, "more", "--no-resume"])).exitCode).toBe(0);
    const wait = repo.startCli(["_", "wait", runId]);
    await waitUntilWatching(wait);
    expect((await repo.runCli(["review", "--resume", runId])).exitCode).toBe(0);
    const changed = parseOutput(await wait.result, 0);
    await check("wait", changed);
    const changes = changed["changes"] as Array<{
      kind: string;
      runId: string;
      event: { seq: number };
    }>;
    expect(changes[0]).toMatchObject({
      kind: "event",
      runId,
      event: { seq: before + 1, type: "run.resumed" },
    });
    // Whatever came with it is in order, with no gap: the next wait's --since is the last seq.
    changes.forEach((change, index) => expect(change.event.seq).toBe(before + 1 + index));
  });

  it("without a run, returns on the first run's first event, and on an ask opened where no ask was", async () => {
    const repo = await createOfflineRepo(STEPS);
    repos.push(repo);
    const check = createValidator(repo);
    // No .bosun/runs/ nor .bosun/asks/ yet: the waits watch for them to appear.
    const anyEvent = repo.startCli(["_", "wait"]);
    const anyAsk = repo.startCli(["_", "wait", "--only-asks"]);
    await Promise.all([waitUntilWatching(anyEvent), waitUntilWatching(anyAsk)]);
    expect((await repo.runCli([...REVIEW, "--max-rounds", "1"])).exitCode).toBe(3);
    const { runId, run } = await repo.readOnlyRun();

    const event = parseOutput(await anyEvent.result, 0);
    await check("wait", event);
    expect(event).toMatchObject({
      changes: [{ kind: "event", runId, event: { seq: 1, type: "run.created" } }],
    });
    const opened = parseOutput(await anyAsk.result, 0);
    await check("wait", opened);
    expect(opened).toMatchObject({
      changes: [{ kind: "ask.opened", ask: { id: run.openAskIds[0], runId } }],
    });
  });
});
