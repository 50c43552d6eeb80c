/**
 * `bosun learn --check`: runs the repository's test command once, as found, and records whether
 * it is green or red, so agents (and people) know the state of the suite before any change.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { CancelledError } from "../../errors.js";
import { startProcess, type TerminationReason } from "../../proc/run-process.js";
import type { DetectedCommand } from "./shared.js";

/** The outcome of one run of the test command. */
export interface TestCheck {
  /** The command that ran, e.g. `npm test`. */
  command: string;
  /** Where the command came from, e.g. `package.json scripts.test: vitest run`. */
  source: string;
  /** `green`: exited 0; `red`: anything else (a failure, a timeout, a command that cannot run). */
  status: "green" | "red";
  /** Exit code; null when a signal or the timeout ended it. */
  exitCode: number | null;
  /** Why it ended. */
  terminationReason: TerminationReason;
  /** Wall time of the run. */
  durationMs: number;
  /** When it started (ISO 8601). */
  checkedAt: string;
  /** The file holding its whole output (stdout and stderr). */
  logFile: string;
  /** The last lines of its output, for a red run's summary. */
  tail: string[];
}

/** Options of `runTestCheck`. */
export interface TestCheckOptions {
  /** Repository root, where the command runs. */
  root: string;
  /** Where the output goes (replaced, not appended to). */
  logFile: string;
  /** Stop the command after this long; 0 means no limit. */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL when stopping it. */
  graceMs?: number;
  /** Aborting stops the command; the check then throws CancelledError and records nothing. */
  signal?: AbortSignal;
  /** Clock for `checkedAt` (tests pin it). */
  now?: () => Date;
}

/** Lines of output kept in memory for the summary; the rest is only in the log file. */
const TAIL_LINES = 20;

/** Runs `test.command` with /bin/sh in the root, its output to `logFile`, and judges it. */
export async function runTestCheck(
  test: DetectedCommand,
  options: TestCheckOptions,
): Promise<TestCheck> {
  await mkdir(path.dirname(options.logFile), { recursive: true });
  // The log is opened for appending by startProcess; start it empty so it holds this run only.
  await writeFile(options.logFile, "");
  const checkedAt = (options.now?.() ?? new Date()).toISOString();
  const handle = startProcess({
    command: "/bin/sh",
    // `exec 2>&1` first, so stderr lands in the same log, in order, even if the command ends in a comment.
    args: ["-c", `exec 2>&1\n${test.command}`],
    cwd: options.root,
    timeoutMs: options.timeoutMs,
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    stdoutLogFile: options.logFile,
    // Test runners start servers and workers; none may outlive the check.
    isTreeTracked: true,
  });
  const tail: string[] = [];
  for await (const line of handle.lines()) {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  }
  const result = await handle.result;
  // Stopped by Ctrl-C: that says nothing about the suite, so no verdict is recorded.
  if (result.terminationReason === "aborted") throw new CancelledError("Test check stopped.");
  const isGreen = result.terminationReason === "exit" && result.exitCode === 0;
  return {
    command: test.command,
    source: test.source,
    status: isGreen ? "green" : "red",
    exitCode: result.exitCode,
    terminationReason: result.terminationReason,
    durationMs: result.durationMs,
    checkedAt,
    logFile: options.logFile,
    tail,
  };
}
