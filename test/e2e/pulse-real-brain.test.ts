/**
 * The pulse's acceptance tests with the real Claude Code CLI as its brain (`pulse.brain: claude`)
 * against the scripted Anthropic mock, driven through the built CLI (`bosun pulse once`,
 * `bosun _ …`): beats that skip the model, a sensor change that starts a review run, held
 * irreversible moves, bad replies, bad sensors, the hourly budget and a provider's 429.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OfflineScript } from "../../src/agents/offline/script.js";
import { createBosunPaths, type BosunPaths } from "../../src/store/paths.js";
import { readDecisionRecord, readLastReadings } from "../../src/store/pulse-store.js";
import { readRun } from "../../src/store/run-read.js";
import type { WrittenConfig } from "../../src/store/schema/config.js";
import type { PulseDecision } from "../../src/store/schema/pulse-decision.js";
import type { PulseDecisionRecord } from "../../src/store/schema/pulse-record.js";
import { waitUntil } from "../../src/store/wait-until.js";
import { createClaudeEnv, createTempDir } from "../helpers/agent-env.js";
import { listProcessesWithHome } from "../helpers/process-list.js";
import { createReviewRepo } from "../helpers/review-repo.js";
import {
  assertBosunBuilt,
  createBosunEnv,
  expectNoInternalError,
  runBosun,
  type BosunRun,
} from "../helpers/run-bosun.js";
import { startAnthropicMock } from "../mocks/anthropic-mock.js";
import type { MockServer, MockTurn } from "../mocks/mock-script.js";

/** Real Claude Code calls on a slow, shared machine. */
const TEST_TIMEOUT_MS = 120_000;
/** One `bosun pulse once`: sensors, one or two brain calls, a move. */
const BEAT_TIMEOUT_MS = 90_000;
/** Every brain prompt starts with it (the re-prompt after a bad reply too). */
const CONSTITUTION = "# The pulse's constitution";

/** Variables of a developer's shell that would point Claude Code elsewhere (see harness-contract). */
const LEAKY_ENV = [
  "ANTHROPIC_AUTH_TOKEN",
  "ANTHROPIC_MODEL",
  "CLAUDE_CONFIG_DIR",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "CLAUDE_CODE_MAX_RETRIES",
  "CLAUDE_CODE_RETRY_WATCHDOG",
  "XDG_CONFIG_HOME",
];

/** A repository whose pulse has Claude Code as its brain, and the mock it talks to. */
interface BrainRepo {
  repo: string;
  home: string;
  paths: BosunPaths;
  mock: MockServer;
  /** Queues the brain's next replies, one per model request. */
  queueReplies(...turns: MockTurn[]): void;
  /** Runs `bosun <args>` in the repo. */
  bosun(args: readonly string[]): Promise<BosunRun>;
  /** `bosun pulse once` (exit code left to the caller). */
  beat(): Promise<BosunRun>;
  /** Writes an executable sensor under `.bosun/pulse/sensors/`. */
  writeSensor(name: string, script: string): Promise<void>;
  /** Sets what the `ci` sensor reports (see `createBrainRepo`). */
  writeCiSignal(signal: string): Promise<void>;
  /** The prompts of the model requests the mock answered (scripted replies and errors). */
  getBrainPrompts(): string[];
}

const cleanups: Array<() => Promise<void>> = [];

beforeAll(assertBosunBuilt);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A decision reply as the brain writes it. */
function makeDecisionTurn(decision: PulseDecision): MockTurn {
  return { text: JSON.stringify(decision) };
}

/** A review run's worker and reviewer, played by the offline agent: the run completes by itself. */
const REVIEW_SCRIPT: OfflineScript = {
  version: 1,
  steps: [
    {
      seat: "worker",
      actions: [
        { write: { path: "calc.txt", content: "fixed\n" } },
        { report: { files_changed: ["calc.txt"], notes: "Fixed calc.txt.", tests: [] } },
      ],
    },
    {
      seat: "reviewer",
      actions: [
        { report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] } },
      ],
    },
  ],
};

const NOOP_TURN = makeDecisionTurn({
  critique: "The world is as it should be.",
  actions: [{ type: "noop", reason: "nothing to do" }],
});

/**
 * A clean repo with `config` committed (its pulse's brain is Claude Code), a goal, and a `ci`
 * sensor reporting whatever the test last wrote with `writeCiSignal` (green at first).
 */
async function createBrainRepo(
  config: WrittenConfig = {},
  options: {
    /** Changes to the env every command runs with; `undefined` removes a variable. */
    env?: Record<string, string | undefined>;
    /** Review runs are played by the offline agent with this script. */
    offlineScript?: OfflineScript;
  } = {},
): Promise<BrainRepo> {
  const home = await createTempDir("bosun-brain-home-");
  const offline: WrittenConfig = {};
  if (options.offlineScript !== undefined) {
    const scriptFile = join(home, "offline-script.json");
    await writeFile(scriptFile, JSON.stringify(options.offlineScript));
    offline.review = { worker: "offline", reviewer: "offline", maxRounds: 1 };
    offline.agents = { offline: { script: scriptFile } };
  }
  const queued: MockTurn[] = [];
  const mock = await startAnthropicMock({
    conversations: [
      {
        name: "brain",
        match: (prompt) => prompt.startsWith(CONSTITUTION),
        turns: [
          (): MockTurn => queued.shift() ?? { text: "the test queued no reply for this call" },
        ],
      },
    ],
  });
  const repo = await createReviewRepo({
    ...offline,
    ...config,
    dispatch: { retries: 0, timeoutSec: 60, graceSec: 1, ...config.dispatch },
    pulse: { brain: "claude", ...config.pulse },
  });
  cleanups.push(async () => {
    // A review run the pulse started, or a sensor left hanging, carries the test's HOME.
    for (const line of await listProcessesWithHome(home)) {
      try {
        process.kill(Number(line.split(":")[0]), "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    await mock.close();
    await rm(repo, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });
  const paths = createBosunPaths(repo);
  const leaky = Object.fromEntries(LEAKY_ENV.map((name) => [name, undefined]));
  const env = {
    ...leaky,
    ...createBosunEnv(home),
    ...createClaudeEnv({ mockUrl: mock.url, home }),
    ...options.env,
  };
  const bosun = (args: readonly string[]): Promise<BosunRun> =>
    runBosun(args, { cwd: repo, env, timeoutMs: BEAT_TIMEOUT_MS });
  const ciSignalFile = join(home, "ci-signal.json");
  const writeSensor = async (name: string, script: string): Promise<void> => {
    await mkdir(paths.pulse.sensorsDir, { recursive: true });
    const file = join(paths.pulse.sensorsDir, name);
    await writeFile(file, script);
    await chmod(file, 0o755);
  };
  const writeCiSignal = (signal: string): Promise<void> =>
    writeFile(ciSignalFile, `${JSON.stringify({ signal, detail: { branch: "main" } })}\n`);
  await mkdir(paths.pulse.goalsDir, { recursive: true });
  await writeFile(paths.pulse.goalFile("ci-green"), "# CI green\n\nCI passes on main.\n");
  await writeCiSignal("green");
  await writeSensor("ci", `#!/bin/sh\ncat '${ciSignalFile}'\n`);
  return {
    repo,
    home,
    paths,
    mock,
    queueReplies: (...turns) => queued.push(...turns),
    bosun,
    beat: () => bosun(["pulse", "once"]),
    writeSensor,
    writeCiSignal,
    getBrainPrompts: () =>
      mock.requests
        .filter((request) => request.kind === "turn" || request.kind === "error")
        .map((request) => request.prompt ?? ""),
  };
}

/** `bosun pulse once` that must exit 0 and hit no internal error. */
async function beatOk(brain: BrainRepo): Promise<BosunRun> {
  const run = await brain.beat();
  expectNoInternalError(run);
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
}

/** `bosun _ <args>`, exit 0, its JSON document. */
async function runContract(brain: BrainRepo, args: readonly string[]): Promise<unknown> {
  const run = await brain.bosun(["_", ...args]);
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout);
}

/** `bosun _ state`'s pulse status (the fields these tests read). */
interface StateDoc {
  state: {
    beats: number;
    brain: {
      consecutiveFailures: number;
      lastFailure: string | null;
      backoffUntil: string | null;
      quotaResetAt: string | null;
    };
    readings: Array<{ name: string; status: string; signal?: unknown; error?: string }>;
    heldDecision: PulseDecisionRecord | null;
    openAsks: Array<{ id: string; options: string[] }>;
    journalTail: string[];
  };
}

async function readState(brain: BrainRepo): Promise<StateDoc["state"]> {
  // The contract's output, typed for the test by hand; a field gone would fail the expects.
  return ((await runContract(brain, ["state"])) as StateDoc).state;
}

/** The decision a beat printed ("decided D-…: …"). */
function getDecisionId(run: BosunRun): string {
  const id = /decided (D-[0-9]{8}-[0-9]{6}-[0-9a-f]{4})/.exec(run.stdout)?.[1];
  if (id === undefined) throw new Error(`the beat decided nothing:\n${run.stdout}\n${run.stderr}`);
  return id;
}

async function readDecision(brain: BrainRepo, id: string): Promise<PulseDecisionRecord> {
  const record = await readDecisionRecord(brain.paths, id);
  if (record === null) throw new Error(`no decision record ${id}`);
  return record;
}

describe("the pulse with the real Claude Code as its brain", () => {
  it(
    "skips a beat on an unchanged world without calling the model",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const brain = await createBrainRepo();
      brain.queueReplies(NOOP_TURN);
      const first = await beatOk(brain);
      expect(first.stdout).toContain('sensor ci: "green"');
      expect(first.stdout).toMatch(/decided D-\S+: noop done/);
      expect(brain.getBrainPrompts()).toHaveLength(1);
      const requests = brain.mock.requests.length;

      const second = await beatOk(brain);
      expect(second.stdout).toContain("no decision: nothing changed");
      // Not one request of any kind: Claude Code was not even started.
      expect(brain.mock.requests).toHaveLength(requests);
      expect(brain.mock.unmatched).toEqual([]);
    },
  );

  it(
    "starts a review run on a sensor change, and shows the brain the run once it finished",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const brain = await createBrainRepo({}, { offlineScript: REVIEW_SCRIPT });
      brain.queueReplies(NOOP_TURN);
      await beatOk(brain);

      await brain.writeCiSignal("red");
      const request = "Fix calc.txt: it must say fixed.";
      brain.queueReplies(
        makeDecisionTurn({
          critique: "CI went red; a review run should fix calc.txt.",
          actions: [{ type: "start_run", flow: "review", request }],
        }),
      );
      const started = await beatOk(brain);
      expect(started.stdout).toContain('sensor ci: "red"');
      expect(brain.getBrainPrompts()[1]).toMatch(/sensor ci: signal .*green.* → .*red/);
      const record = await readDecision(brain, getDecisionId(started));
      expect(record.actions).toMatchObject([
        { action: { type: "start_run", flow: "review" }, gate: "run", status: "done" },
      ]);
      const runId = /^run (\S+) started$/.exec(record.actions[0]?.result ?? "")?.[1];
      if (runId === undefined) throw new Error(`no run started: ${JSON.stringify(record)}`);

      // The run goes on in its own process after the beat returned: watch its run.json.
      const finished = await waitUntil({
        dirs: [brain.paths.runDir(runId)],
        check: async () => {
          const run = await readRun(brain.paths, runId).catch(() => null);
          return run !== null &&
            ["succeeded", "failed", "cancelled", "needs_human"].includes(run.status)
            ? run
            : undefined;
        },
        timeoutMs: 60_000,
      });
      if (finished.kind !== "found") throw new Error(`run ${runId} did not end within a minute`);
      expect(finished.value.status).toBe("succeeded");
      expect(await readFile(brain.paths.requestFile(runId), "utf8")).toContain(request);

      brain.queueReplies(NOOP_TURN);
      const after = await beatOk(brain);
      expect(after.stderr).toContain("deciding (the world changed)");
      const prompts = brain.getBrainPrompts();
      expect(prompts).toHaveLength(3);
      const changes = prompts[2]
        ?.split("## What changed since the last decision")[1]
        ?.split("## ")[0];
      expect(changes).toContain(`run ${runId} is new: "succeeded"`);
    },
  );

  it(
    "holds an irreversible move until a human approves it, and never runs a rejected one",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const brain = await createBrainRepo();
      await mkdir(join(brain.repo, "scratch"));
      const first = join(brain.repo, "scratch", "old-a.log");
      const second = join(brain.repo, "scratch", "old-b.log");
      await writeFile(first, "a\n");
      await writeFile(second, "b\n");
      const deleteTurn = (path: string): MockTurn =>
        makeDecisionTurn({
          critique: `${path} is stale.`,
          actions: [{ type: "delete", path, reason: "stale log" }],
        });

      brain.queueReplies(deleteTurn("scratch/old-a.log"));
      const held = await beatOk(brain);
      expect(held.stdout).toContain("#1 delete scratch/old-a.log: awaiting");
      const heldId = getDecisionId(held);
      expect(existsSync(first)).toBe(true);
      const state = await readState(brain);
      expect(state.heldDecision?.id).toBe(heldId);
      const askId = state.heldDecision?.askId;
      expect(state.openAsks).toContainEqual({
        id: askId,
        question: expect.stringContaining("delete scratch/old-a.log") as unknown,
        options: ["approve", "reject"],
      });
      if (askId === undefined) throw new Error("the held decision has no ask");

      await runContract(brain, ["answer", askId, "approve"]);
      // Answering moves nothing: the next beat settles the held move, then decides anew.
      expect(existsSync(first)).toBe(true);
      brain.queueReplies(deleteTurn("scratch/old-b.log"));
      const next = await beatOk(brain);
      expect(existsSync(first)).toBe(false);
      const copy = join(brain.paths.pulse.snapshotsDir, heldId, "scratch", "old-a.log");
      expect(await readFile(copy, "utf8")).toBe("a\n");
      expect((await readDecision(brain, heldId)).actions).toMatchObject([
        { status: "done", decidedBy: expect.stringContaining(askId) as unknown },
      ]);

      const secondId = getDecisionId(next);
      expect(secondId).not.toBe(heldId);
      expect(next.stdout).toContain("#1 delete scratch/old-b.log: awaiting");
      const rejected = await brain.bosun(["pulse", "reject", secondId]);
      expect(rejected.exitCode, rejected.stderr).toBe(0);
      expect(rejected.stdout).toContain("#1 delete scratch/old-b.log: rejected");
      // The next beat (woken by the answered ask) leaves the rejected move alone.
      brain.queueReplies(NOOP_TURN);
      await beatOk(brain);
      expect(await readFile(second, "utf8")).toBe("b\n");
      expect((await readDecision(brain, secondId)).actions).toMatchObject([
        { status: "rejected", decidedBy: "cli" },
      ]);
      expect((await readState(brain)).heldDecision).toBeNull();
      expect(brain.getBrainPrompts()).toHaveLength(3);
    },
  );

  it(
    "takes no move after two bad replies, journals it and backs off",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const brain = await createBrainRepo();
      brain.queueReplies(
        { text: "I would merge main right away!" },
        { text: '{"critique": "still not a decision"}' },
      );
      const failed = await brain.beat();
      expectNoInternalError(failed);
      expect(failed.exitCode).toBe(1);
      expect(failed.stdout).toContain(
        "the brain failed: The brain's reply was not a valid decision twice",
      );
      const prompts = brain.getBrainPrompts();
      expect(prompts).toHaveLength(2);
      expect(prompts[1]).toContain("# Your previous reply was rejected");
      expect(prompts[1]).toContain("I would merge main right away!");
      // The brain's transcript is kept, but no decision record: no move was even prepared.
      const records = (await readdir(brain.paths.pulse.decisionsDir)).filter((name) =>
        name.endsWith(".json"),
      );
      expect(records).toEqual([]);
      const journal = await readFile(brain.paths.pulse.journalFile, "utf8");
      expect(journal).toMatch(
        /D-\S+ brain invalid: The brain's reply was not a valid decision twice.* — no move/,
      );

      const status = await brain.bosun(["pulse", "status", "--json"]);
      expect(status.exitCode, status.stderr).toBe(0);
      const { brain: brainStatus } = JSON.parse(status.stdout) as StateDoc["state"];
      expect(brainStatus).toMatchObject({
        consecutiveFailures: 1,
        lastFailure: expect.stringContaining("the brain's call invalid") as unknown,
        quotaResetAt: null,
      });
      const backoffUntilMs = Date.parse(brainStatus.backoffUntil ?? "");
      expect(backoffUntilMs).toBeGreaterThan(Date.now());

      // A change during the backoff is sensed, not decided.
      const requests = brain.mock.requests.length;
      await brain.writeCiSignal("red");
      const waiting = await beatOk(brain);
      expect(Date.now()).toBeLessThan(backoffUntilMs);
      expect(waiting.stdout).toContain("no decision: backing off after 1 brain failure(s)");
      expect(brain.mock.requests).toHaveLength(requests);
    },
  );

  it(
    "decides on the other sensors when one hangs and one prints garbage",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const brain = await createBrainRepo({ pulse: { sensorTimeoutSec: 2 } });
      // Not exec'd: the sleep is a child the sensor's whole process tree must lose.
      await brain.writeSensor("hang", "#!/bin/sh\nsleep 300\necho '{\"signal\": 1}'\n");
      await brain.writeSensor("garbage", "#!/bin/sh\necho 'all good, trust me'\n");
      brain.queueReplies(NOOP_TURN);
      const started = Date.now();
      const run = await beatOk(brain);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(run.stdout).toContain('sensor ci: "green"');
      expect(run.stdout).toContain("sensor hang: FAILED hung: no answer within 2 s");
      expect(run.stdout).toContain("sensor garbage: FAILED printed no JSON object");
      expect(run.stdout).toMatch(/decided D-\S+: noop done/);
      // The hung sensor's whole tree was stopped, its sleeping child too.
      expect(
        (await listProcessesWithHome(brain.home)).filter((line) => line.includes("sleep 300")),
      ).toEqual([]);
      const [prompt] = brain.getBrainPrompts();
      const readings = prompt?.split("## Sensor readings")[1]?.split("## ")[0] ?? "";
      expect(readings).toContain('signal: "green"');
      expect(readings).toContain("hang: FAILED");
      expect(readings).toContain("garbage: FAILED");
      expect((await readState(brain)).readings).toEqual([
        expect.objectContaining({ name: "ci", status: "ok", signal: "green" }),
        expect.objectContaining({
          name: "garbage",
          status: "failed",
          error: expect.stringContaining('printed no JSON object: "all good, trust me"') as unknown,
        }),
        expect.objectContaining({
          name: "hang",
          status: "failed",
          error: "hung: no answer within 2 s",
        }),
      ]);
    },
  );

  it(
    "stops calling the model once the hourly budget is spent, while sensing goes on",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const brain = await createBrainRepo({ pulse: { brainCallsPerHour: 1 } });
      brain.queueReplies(NOOP_TURN);
      await beatOk(brain);
      const requests = brain.mock.requests.length;

      await brain.writeCiSignal("red");
      const capped = await beatOk(brain);
      expect(capped.stdout).toContain(
        "no decision: brain budget spent: 1 of 1 calls in the last hour; sensing goes on",
      );
      expect(brain.mock.requests).toHaveLength(requests);
      expect(brain.getBrainPrompts()).toHaveLength(1);
      const readings = await readLastReadings(brain.paths);
      expect(readings.find((reading) => reading.name === "ci")).toMatchObject({ signal: "red" });
    },
  );

  it(
    "pauses the brain on a 429 and calls no model while the pause lasts",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // Claude Code's own default of ten retries: the pulse must turn them off itself.
      const brain = await createBrainRepo({}, { env: { CLAUDE_CODE_MAX_RETRIES: undefined } });
      brain.queueReplies({
        httpStatus: 429,
        message: "Number of request tokens has exceeded your per-minute rate limit",
        headers: { "retry-after": "1" },
      });
      const limited = await brain.beat();
      expectNoInternalError(limited);
      expect(limited.exitCode).toBe(1);
      expect(limited.stdout).toMatch(/the brain failed: .*429/);
      expect(brain.mock.requests.filter((request) => request.kind === "error")).toHaveLength(1);
      const { brain: brainState } = await readState(brain);
      expect(brainState.lastFailure).toContain("rate_limited");
      const resetAtMs = Date.parse(brainState.quotaResetAt ?? "");
      expect(resetAtMs).toBeGreaterThan(Date.now());
      const requests = brain.mock.requests.length;

      await brain.writeCiSignal("red");
      const waiting = await beatOk(brain);
      expect(Date.now()).toBeLessThan(resetAtMs);
      expect(waiting.stdout).toContain(
        `no decision: the provider's limit resets at ${new Date(resetAtMs).toISOString()}; sensing goes on`,
      );
      expect(brain.mock.requests).toHaveLength(requests);
      expect((await readLastReadings(brain.paths)).find((r) => r.name === "ci")).toMatchObject({
        signal: "red",
      });
    },
  );
});
