/**
 * Makes a team run's checkout ready for work and tests, as `worktree:` in bosun.yaml says: the
 * untracked files to copy from the user's checkout (such as `.env`) and a setup command (such as
 * `npm ci`). Task worktrees get it before their first round; bosun's integration checkout before
 * the tests run there (the baseline, and the tests after each merge).
 */
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { CancelledError, UsageError, getErrorMessage } from "../../errors.js";
import { killSpawnFromPidFile } from "../../proc/pid-file.js";
import { runProcess } from "../../proc/run-process.js";
import { resolveGitPath, runGitBuffer, runGitExact } from "../../workspace/git.js";
import type { TeamContext } from "./team-context.js";

/** The checkout being made ready. */
export interface SetupTarget {
  /** Its directory. */
  dir: string;
  /** The task it is for (absent: bosun's integration checkout), named in warnings. */
  taskId?: string;
  /** Where the setup command's output goes. */
  logFile: string;
}

/** Copies the configured files in and runs the setup command; a failed setup is a UsageError. */
export async function prepareWorktree(team: TeamContext, target: SetupTarget): Promise<void> {
  const { config } = team.ctx;
  for (const file of await listCopyable(team, target, config.worktree.copy)) {
    try {
      await mkdir(path.dirname(path.join(target.dir, file)), { recursive: true });
      await copyFile(path.join(team.mainRoot, file), path.join(target.dir, file));
    } catch (error) {
      // A listed file the user does not have (yet) is not the task's problem; say so.
      warn(team, target, `worktree.copy: ${file} was not copied (${getErrorMessage(error)}).`);
    }
  }
  if (config.worktree.setup === "") return;
  await mkdir(path.dirname(target.logFile), { recursive: true });
  // A setup left going by a bosun killed with -9 must not race this one in the same tree.
  const pidFile = `${target.logFile}.pid`;
  const graceMs = config.dispatch.graceSec * 1000;
  if (await killSpawnFromPidFile(pidFile, graceMs))
    warn(
      team,
      target,
      `Killed a worktree setup left running by an earlier bosun process (${pidFile}).`,
    );
  const result = await runProcess({
    command: "/bin/sh",
    args: ["-c", `exec 2>&1\n${config.worktree.setup}`],
    cwd: target.dir,
    timeoutMs: team.options.timeoutSec * 1000,
    graceMs,
    pidFile,
    ...(team.ctx.signal === undefined ? {} : { signal: team.ctx.signal }),
    stdoutLogFile: target.logFile,
    isTreeTracked: true,
  });
  if (result.terminationReason === "aborted") throw new CancelledError("Worktree setup stopped.");
  if (result.terminationReason !== "exit" || result.exitCode !== 0)
    throw new UsageError(
      `The worktree setup command \`${config.worktree.setup}\` failed in ${target.dir} (see ${target.logFile}). Fix worktree.setup in bosun.yaml, then: ${team.resumeCommand}`,
    );
}

/** The setup marker, in a checkout's own git directory (see `prepareWorktreeOnce`). */
const SETUP_MARKER = "bosun-setup.json";

/**
 * `prepareWorktree` unless the checkout was already set up for this `worktree:` config. The marker
 * lives in the checkout's own git directory and goes with it, so a checkout made anew, a setup
 * that failed or was cut off by a crash, and a changed config are set up (again).
 */
export async function prepareWorktreeOnce(team: TeamContext, target: SetupTarget): Promise<void> {
  const marker = await resolveGitPath(target.dir, SETUP_MARKER);
  const wanted = `${JSON.stringify(team.ctx.config.worktree)}\n`;
  if ((await readFile(marker, "utf8").catch(() => null)) === wanted) return;
  await prepareWorktree(team, target);
  await writeFile(marker, wanted);
}

/**
 * The files of `copy` git ignores in the checkout. One it does not ignore would be taken into
 * the task's change by bosun's checkpoint (`git add -A`), and merged: a copied `.env` would put
 * its secrets into the run's branches. Such a file is left out, with a warning saying why.
 */
async function listCopyable(
  team: TeamContext,
  target: SetupTarget,
  copy: readonly string[],
): Promise<string[]> {
  const problems = await Promise.all(copy.map((file) => findCopyProblem(target.dir, file)));
  const copyable: string[] = [];
  copy.forEach((file, i) => {
    const problem = problems[i];
    if (problem === undefined) copyable.push(file);
    else warn(team, target, `worktree.copy: ${file} was not copied: ${problem}.`);
  });
  return copyable;
}

/** Why `file` may not be copied into the checkout at `dir`, or undefined when it may. */
async function findCopyProblem(dir: string, file: string): Promise<string | undefined> {
  try {
    // Exit 1: not ignored (a tracked file never is, whatever the ignore files say).
    const ignored = await runGitBuffer(dir, ["check-ignore", "-q", "--", file], {
      exitCodes: [0, 1],
    });
    if (ignored.exitCode === 0) return undefined;
    const tracked = await runGitExact(dir, ["ls-files", "-z", "--", file]);
    return tracked !== ""
      ? "git tracks it, so the checkout has the committed version, and your copy over it would become part of the task's change"
      : "git does not ignore it in the run's checkout, so bosun's checkpoint would commit it into the run's branches. Add it to a committed .gitignore or to .git/info/exclude to have it copied";
  } catch (error) {
    // A path git cannot judge (beyond a symbolic link, …) is not copied blind.
    return `git could not tell whether it ignores it (${getErrorMessage(error)})`;
  }
}

function warn(team: TeamContext, target: SetupTarget, message: string): void {
  team.ctx.emit({
    type: "warning",
    runId: team.ctx.runId,
    ...(target.taskId === undefined ? {} : { taskId: target.taskId }),
    message,
  });
}
