/**
 * Runs the built bosun CLI (`dist/cli.js`) as a real process for e2e tests, in the foreground
 * (`runBosun`) or in the background (`startBosun`, to signal it mid-run), with a hermetic env.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { expect } from "vitest";
import { fileURLToPath } from "node:url";
import { startProcess } from "../../src/proc/run-process.js";
import { createTempDir } from "./agent-env.js";
import { waitFor } from "./wait-for.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The built CLI entry; tests need `npm run build` first (see `assertBosunBuilt`). */
export const BOSUN_CLI = join(REPO_ROOT, "dist", "cli.js");

/** Directory of the fake agent programs (`fake-hang.mjs`, `fake-crash.mjs`, ...). */
export const FAKE_AGENTS_DIR = join(REPO_ROOT, "test", "fixtures", "bin");

/** A kill switch so a hung bosun fails its test well before vitest's own 60 s test timeout. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** How one bosun invocation ended. */
export interface BosunRun {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  /** Everything it printed on stdout. */
  stdout: string;
  /** Everything it printed on stderr (progress lines and errors go here). */
  stderr: string;
  /** Wall time from spawn to exit. */
  durationMs: number;
}

/** A bosun started in the background. */
export interface BosunProcess {
  /** Its pid (it leads its own process group; its agents lead theirs). */
  pid: number;
  /** Settles when it has exited. */
  result: Promise<BosunRun>;
}

/** Where and how to run bosun. */
export interface BosunRunOptions {
  /** Working directory (the repository). */
  cwd: string;
  /** The env from `createBosunEnv`, plus any overrides; `undefined` removes a variable. */
  env: Readonly<Record<string, string | undefined>>;
  /** Kill bosun's group if it runs longer than this. */
  timeoutMs?: number;
}

/** Throws a clear error when `dist/` is missing, instead of a confusing spawn failure. */
export function assertBosunBuilt(): void {
  if (!existsSync(BOSUN_CLI))
    throw new Error(`${BOSUN_CLI} is missing: run "npm run build" first.`);
}

/**
 * Env for a hermetic bosun: global config and HOME in `home` (so neither ~/.config/bosun nor
 * agents installed under the real ~ are seen), no colours, and no machine git config.
 */
export function createBosunEnv(home: string): Record<string, string> {
  return {
    BOSUN_HOME: home,
    HOME: home,
    NO_COLOR: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
  };
}

/** A `custom` harness template that runs one fake agent from test/fixtures/bin with this Node. */
export function createFakeAgentTemplate(fakeName: string): string {
  return `"${process.execPath}" "${join(FAKE_AGENTS_DIR, fakeName)}" {{prompt_file}}`;
}

/** Runs `bosun <args>` to completion. */
export async function runBosun(
  args: readonly string[],
  options: BosunRunOptions,
): Promise<BosunRun> {
  return (await startBosun(args, options)).result;
}

/** Starts `bosun <args>` and returns at once; await `result` for the outcome. */
export async function startBosun(
  args: readonly string[],
  options: BosunRunOptions,
): Promise<BosunProcess> {
  const logDir = await createTempDir("bosun-e2e-output-");
  const stderrFile = join(logDir, "stderr.log");
  const handle = startProcess({
    command: process.execPath,
    args: [BOSUN_CLI, ...args],
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    graceMs: 2_000,
    stderrLogFile: stderrFile,
  });
  const result = (async (): Promise<BosunRun> => {
    // Reading stdout keeps its pipe from filling up and blocking bosun.
    const lines: string[] = [];
    for await (const line of handle.lines()) lines.push(line);
    const ended = await handle.result;
    const stderr = await readFile(stderrFile, "utf8");
    await rm(logDir, { recursive: true, force: true });
    return {
      exitCode: ended.exitCode,
      signal: ended.signal,
      stdout: lines.join("\n"),
      stderr,
      durationMs: ended.durationMs,
    };
  })();
  return { pid: handle.pid, result };
}

/** Waits like `waitFor`, but fails at once, showing bosun's output, if bosun exits first. */
export function waitWhileBosunRuns<T>(
  bosun: BosunProcess,
  what: string,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const exited = bosun.result.then((run): never => {
    throw new Error(`bosun exited (code ${String(run.exitCode)}) before ${what}:\n${run.stderr}`);
  });
  return Promise.race([waitFor(what, probe), exited]);
}

/** bosun handled what went wrong: no stack trace, no "this is a bug". */
export function expectNoInternalError(result: { stderr: string }): void {
  expect(result.stderr).not.toContain("internal error");
  expect(result.stderr).not.toContain("This is a bug");
}
