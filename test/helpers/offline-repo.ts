/**
 * A temp git repo wired to bosun's offline agent (a scripted, model-free agent) for fast e2e tests
 * of `bosun review`, with the built CLI run against it and typed reads of what a run left on disk.
 */
import { existsSync } from "node:fs";
import { readFile, realpath, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { afterEach, beforeAll } from "vitest";
import type { OfflineScript } from "../../src/agents/offline/script.js";
import { runProcess, startProcess } from "../../src/proc/run-process.js";
import { createBosunPaths, type BosunPaths } from "../../src/store/paths.js";
import { listRunIds, readRun, readRunEvents } from "../../src/store/run-read.js";
import type { WrittenConfig } from "../../src/store/schema/config.js";
import type { RunEvent, Seat } from "../../src/store/schema/events.js";
import type { Run } from "../../src/store/schema/run.js";
import { createTempDir, createTempGitRepo } from "./agent-env.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI_ENTRY = join(REPO_ROOT, "dist", "cli.js");
/** A hung bosun fails its test well before vitest's own timeout. */
const CLI_TIMEOUT_MS = 30_000;
/** The machine's git config (signing, hooks, identity) must not leak into tests. */
const GIT_ENV = { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };

/** Offline-agent script steps (matched by role, round and attempt; first match plays). */
export type OfflineSteps = OfflineScript["steps"];

/** How one CLI call ended. */
export interface CliResult {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr (progress lines, warnings, errors). */
  stderr: string;
  /** Wall time. */
  durationMs: number;
}

/** A CLI call running in the background. */
export interface CliProcess {
  /** Its pid (it leads its own process group). */
  pid: number;
  /** Reads what it has printed on stderr so far. */
  readStderr(): Promise<string>;
  /** The stdout lines it has printed so far (a live view, filled as they arrive). */
  stdoutLines: readonly string[];
  /** Settles once it exited. */
  result: Promise<CliResult>;
}

/** A run as it is on disk. */
export interface RunOnDisk {
  /** Run id. */
  runId: string;
  /** run.json. */
  run: Run;
  /** events.jsonl, in order. */
  events: RunEvent[];
}

/** A repo the offline agent works in. */
export interface OfflineRepo {
  /** Repository root (real path, clean tree, bosun.yaml committed). */
  root: string;
  /** BOSUN_HOME (also HOME) for every CLI call; the script lives here too. */
  home: string;
  /** `.bosun/` paths of the repo. */
  paths: BosunPaths;
  /** Replaces the offline agent's script. */
  writeScript(steps: OfflineSteps): Promise<void>;
  /** Runs `bosun <args>` in the repo to completion. */
  runCli(args: readonly string[]): Promise<CliResult>;
  /** Starts `bosun <args>` in the repo in the background. */
  startCli(args: readonly string[]): CliProcess;
  /** Runs git in the repo and returns its stdout. */
  git(args: readonly string[]): Promise<string>;
  /** The repo's one run; throws unless there is exactly one. */
  readOnlyRun(): Promise<RunOnDisk>;
  /** A file of the run's task (`.bosun/runs/<id>/tasks/T-001/<rel>`). */
  getTaskFile(runId: string, rel: string): string;
  /** Removes the repo and the home dir, killing any CLI call still running. */
  cleanup(): Promise<void>;
}

/** Throws a clear error when `dist/` is missing, instead of a confusing spawn failure. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI_ENTRY))
    throw new Error(`${CLI_ENTRY} is missing: run "npm run build" first.`);
}

/**
 * The repositories a test file makes, cleaned up after each test, with the CLI checked as built
 * before the first: call once at the top of an e2e file, then push each repository made.
 */
export function useOfflineRepos(): OfflineRepo[] {
  const repos: OfflineRepo[] = [];
  beforeAll(() => {
    assertCliBuilt();
  });
  afterEach(async () => {
    for (const repo of repos.splice(0)) await repo.cleanup();
  });
  return repos;
}

/** Task id bosun gives a `--goal` run. */
export const GOAL_TASK_ID = "T-001";

/**
 * Creates a clean repo whose committed bosun.yaml points the offline harness at a script with
 * `steps`, with no dispatch retries (a failing agent fails at once). `cliTimeoutMs` lets a test
 * whose runs make many dispatches give each CLI call longer than the default 30 s.
 */
export async function createOfflineRepo(
  steps: OfflineSteps,
  config: WrittenConfig = {},
  options: { cliTimeoutMs?: number } = {},
): Promise<OfflineRepo> {
  const home = await realpath(await createTempDir("bosun-offline-home-"));
  const root = await realpath(await createTempGitRepo());
  const scriptFile = join(home, "offline-script.json");
  const paths = createBosunPaths(root);
  const env = { BOSUN_HOME: home, HOME: home, NO_COLOR: "1", ...GIT_ENV };
  const live = new Set<number>();
  let outputs = 0;

  const writeScript = async (next: OfflineSteps): Promise<void> => {
    const script: OfflineScript = { version: 1, steps: next };
    await writeFile(scriptFile, `${JSON.stringify(script, null, 2)}\n`);
  };
  const git = async (args: readonly string[]): Promise<string> => {
    const result = await runProcess({
      command: "git",
      args,
      cwd: root,
      env: GIT_ENV,
      timeoutMs: 10_000,
    });
    if (result.exitCode !== 0)
      throw new Error(`git ${args.join(" ")} failed in ${root}: ${result.stderrTail}`);
    return result.stdout;
  };
  const startCli = (args: readonly string[]): CliProcess => {
    outputs += 1;
    // A file, not the 4 KB tail: tests read the whole of stderr, also while bosun still runs.
    const stderrFile = join(home, `cli-${outputs}.stderr.log`);
    const handle = startProcess({
      command: process.execPath,
      args: [CLI_ENTRY, ...args],
      cwd: root,
      env,
      timeoutMs: options.cliTimeoutMs ?? CLI_TIMEOUT_MS,
      graceMs: 2_000,
      stderrLogFile: stderrFile,
    });
    live.add(handle.pid);
    const readStderr = async (): Promise<string> =>
      existsSync(stderrFile) ? readFile(stderrFile, "utf8") : "";
    const lines: string[] = [];
    const result = (async (): Promise<CliResult> => {
      for await (const line of handle.lines()) lines.push(line);
      const ended = await handle.result;
      live.delete(handle.pid);
      return {
        exitCode: ended.exitCode,
        stdout: lines.join("\n"),
        stderr: await readStderr(),
        durationMs: ended.durationMs,
      };
    })();
    return { pid: handle.pid, readStderr, stdoutLines: lines, result };
  };

  await writeScript(steps);
  const written: WrittenConfig = {
    ...config,
    dispatch: { retries: 0, timeoutSec: 30, graceSec: 1, ...config.dispatch },
    agents: { ...config.agents, offline: { script: scriptFile } },
  };
  await writeFile(join(root, "bosun.yaml"), stringify(written));
  await git(["add", "-A"]);
  await git(["commit", "-q", "-m", "bosun config"]);

  return {
    root,
    home,
    paths,
    writeScript,
    runCli: (args) => startCli(args).result,
    startCli,
    git,
    readOnlyRun: async () => {
      const ids = await listRunIds(paths);
      const runId = ids[0];
      if (ids.length !== 1 || runId === undefined)
        throw new Error(`expected exactly one run in ${root}, found ${ids.length}`);
      const run = await readRun(paths, runId);
      if (run === null) throw new Error(`run ${runId} has no run.json`);
      return { runId, run, events: await readRunEvents(paths, runId) };
    },
    getTaskFile: (runId, rel) => join(paths.taskDir(runId, GOAL_TASK_ID), rel),
    cleanup: async () => {
      for (const pid of live) killGroupQuietly(pid);
      await rm(root, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The events of one type, optionally for one seat and/or round, narrowed to that type. */
export function filterEvents<T extends RunEvent["type"]>(
  events: readonly RunEvent[],
  type: T,
  where: { seat?: Seat; round?: number } = {},
): Array<Extract<RunEvent, { type: T }>> {
  return events.filter(
    (event): event is Extract<RunEvent, { type: T }> =>
      event.type === type &&
      (where.seat === undefined || ("seat" in event && event.seat === where.seat)) &&
      (where.round === undefined || ("round" in event && event.round === where.round)),
  );
}

/** Parses JSON Lines output (every line must be a JSON object). */
export function parseJsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const value: unknown = JSON.parse(line);
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new Error(`not a JSON object line: ${line}`);
      // Checked above: a JSON object, whose fields the caller reads as unknown.
      return value as Record<string, unknown>;
    });
}

/** SIGKILLs a process group left behind by a failed test; a group already gone is the goal. */
function killGroupQuietly(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing left to clean up.
  }
}
