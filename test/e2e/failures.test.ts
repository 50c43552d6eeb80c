/**
 * `bosun review` when things go wrong, end to end: the built CLI against fake agents that are real
 * processes (hung, crashing, garbage-printing, flooding), a missing agent CLI, kill -9 and Ctrl-C.
 */
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OfflineAction, OfflineScript } from "../../src/agents/offline/script.js";
import { runProcess } from "../../src/proc/run-process.js";
import { getGlobalConfigFile } from "../../src/store/paths.js";
import type { WrittenConfig } from "../../src/store/schema/config.js";
import { createTempDir } from "../helpers/agent-env.js";
import {
  createReviewRepo,
  filterEvents,
  getBosunPaths,
  readEvents,
  readOnlyRun,
  writeConfigFile,
} from "../helpers/review-repo.js";
import {
  assertBosunBuilt,
  createBosunEnv,
  createFakeAgentTemplate,
  expectNoInternalError,
  runBosun,
  startBosun,
  waitWhileBosunRuns,
  type BosunProcess,
} from "../helpers/run-bosun.js";
import { isPidRunning } from "../helpers/testdir.js";
import { withTimeoutLongEnough } from "../helpers/wait-for.js";

/** The first timeout the timeout tests try (see `withTimeoutLongEnough`). */
const TIMEOUT_SEC = 2;
const GRACE_SEC = 1;
/**
 * Room for node, git and bosun start-up and shutdown on a busy 2-core machine (load 2–8); far
 * below bosun's own 30 s kill switch in run-bosun.ts and the 60 s timeout, so a hang still fails.
 */
const SLACK_MS = 10_000;
/** Timeout for tests that do not test the timeout: long enough never to fire first. */
const LONG_TIMEOUT_SEC = 60;
const TASK_ID = "T-001";
const GOAL = "Add feature.txt containing the word feature.";
const HUGE_OUTPUT_BYTES = 20 * 1024 * 1024;
/** Of which one single line (far beyond a 64 KB pipe chunk). */
const LONG_LINE_BYTES = 4 * 1024 * 1024;
const MISSING_COMMAND = "no-such-agent-cli-for-bosun-tests";

/** No retries and a short grace; the timeout never fires first unless a test sets its own. */
const TEST_DISPATCH = { retries: 0, timeoutSec: LONG_TIMEOUT_SEC, graceSec: GRACE_SEC };

const WRITE_FEATURE: OfflineAction = { write: { path: "feature.txt", content: "feature\n" } };
const WORK_REPORT: OfflineAction = {
  report: { files_changed: ["feature.txt"], notes: "Added feature.txt.", tests: [] },
};
const APPROVE: OfflineAction = {
  report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] },
};

let home: string;
let env: Record<string, string>;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(assertBosunBuilt);

beforeEach(async () => {
  home = await createTempDir("bosun-home-");
  env = createBosunEnv(home);
  const dir = home;
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A review repo removed after the test. */
async function makeRepo(config: WrittenConfig): Promise<string> {
  const repo = await createReviewRepo(config);
  cleanups.push(() => rm(repo, { recursive: true, force: true }));
  return repo;
}

/** A background bosun whose process group is killed after the test if it is still there. */
async function startTrackedBosun(args: readonly string[], cwd: string): Promise<BosunProcess> {
  const bosun = await startBosun(args, { cwd, env });
  cleanups.push(async () => {
    killGroupQuietly(bosun.pid);
    await bosun.result;
  });
  return bosun;
}

/** Where `command` is on this machine's PATH. */
async function findOnPath(command: string): Promise<string> {
  const result = await runProcess({
    command: "sh",
    args: ["-c", `command -v ${command}`],
    cwd: home,
  });
  return result.stdout;
}

/** SIGKILLs a process group left by a failed test; a group that is gone is what we want. */
function killGroupQuietly(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing left to clean up.
  }
}

function reviewArgs(worker: string, reviewer: string): string[] {
  return ["review", "--goal", GOAL, "--worker", worker, "--reviewer", reviewer];
}

/** The pids fake-hang.mjs records, read once it has started its child. */
async function readHangPids(file: string): Promise<{ pid: number; childPid: number }> {
  const data: unknown = JSON.parse(await readFile(file, "utf8"));
  if (typeof data !== "object" || data === null || !("pid" in data) || !("childPid" in data)) {
    throw new Error(`${file} holds no pids`);
  }
  const { pid, childPid } = data;
  if (typeof pid !== "number" || typeof childPid !== "number")
    throw new Error(`${file} holds no pids`);
  // Whatever happens to the test, these must not outlive it.
  cleanups.push(() => {
    killGroupQuietly(pid);
    return Promise.resolve();
  });
  return { pid, childPid };
}

/** Writes an offline-agent script whose steps are matched by role (and round 1 for the worker). */
async function writeOfflineScript(file: string, steps: OfflineScript["steps"]): Promise<void> {
  const script: OfflineScript = { version: 1, steps };
  await writeFile(file, `${JSON.stringify(script, null, 2)}\n`);
}

/** A file in the attempt directory of round 1 (`.bosun/runs/<id>/tasks/T-001/rounds/1/<role>/`). */
function getAttemptFile(
  repo: string,
  runId: string,
  role: "worker" | "reviewer",
  name: string,
): string {
  return join(getBosunPaths(repo).roundDir(runId, TASK_ID, 1), role, name);
}

/** `length` bytes of a file from `position`, without reading the whole file. */
async function readFileSlice(file: string, position: number, length: number): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** bosun's timeout message for a harness: "<name> timed out after 2s" (or "2.0s"); group killed. */
function getTimedOutPattern(harness: string, timeoutSec: number): RegExp {
  return new RegExp(
    `${harness} timed out after ${timeoutSec}(\\.0)?s; its process group was killed`,
  );
}

/**
 * Runs `attempt` with a dispatch timeout of TIMEOUT_SEC, doubling it while the agent had not got
 * to work (`isReady` false) when the timeout fired: on a busy machine Node alone may take most of
 * a short timeout to start.
 */
function withTimeoutLongEnoughSec<T>(
  what: string,
  attempt: (timeoutSec: number) => Promise<{ isReady: boolean; outcome: T }>,
): Promise<T & { timeoutSec: number }> {
  return withTimeoutLongEnough(
    what,
    async (timeoutMs) => {
      const timeoutSec = timeoutMs / 1000;
      const { isReady, outcome } = await attempt(timeoutSec);
      return isReady ? { ...outcome, timeoutSec } : undefined;
    },
    { firstMs: TIMEOUT_SEC * 1000, maxMs: 16_000 },
  );
}

describe("bosun review with failing agents", () => {
  it("kills a hung agent and its child at the timeout (TERM, then KILL after the grace) and fails the run", async () => {
    const pidFile = join(home, "hang-pids.json");
    const { repo, result, timeoutSec } = await withTimeoutLongEnoughSec(
      "the hung agent",
      async (timeoutSec) => {
        const repo = await makeRepo({
          dispatch: { ...TEST_DISPATCH, timeoutSec },
          agents: {
            hang: {
              template: createFakeAgentTemplate("fake-hang.mjs"),
              env: { FAKE_PID_FILE: pidFile },
            },
          },
        });
        const result = await runBosun(reviewArgs("hang", "hang"), { cwd: repo, env });
        return { isReady: existsSync(pidFile), outcome: { repo, result } };
      },
    );

    const pids = await readHangPids(pidFile);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(getTimedOutPattern("hang", timeoutSec));
    expectNoInternalError(result);
    // The fake ignores SIGTERM, so bosun can only have ended it with SIGKILL after the grace.
    expect(result.durationMs).toBeGreaterThanOrEqual((timeoutSec + GRACE_SEC) * 1000);
    expect(result.durationMs).toBeLessThan((timeoutSec + GRACE_SEC) * 1000 + SLACK_MS);
    expect(isPidRunning(pids.pid)).toBe(false);
    expect(isPidRunning(pids.childPid)).toBe(false);
    const { runId, run, events } = await readOnlyRun(repo);
    expect(run.status).toBe("failed");
    expect(run.reason).toContain("timed out");
    expect(filterEvents(events, "dispatch.failed")).toMatchObject([
      { seat: "worker", harness: "hang", isPermanent: true },
    ]);
    expect(
      await readFile(getAttemptFile(repo, runId, "worker", "agent.stderr.log"), "utf8"),
    ).toContain("ignoring SIGTERM");
    expect(existsSync(getAttemptFile(repo, runId, "worker", "agent.pid"))).toBe(false);
  });

  it("kills the shell commands an agent started along with the agent at the timeout", async () => {
    const scriptFile = join(home, "offline-script.json");
    const pidFile = join(home, "command-pid.txt");
    await writeOfflineScript(scriptFile, [
      { role: "worker", actions: [{ run: `sleep 300 & echo $! > '${pidFile}'; wait` }] },
    ]);
    const { result, timeoutSec } = await withTimeoutLongEnoughSec(
      "the agent's shell command",
      async (timeoutSec) => {
        const repo = await makeRepo({
          dispatch: { ...TEST_DISPATCH, timeoutSec },
          agents: { offline: { script: scriptFile } },
        });
        const result = await runBosun(reviewArgs("offline", "offline"), { cwd: repo, env });
        return { isReady: existsSync(pidFile), outcome: { result } };
      },
    );

    const commandPid = Number.parseInt(await readFile(pidFile, "utf8"), 10);
    cleanups.push(() => Promise.resolve(killGroupQuietly(commandPid)));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(getTimedOutPattern("offline", timeoutSec));
    expect(result.durationMs).toBeLessThan(timeoutSec * 1000 + SLACK_MS);
    expect(isPidRunning(commandPid)).toBe(false);
  });

  it("reports a crashing agent with the harness, its exit code and its stderr tail", async () => {
    const repo = await makeRepo({
      dispatch: TEST_DISPATCH,
      agents: { crash: { template: createFakeAgentTemplate("fake-crash.mjs") } },
    });

    const result = await runBosun(reviewArgs("crash", "crash"), { cwd: repo, env });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("crash exited with code 3: ");
    expect(result.stderr).toContain("segfault-ish boom");
    expect(result.stderr).toMatch(/Fix the cause, then: bosun review --resume \S+/);
    expectNoInternalError(result);
    const { runId, run, events } = await readOnlyRun(repo);
    expect(run.status).toBe("failed");
    expect(run.reason).toContain("crash exited with code 3");
    expect(filterEvents(events, "dispatch.failed")).toMatchObject([
      {
        seat: "worker",
        harness: "crash",
        message: expect.stringContaining("segfault-ish boom") as string,
      },
    ]);
    expect(filterEvents(events, "run.completed")).toMatchObject([{ status: "failed" }]);
    expect(await readFile(getAttemptFile(repo, runId, "worker", "agent.stderr.log"), "utf8")).toBe(
      "fake-crash: stack frame 1\nsegfault-ish boom\n",
    );
  });

  it("fails cleanly when an agent prints no events its parser understands", async () => {
    const repo = await makeRepo({
      dispatch: TEST_DISPATCH,
      agents: {
        garbage: { template: createFakeAgentTemplate("fake-garbage.mjs"), parser: "claude" },
      },
    });

    const result = await runBosun(reviewArgs("garbage", "garbage"), { cwd: repo, env });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      "garbage printed no claude events (7 unreadable lines); see agent.log.",
    );
    expectNoInternalError(result);
    const { runId, run, events } = await readOnlyRun(repo);
    expect(run.status).toBe("failed");
    expect(filterEvents(events, "dispatch.failed")).toMatchObject([
      { seat: "worker", harness: "garbage" },
    ]);
    expect(await readFile(getAttemptFile(repo, runId, "worker", "agent.log"), "utf8")).toContain(
      "<<<not json>>>",
    );
  });

  it("streams 20 MB of agent output, one 4 MB line included, to agent.log and carries on with the run", async () => {
    const scriptFile = join(home, "offline-script.json");
    await writeOfflineScript(scriptFile, [{ role: "reviewer", actions: [APPROVE] }]);
    const repo = await makeRepo({
      dispatch: TEST_DISPATCH,
      agents: {
        huge: {
          template: createFakeAgentTemplate("fake-huge.mjs"),
          env: {
            FAKE_HUGE_BYTES: String(HUGE_OUTPUT_BYTES),
            FAKE_HUGE_LINE_BYTES: String(LONG_LINE_BYTES),
          },
        },
        offline: { script: scriptFile },
      },
    });

    const result = await runBosun(reviewArgs("huge", "offline"), { cwd: repo, env });

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    // bosun reports progress; it does not echo the flood.
    expect(result.stderr.length + result.stdout.length).toBeLessThan(20_000);
    expect(result.durationMs).toBeLessThan(15_000);
    const { runId, run } = await readOnlyRun(repo);
    expect(run.status).toBe("succeeded");
    // Every byte reached the log: its size is what the fake says it wrote, plus that last line.
    const agentLog = getAttemptFile(repo, runId, "worker", "agent.log");
    const { size } = await stat(agentLog);
    const lastLine =
      (await readFileSlice(agentLog, size - 200, 200)).trimEnd().split("\n").at(-1) ?? "";
    const written = Number(/^fake-huge: wrote (\d+) bytes$/.exec(lastLine)?.[1]);
    expect(written).toBeGreaterThanOrEqual(HUGE_OUTPUT_BYTES);
    expect(size).toBe(written + Buffer.byteLength(`${lastLine}\n`));
    // The long line is there whole: its newline sits exactly where the fake put it.
    expect(await readFileSlice(agentLog, LONG_LINE_BYTES - 2, 3)).toBe("y\nf");
  });
});

describe("bosun review with a missing agent CLI", () => {
  it("prints one clear error and creates no run when a custom harness's command does not exist", async () => {
    const repo = await makeRepo({
      dispatch: TEST_DISPATCH,
      agents: { ghost: { template: `${MISSING_COMMAND} --prompt {{prompt_file}}` } },
    });

    const result = await runBosun(reviewArgs("ghost", "ghost"), { cwd: repo, env });

    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      `error "${MISSING_COMMAND}" not found on PATH (install it or fix agents.ghost.template in bosun.yaml)`,
    ]);
    expect(existsSync(getBosunPaths(repo).runsDir)).toBe(false);
  });

  // A PATH of just git's directory; skipped where codex is installed there or in /usr/local/bin.
  const gitDir = (process.env["PATH"] ?? "")
    .split(":")
    .find((dir) => dir !== "" && existsSync(join(dir, "git")));
  const isCodexReachable =
    gitDir === undefined || existsSync(join(gitDir, "codex")) || existsSync("/usr/local/bin/codex");

  it.skipIf(isCodexReachable)("names the missing codex binary and how to install it", async () => {
    const repo = await makeRepo({ dispatch: TEST_DISPATCH });

    const result = await runBosun(reviewArgs("codex", "codex"), {
      cwd: repo,
      env: { ...env, PATH: gitDir },
    });

    expect(result.exitCode).not.toBe(0);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error "codex" not found on PATH \(install .*@openai\/codex.*\)$/);
    expect(existsSync(getBosunPaths(repo).runsDir)).toBe(false);
  });
});

describe("bosun review interrupted", () => {
  it("resumes after kill -9 mid-review: the finished worker is not re-run and the orphaned reviewer is killed", async () => {
    const scriptFile = join(home, "offline-script.json");
    const counterFile = join(home, "worker-runs.txt");
    const worker = {
      role: "worker" as const,
      round: 1,
      actions: [{ run: `echo worker ran >> '${counterFile}'` }, WRITE_FEATURE, WORK_REPORT],
    };
    await writeOfflineScript(scriptFile, [
      worker,
      { role: "reviewer", actions: [{ say: "Reviewing slowly." }, { sleepMs: 60_000 }, APPROVE] },
    ]);
    const repo = await makeRepo({
      dispatch: TEST_DISPATCH,
      agents: { offline: { script: scriptFile } },
    });

    const first = await startTrackedBosun(reviewArgs("offline", "offline"), repo);
    const { runId, reviewerPid } = await waitWhileBosunRuns(
      first,
      "the round-1 reviewer was sleeping",
      async () => {
        const { runId: id, events } = await readOnlyRun(repo);
        if (filterEvents(events, "dispatch.started", { seat: "reviewer" }).length === 0)
          return undefined;
        // Until the reviewer's last line before its sleep is logged, killing bosun would make its
        // next write fail with EPIPE and end it by itself, and there would be no orphan to test.
        const log = await readFile(getAttemptFile(repo, id, "reviewer", "agent.log"), "utf8");
        if (!log.includes("Reviewing slowly.")) return undefined;
        const pid = Number.parseInt(
          await readFile(getAttemptFile(repo, id, "reviewer", "agent.pid"), "utf8"),
          10,
        );
        return Number.isInteger(pid) && pid > 0 ? { runId: id, reviewerPid: pid } : undefined;
      },
    );
    cleanups.push(() => Promise.resolve(killGroupQuietly(reviewerPid)));
    process.kill(first.pid, "SIGKILL");
    expect((await first.result).signal).toBe("SIGKILL");
    // kill -9 runs no cleanup: the reviewer is still there, now an orphan.
    expect(isPidRunning(reviewerPid)).toBe(true);

    await writeOfflineScript(scriptFile, [worker, { role: "reviewer", actions: [APPROVE] }]);
    const resumed = await runBosun(["review", "--resume", runId], { cwd: repo, env });

    expect(resumed.exitCode).toBe(0);
    expectNoInternalError(resumed);
    expect(resumed.stderr).toMatch(
      /Killed (an agent|processes) left running by an earlier bosun process/,
    );
    expect(isPidRunning(reviewerPid)).toBe(false);
    const events = await readEvents(repo, runId);
    expect(filterEvents(events, "run.completed")).toMatchObject([{ status: "succeeded" }]);
    expect(filterEvents(events, "run.resumed")).toHaveLength(1);
    expect(filterEvents(events, "dispatch.started", { seat: "worker" })).toHaveLength(1);
    expect(filterEvents(events, "dispatch.completed", { seat: "worker", round: 1 })).toHaveLength(
      1,
    );
    expect(filterEvents(events, "checkpoint.created")).toHaveLength(1);
    expect(filterEvents(events, "dispatch.started", { seat: "reviewer", round: 1 })).toHaveLength(
      2,
    );
    expect(await readFile(counterFile, "utf8")).toBe("worker ran\n");
    expect((await readOnlyRun(repo)).run.status).toBe("succeeded");
  });

  it("stops on Ctrl-C: kills the hung agent's group within the grace, exits 130, and the run resumes", async () => {
    const pidFile = join(home, "hang-pids.json");
    const scriptFile = join(home, "offline-script.json");
    await writeOfflineScript(scriptFile, [{ role: "reviewer", actions: [APPROVE] }]);
    // Agents live in the global config so fixing them later leaves the repository untouched.
    const globalConfig = getGlobalConfigFile({ BOSUN_HOME: home });
    await writeConfigFile(globalConfig, {
      agents: {
        hang: {
          template: createFakeAgentTemplate("fake-hang.mjs"),
          env: { FAKE_PID_FILE: pidFile },
        },
        offline: { script: scriptFile },
      },
    });
    const repo = await makeRepo({ dispatch: TEST_DISPATCH });

    const bosun = await startTrackedBosun(reviewArgs("hang", "offline"), repo);
    const pids = await waitWhileBosunRuns(bosun, "the hung agent had started its child", () =>
      readHangPids(pidFile),
    );
    const interruptedAt = performance.now();
    process.kill(bosun.pid, "SIGINT");
    const stopped = await bosun.result;
    const stopMs = performance.now() - interruptedAt;

    expect(stopped.exitCode).toBe(130);
    // TERM is ignored by the fake, so KILL after the grace ends it, not the 60 s timeout.
    expect(stopMs).toBeLessThan(GRACE_SEC * 1000 + SLACK_MS);
    expect(stopped.stderr).toContain("Stopping agents");
    expect(stopped.stderr).toMatch(/Paused\. Continue with: bosun review --resume \S+/);
    expectNoInternalError(stopped);
    expect(isPidRunning(pids.pid)).toBe(false);
    expect(isPidRunning(pids.childPid)).toBe(false);
    const paused = await readOnlyRun(repo);
    expect(paused.run.status).toBe("paused");
    expect(filterEvents(paused.events, "run.paused")).toMatchObject([
      { reason: "stopped by Ctrl-C or a signal" },
    ]);
    expect(filterEvents(paused.events, "dispatch.failed")).toEqual([]);

    // The user swaps the hung agent for one that works.
    await writeConfigFile(globalConfig, {
      agents: {
        hang: { template: createFakeAgentTemplate("fake-worker.mjs") },
        offline: { script: scriptFile },
      },
    });
    const resumed = await runBosun(["review", "--resume", paused.runId], { cwd: repo, env });

    expect(resumed.exitCode).toBe(0);
    expectNoInternalError(resumed);
    const { run, events } = await readOnlyRun(repo);
    expect(run.status).toBe("succeeded");
    expect(filterEvents(events, "dispatch.started", { seat: "worker", round: 1 })).toHaveLength(2);
    expect(filterEvents(events, "dispatch.completed", { seat: "worker", round: 1 })).toHaveLength(
      1,
    );
    expect(await readFile(join(repo, "feature.txt"), "utf8")).toBe("feature\n");
  });

  it.each(["SIGHUP", "SIGTERM"] as const)(
    "stops agents on %s (a closed terminal, a service manager), as on Ctrl-C",
    async (signal) => {
      const pidFile = join(home, "hang-pids.json");
      // The offline reviewer never runs here, but bosun checks its script before a run starts.
      const scriptFile = join(home, "offline-script.json");
      await writeOfflineScript(scriptFile, [{ role: "reviewer", actions: [APPROVE] }]);
      await writeConfigFile(getGlobalConfigFile({ BOSUN_HOME: home }), {
        agents: {
          hang: {
            template: createFakeAgentTemplate("fake-hang.mjs"),
            env: { FAKE_PID_FILE: pidFile },
          },
          offline: { script: scriptFile },
        },
      });
      const repo = await makeRepo({ dispatch: TEST_DISPATCH });

      const bosun = await startTrackedBosun(reviewArgs("hang", "offline"), repo);
      const pids = await waitWhileBosunRuns(bosun, "the hung agent had started its child", () =>
        readHangPids(pidFile),
      );
      const signalledAt = performance.now();
      process.kill(bosun.pid, signal);
      const stopped = await bosun.result;

      expect(stopped.exitCode).toBe(130);
      // The fake ignores TERM: KILL after the grace ends it (with slack for a busy machine).
      expect(performance.now() - signalledAt).toBeLessThan(GRACE_SEC * 1000 + SLACK_MS);
      expect((await readOnlyRun(repo)).run.status).toBe("paused");
      expectNoInternalError(stopped);
      expect(isPidRunning(pids.pid)).toBe(false);
      expect(isPidRunning(pids.childPid)).toBe(false);
    },
  );

  it("ends within the grace and a margin on SIGTERM even when what it waits for ignores the stop (a hung git)", async () => {
    // A git whose "commit" hangs, ignoring TERM: bosun's checkpoint waits on it, deaf to the abort.
    const bin = join(home, "bin");
    const marker = join(home, "git-commit-hangs");
    const realGit = (await findOnPath("git")).trim();
    await mkdir(bin, { recursive: true });
    await writeFile(
      join(bin, "git"),
      `#!/bin/sh\nfor arg in "$@"; do\n  if [ "$arg" = commit ]; then trap '' TERM; echo > '${marker}'; sleep 60; fi\ndone\nexec '${realGit}' "$@"\n`,
      { mode: 0o755 },
    );
    const scriptFile = join(home, "offline-script.json");
    await writeOfflineScript(scriptFile, [
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);
    const repo = await makeRepo({
      dispatch: TEST_DISPATCH,
      agents: { offline: { script: scriptFile } },
    });
    const bosun = await startBosun(reviewArgs("offline", "offline"), {
      cwd: repo,
      env: { ...env, PATH: `${bin}:${process.env["PATH"] ?? ""}` },
    });
    cleanups.push(async () => {
      killGroupQuietly(bosun.pid);
      await bosun.result;
    });
    await waitWhileBosunRuns(bosun, "the checkpoint commit to hang", () =>
      Promise.resolve(existsSync(marker) ? true : undefined),
    );
    const signalledAt = performance.now();
    process.kill(bosun.pid, "SIGTERM");
    const stopped = await bosun.result;

    expect(stopped.exitCode).toBe(130);
    // Its grace (1 s) plus the 3 s margin main() gives a flow to stop, with slack for a busy machine.
    expect(performance.now() - signalledAt).toBeLessThan(GRACE_SEC * 1000 + 3_000 + SLACK_MS);
    expectNoInternalError(stopped);
    // The journal makes the forced exit safe: with a working git the run resumes and finishes.
    const { runId } = await readOnlyRun(repo);
    const resumed = await runBosun(["review", "--resume", runId], { cwd: repo, env });
    expect(resumed.exitCode).toBe(0);
    expect((await readOnlyRun(repo)).run.status).toBe("succeeded");
  });
});
