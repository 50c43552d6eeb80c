/**
 * What the real Claude Code's Bash tool starts runs in a session of its own (setsid), outside the
 * agent's process group. bosun must still end it: on --timeout, on Ctrl-C, and on --resume after
 * a kill -9 of bosun. Claude Code runs against the Anthropic mock; the reviewer is offline.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OfflineScript } from "../../src/agents/offline/script.js";
import { createClaudeEnv, createTempDir } from "../helpers/agent-env.js";
import { createReviewRepo, listRuns, readOnlyRun } from "../helpers/review-repo.js";
import {
  assertBosunBuilt,
  createBosunEnv,
  runBosun,
  startBosun,
  waitWhileBosunRuns,
  type BosunProcess,
} from "../helpers/run-bosun.js";
import { isPidRunning } from "../helpers/testdir.js";
import { withTimeoutLongEnough } from "../helpers/wait-for.js";
import { startAnthropicMock } from "../mocks/anthropic-mock.js";
import type { MockTurn } from "../mocks/mock-script.js";

const GOAL = "Add feature.txt containing the word feature.";
const GRACE_SEC = 1;
/** Timeout for tests that stop bosun themselves: long enough never to fire first. */
const LONG_TIMEOUT_SEC = 120;
/** Real Claude Code runs, and the timeout case may need a few attempts on a busy machine. */
const TEST_TIMEOUT_MS = 150_000;

/** What the sleeper recorded about itself. */
interface Sleeper {
  /** Its pid (the shell `exec`s sleep, so this is the sleep). */
  pid: number;
  /** The spawn id of the agent that started it: the last id in its BOSUN_SPAWN_ID ("" if none). */
  spawnId: string;
}

/** A repo, a mock whose worker runs the sleeper, and the env bosun runs with. */
interface Workspace {
  repo: string;
  env: Record<string, string>;
  /** Where the sleeper writes `<pid> <spawn ids…>`. */
  sleeperFile: string;
}

const cleanups: Array<() => Promise<void>> = [];

beforeAll(assertBosunBuilt);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The Bash command of the worker's first turn: records its pid and spawn ids, then sleeps,
 * ignoring SIGTERM as a dev server busy shutting down may. Claude Code's own clean-up on SIGTERM
 * therefore cannot end it by chance: only bosun's KILL after the grace can.
 */
function makeSleeperCommand(sleeperFile: string): string {
  return `trap '' TERM; echo $$ $BOSUN_SPAWN_ID > '${sleeperFile}'; exec sleep 300`;
}

/** The worker's work once the sleeper has been started: feature.txt and its report. */
const WORK_COMMAND = [
  "printf 'feature\\n' > feature.txt",
  `printf '%s' '{"task_id":"T-001","round":1,"files_changed":["feature.txt"],"notes":"Added feature.txt.","tests":[]}' > "$BOSUN_REPORT_FILE"`,
].join(" && ");

/** A Bash tool call; the timeout (10 min, the most Claude Code allows) is longer than any test. */
function makeBashTurn(command: string): MockTurn {
  return { toolCalls: [{ name: "Bash", input: { command, timeout: 600_000 } }] };
}

async function createWorkspace(): Promise<Workspace> {
  const home = await createTempDir("bosun-home-");
  const sleeperFile = join(home, "sleeper.txt");
  // The first worker dispatch starts the sleeper; a dispatch after it (on --resume) does the work.
  let hasStartedSleeper = false;
  const mock = await startAnthropicMock({
    conversations: [
      {
        name: "worker",
        match: (prompt) => prompt.startsWith("You are the WORKER for task T-001, round 1"),
        turns: [
          (): MockTurn => {
            if (hasStartedSleeper) return makeBashTurn(WORK_COMMAND);
            hasStartedSleeper = true;
            return makeBashTurn(makeSleeperCommand(sleeperFile));
          },
          { text: "Added feature.txt." },
        ],
      },
    ],
  });
  const reviewerScript = join(home, "reviewer.json");
  const script: OfflineScript = {
    version: 1,
    steps: [
      {
        role: "reviewer",
        actions: [
          { report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] } },
        ],
      },
    ],
  };
  await writeFile(reviewerScript, `${JSON.stringify(script)}\n`);
  const repo = await createReviewRepo({
    dispatch: { retries: 0, graceSec: GRACE_SEC },
    agents: { offline: { script: reviewerScript } },
  });
  cleanups.push(async () => {
    // Whatever the test's outcome, the sleeper must not outlive it.
    const sleeper = await readSleeper(sleeperFile).catch(() => undefined);
    if (sleeper !== undefined) killQuietly(sleeper.pid);
    await mock.close();
    await rm(repo, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });
  const env = { ...createBosunEnv(home), ...createClaudeEnv({ mockUrl: mock.url, home }) };
  return { repo, env, sleeperFile };
}

/** The sleeper's record, once it is written whole (undefined until then). */
async function readSleeper(file: string): Promise<Sleeper | undefined> {
  const text = await readFile(file, "utf8");
  if (!text.endsWith("\n")) return undefined;
  const [pidText, ...spawnIds] = text.trim().split(" ");
  return { pid: Number(pidText), spawnId: spawnIds.at(-1) ?? "" };
}

/**
 * Live processes whose BOSUN_SPAWN_ID lists `spawnId`, read straight from /proc (independently
 * of bosun's own scanner, which is what is under test).
 */
function findProcessesWithSpawnId(spawnId: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, "latin1");
    } catch {
      // Gone since readdir.
      continue;
    }
    const entry = environ.split("\0").find((line) => line.startsWith("BOSUN_SPAWN_ID="));
    const ids = entry?.slice("BOSUN_SPAWN_ID=".length).split(" ") ?? [];
    if (ids.includes(spawnId) && isPidRunning(Number(name))) found.push(Number(name));
  }
  return found;
}

function reviewArgs(timeoutSec: number): string[] {
  return [
    "review",
    "--goal",
    GOAL,
    "--worker",
    "claude",
    "--reviewer",
    "offline",
    "--timeout",
    String(timeoutSec),
  ];
}

/** A background bosun whose group is killed after the test if it is still there. */
async function startTrackedBosun(workspace: Workspace): Promise<BosunProcess> {
  const bosun = await startBosun(reviewArgs(LONG_TIMEOUT_SEC), {
    cwd: workspace.repo,
    env: workspace.env,
    timeoutMs: TEST_TIMEOUT_MS,
  });
  cleanups.push(async () => {
    killQuietly(-bosun.pid);
    await bosun.result;
  });
  return bosun;
}

/** Starts bosun and waits until Claude's Bash tool has started the sleeper. */
async function startUntilSleeperRuns(
  workspace: Workspace,
): Promise<{ bosun: BosunProcess; sleeper: Sleeper }> {
  const bosun = await startTrackedBosun(workspace);
  const sleeper = await waitWhileBosunRuns(bosun, "Claude's Bash tool to start the sleeper", () =>
    readSleeper(workspace.sleeperFile),
  );
  // It really left the agent's group and session (Claude Code's Bash tool runs it under setsid):
  // a group kill could not reach it; only the spawn id can.
  const [runId] = await listRuns(workspace.repo);
  const agentPidFile = join(
    workspace.repo,
    ".bosun/runs",
    runId ?? "",
    "tasks/T-001/rounds/1/worker/agent.pid",
  );
  const agentPid = Number((await readFile(agentPidFile, "utf8")).split(" ")[0]);
  const ids = readGroupAndSession(sleeper.pid);
  expect(ids.group).not.toBe(agentPid);
  expect(ids.session).not.toBe(readGroupAndSession(agentPid).session);
  // The scan used below sees it (it carries the agent's spawn id).
  expect(sleeper.spawnId).toMatch(/^[0-9a-f]{16}$/);
  expect(isPidRunning(sleeper.pid)).toBe(true);
  expect(findProcessesWithSpawnId(sleeper.spawnId)).toContain(sleeper.pid);
  return { bosun, sleeper };
}

/** Nothing the agent started is left: not the sleeper, not anything carrying its spawn id. */
function expectNothingLeft(sleeper: Sleeper): void {
  expect(sleeper.spawnId).toMatch(/^[0-9a-f]{16}$/);
  expect(isPidRunning(sleeper.pid)).toBe(false);
  expect(findProcessesWithSpawnId(sleeper.spawnId)).toEqual([]);
}

/** A process's group and session ids (fields 5 and 6 of /proc/<pid>/stat). */
function readGroupAndSession(pid: number): { group: number; session: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) is in parentheses and may hold spaces; count from after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { group: Number(fields[2]), session: Number(fields[3]) };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}

describe("bosun ends what Claude Code's Bash tool detached (setsid)", () => {
  it("on --timeout", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { result, sleeper } = await withTimeoutLongEnough(
      "Claude's Bash tool",
      async (timeoutMs) => {
        const workspace = await createWorkspace();
        const result = await runBosun(reviewArgs(timeoutMs / 1000), {
          cwd: workspace.repo,
          env: workspace.env,
          timeoutMs: TEST_TIMEOUT_MS,
        });
        // No sleeper: the timeout fired before Claude Code got to its Bash tool; try longer.
        if (!existsSync(workspace.sleeperFile)) return undefined;
        const sleeper = await readSleeper(workspace.sleeperFile);
        return sleeper === undefined ? undefined : { result, sleeper };
      },
      { firstMs: 6_000, maxMs: 24_000 },
    );

    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/claude timed out after \d+(\.0)?s/);
    expectNothingLeft(sleeper);
  });

  it("on Ctrl-C", { timeout: TEST_TIMEOUT_MS }, async () => {
    const workspace = await createWorkspace();
    const { bosun, sleeper } = await startUntilSleeperRuns(workspace);

    process.kill(bosun.pid, "SIGINT");
    const stopped = await bosun.result;

    expect(stopped.exitCode, stopped.stderr).toBe(130);
    expectNothingLeft(sleeper);
  });

  it(
    "on --resume after kill -9 of bosun, then the run goes on",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const workspace = await createWorkspace();
      const { bosun, sleeper } = await startUntilSleeperRuns(workspace);

      process.kill(bosun.pid, "SIGKILL");
      expect((await bosun.result).signal).toBe("SIGKILL");
      // kill -9 runs no clean-up: the sleeper is still there, and it is no child of any bosun.
      expect(isPidRunning(sleeper.pid)).toBe(true);
      const [runId] = await listRuns(workspace.repo);
      if (runId === undefined) throw new Error("the killed bosun left no run");
      const resumed = await runBosun(["review", "--resume", runId], {
        cwd: workspace.repo,
        env: workspace.env,
        timeoutMs: TEST_TIMEOUT_MS,
      });

      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(
        /Killed (an agent|processes) left running by an earlier bosun process/,
      );
      expectNothingLeft(sleeper);
      expect((await readOnlyRun(workspace.repo)).run.status).toBe("succeeded");
      expect(await readFile(join(workspace.repo, "feature.txt"), "utf8")).toBe("feature\n");
    },
  );
});
