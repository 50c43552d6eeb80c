/**
 * The verify gate: runs the project's own test command after the worker's checkpoint. Its full
 * output goes to verify.log; a red run becomes the next round's fix list, with the output's tail.
 */
import path from "node:path";
import { CancelledError, UsageError } from "../errors.js";
import { killSpawnFromPidFile } from "../proc/pid-file.js";
import { runProcess } from "../proc/run-process.js";
import type { RoundScope, RunContext } from "./flow-context.js";
import type { GateOutcome } from "./round.js";

const TAIL_LINES = 40;

/** The pid file of the verify run logging to `logFile`: present only while one runs (or was left running). */
export function getVerifyPidFile(logFile: string): string {
  return path.join(path.dirname(logFile), "verify.pid");
}

/** The verify command could not run at all (exit 126/127 from sh): a mistake in the command. */
export class VerifyCannotRunError extends UsageError {
  constructor(
    message: string,
    /** What happened, without the advice: "`cmd` could not run (exit 127: …)". */
    readonly detail: string,
  ) {
    super(message);
  }
}

/** Runs `command` with /bin/sh in the scope's working tree and turns the result into a gate outcome. */
export async function runVerifyCommand(
  ctx: RunContext,
  scope: Pick<
    RoundScope,
    "cwd" | "timeoutSec" | "resumeCommand" | "isVerifyFixed" | "taskId" | "env"
  >,
  command: string,
  logFile: string,
): Promise<GateOutcome> {
  // The tests may write the tree: what bosun last saw of it no longer holds.
  ctx.looks?.forget(scope.cwd);
  // A verify run left going by a bosun that was killed must not race this one.
  const pidFile = getVerifyPidFile(logFile);
  const graceMs = ctx.config.dispatch.graceSec * 1000;
  if (await killSpawnFromPidFile(pidFile, graceMs)) {
    ctx.emit({
      type: "warning",
      runId: ctx.runId,
      taskId: scope.taskId,
      message: `Killed a verify command left running by an earlier bosun process (${pidFile}).`,
    });
  }
  const result = await runProcess({
    command: "/bin/sh",
    // `exec 2>&1` first, so stderr is merged even if the command ends in a comment.
    args: ["-c", `exec 2>&1\n${command}`],
    pidFile,
    cwd: scope.cwd,
    ...(scope.env === undefined ? {} : { env: scope.env }),
    timeoutMs: scope.timeoutSec * 1000,
    graceMs,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    stdoutLogFile: logFile,
    // A test run or dev server it started may detach; none may keep writing to the repository.
    isTreeTracked: true,
  });
  // Stopped by Ctrl-C: no verdict on the work, so nothing may be recorded as a failed gate.
  if (result.terminationReason === "aborted") throw new CancelledError("Verify command stopped.");
  // 126/127 from sh: the command could not run at all. That is a mistake in the command, not a
  // red test run; failing rounds on it would only spend agent time.
  if (result.terminationReason === "exit" && (result.exitCode === 126 || result.exitCode === 127)) {
    const said = result.stdout.trim().split("\n").at(-1) ?? "";
    const detail = `\`${command}\` could not run (exit ${result.exitCode}: ${said})`;
    throw new VerifyCannotRunError(
      `The verify command ${detail}. ${
        scope.isVerifyFixed === true
          ? 'A run keeps its test command for life: start a new run with a --verify that works (--verify "" for none).'
          : `Fix it, then continue with: ${scope.resumeCommand} --verify "…"`
      }`,
      detail,
    );
  }
  if (result.terminationReason === "exit" && result.exitCode === 0) {
    return { passed: true, detail: `\`${command}\` exited 0`, fixItems: [] };
  }
  const tail = result.stdout.split("\n").slice(-TAIL_LINES).join("\n");
  const how =
    result.terminationReason === "timeout"
      ? "timed out"
      : `exited ${String(result.exitCode ?? result.signal)}`;
  return {
    passed: false,
    detail: `\`${command}\` ${how}`,
    fixItems: [
      {
        source: "verify",
        reason: `The verify command \`${command}\` ${how}. Make it pass. Last lines of its output:\n${tail}`,
      },
    ],
  };
}
