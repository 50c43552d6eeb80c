/**
 * The pulse's act step: one gated move carried out through the same code a human's verb uses
 * (the goal, sensor, playbook and schedule files; `bosun review|run|pipeline` started as a
 * detached process exactly as a human would; the workers' start, tell and kill; the asks
 * mailbox; git's compare-and-swap merge). Each returns one line saying what it did, or throws
 * with why it failed; the caller records either in the decision's write-ahead record.
 */
import { cp, lstat, mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { StateError, UsageError } from "../../errors.js";
import { createAskId, writeAsk } from "../../human/asks.js";
import { archiveGoal, writeGoal, writePlaybook, writeSensor } from "../../human/pulse-files.js";
import { dropSchedule, writeSchedule } from "../../human/pulse-schedules.js";
import { killSpawnFromPidFile } from "../../proc/pid-file.js";
import { runProcess } from "../../proc/run-process.js";
import { spawnDetached } from "../../proc/spawn-detached.js";
import { waitUntil } from "../../store/wait-until.js";
import { PULSE_ASK_RUN_ID } from "../../store/schema/asks.js";
import type { PulseAction } from "../../store/schema/pulse-decision.js";
import { mergeBranch } from "../../workspace/merge.js";
import { listDirtyFiles, runGitUnchecked } from "../../workspace/git.js";
import { readWorktreeBranches } from "../../workspace/worktree.js";
import { killWorker, startWorker, writeWorkerTell } from "./workers.js";
import { PULSE_PROCESS_VARS, type PulseEnv } from "./pulse-env.js";

export { PULSE_ASK_RUN_ID };

/** How long a `run_command` may take; a deploy gets longer. */
const COMMAND_TIMEOUT_MS = 10 * 60_000;
const DEPLOY_TIMEOUT_MS = 30 * 60_000;

/** Lines of a command's output kept in the result. */
const OUTPUT_TAIL_CHARS = 400;

/** How long a started run may take to name itself before the move counts as failed. */
const RUN_START_TIMEOUT_MS = 60_000;

/** Where one move happens: its decision and its 1-based place in it (names its files). */
export interface ActionSite {
  decisionId: string;
  index: number;
}

/** Carries out one move; returns what it did in one line. */
export async function executeAction(
  env: PulseEnv,
  action: PulseAction,
  site: ActionSite,
): Promise<string> {
  const { paths } = env;
  switch (action.type) {
    case "noop":
      return action.reason ?? "nothing to do";
    case "write_goal":
      await writeGoal(paths, action.id, action.text);
      return `goal ${action.id} written`;
    case "archive_goal":
      await archiveGoal(paths, action.id);
      return `goal ${action.id} archived`;
    case "write_sensor":
      await writeSensor(paths, action.name, action.script, action.intervalSec);
      return `sensor ${action.name} written`;
    case "write_playbook":
      await writePlaybook(paths, action.text);
      return "playbook written (the earlier one kept in playbook-history/)";
    case "write_schedule": {
      const timing =
        action.everySec !== undefined
          ? { everySec: action.everySec }
          : { inSec: action.inSec ?? env.config.pulse.intervalSec };
      await writeSchedule(paths, { id: action.id, note: action.note, ...timing }, env.now());
      return `schedule ${action.id} set`;
    }
    case "drop_schedule":
      await dropSchedule(paths, action.id);
      return `schedule ${action.id} dropped`;
    case "run_command":
      return runShell(env, action.command, site, COMMAND_TIMEOUT_MS);
    case "deploy":
      return runShell(env, action.command, site, DEPLOY_TIMEOUT_MS);
    case "start_run":
      return `run ${await startRun(env, action.flow, action.request, site)} started`;
    case "start_worker": {
      const worker = await startWorker(
        paths,
        env.config,
        {
          id: action.id,
          prompt: action.prompt,
          harness: action.harness,
          model: action.model,
          thinking: action.thinking,
          verify: action.verify,
        },
        { bosunArgv: [process.execPath, env.cliPath] },
      );
      return `worker ${worker.id} started`;
    }
    case "tell_worker":
      await writeWorkerTell(paths, action.worker, action.text, "pulse");
      return `worker ${action.worker} told`;
    case "kill_worker":
      await killWorker(paths, action.worker, {
        graceMs: env.config.dispatch.graceSec * 1000,
        reason: action.reason ?? "stopped by the pulse",
      });
      return `worker ${action.worker} stopped`;
    case "ask": {
      const askId = createAskId(new Date(env.now()));
      await writeAsk(paths, {
        version: 1,
        id: askId,
        runId: PULSE_ASK_RUN_ID,
        createdAt: new Date(env.now()).toISOString(),
        question: action.question,
        options: action.options ?? [],
        context: `Asked by the pulse's brain in decision ${site.decisionId}.`,
      });
      return `ask ${askId} opened`;
    }
    case "merge":
      return mergeInto(env, action.branch, action.into);
    case "delete":
      return deletePath(env, action.path, site);
  }
}

/** Runs a shell command in the repository; its whole output goes to the decision's folder. */
async function runShell(
  env: PulseEnv,
  command: string,
  site: ActionSite,
  timeoutMs: number,
): Promise<string> {
  const logFile = getActionLogFile(env, site);
  // A human's move (`bosun _ run`) has no brain transcript to have made the decision's folder.
  await mkdir(path.dirname(logFile), { recursive: true });
  const result = await runProcess({
    command: "/bin/sh",
    args: ["-c", `exec 2>&1\n${command}`],
    cwd: env.repoRoot,
    timeoutMs,
    graceMs: env.config.dispatch.graceSec * 1000,
    stdoutLogFile: logFile,
    env: { [PULSE_PROCESS_VARS.move]: `${site.decisionId}#${site.index}` },
    // Found again by a pulse restarted after this one was killed (see endOrphanedCommand).
    pidFile: getActionPidFile(env, site),
    isTreeTracked: true,
    ...(env.signal === undefined ? {} : { signal: env.signal }),
  });
  const tail = result.stdout.trim().slice(-OUTPUT_TAIL_CHARS);
  const said = tail === "" ? "" : `: ${tail}`;
  if (result.terminationReason === "timeout")
    throw new StateError(`timed out after ${timeoutMs / 1000} s${said} (${logFile})`);
  if (result.exitCode !== 0)
    throw new StateError(`exited ${result.exitCode ?? result.signal ?? "?"}${said} (${logFile})`);
  return `exit 0${said}`;
}

/** The pid file of a move's command while it runs. */
function getActionPidFile(env: PulseEnv, site: ActionSite): string {
  return path.join(env.paths.pulse.decisionsDir, site.decisionId, `action-${site.index}.pid`);
}

/**
 * Ends what a move's command left running when the pulse running it was killed (bosun's rule:
 * nothing outlives the process that started it). True when something was still running.
 */
export function endOrphanedCommand(env: PulseEnv, site: ActionSite): Promise<boolean> {
  return killSpawnFromPidFile(getActionPidFile(env, site), env.config.dispatch.graceSec * 1000);
}

/** The file a move writes its output to. */
function getActionLogFile(env: PulseEnv, site: ActionSite): string {
  return path.join(env.paths.pulse.decisionsDir, site.decisionId, `action-${site.index}.log`);
}

/** The CLI verb a human would type for each flow. */
function getRunArgs(flow: "review" | "team" | "pipeline", request: string): string[] {
  switch (flow) {
    case "review":
      // `=` and `--`: a request that starts with "--" is a request, never an option.
      return ["review", `--goal=${request}`];
    case "team":
      return ["run", "--execute", "--", request];
    case "pipeline":
      return ["pipeline", `--intent=${request}`];
  }
}

/**
 * Starts a run as its own detached bosun process (it outlives the daemon and is resumed like any
 * run), then reads its run id from the events it prints as JSON lines.
 */
async function startRun(
  env: PulseEnv,
  flow: "review" | "team" | "pipeline",
  request: string,
  site: ActionSite,
): Promise<string> {
  const logFile = getActionLogFile(env, site);
  await spawnDetached({
    command: process.execPath,
    args: [env.cliPath, "--root", env.repoRoot, "--json", ...getRunArgs(flow, request)],
    cwd: env.repoRoot,
    logFile,
  });
  return waitForRunId(env, logFile);
}

/** The first run id the started process prints, or a failure naming its log. */
async function waitForRunId(env: PulseEnv, logFile: string): Promise<string> {
  const waited = await waitUntil({
    dirs: [path.dirname(logFile)],
    check: async () => {
      const text = await readFile(logFile, "utf8").catch(() => "");
      const found = /"runId":"([^"]+)"/.exec(text)?.[1];
      if (found !== undefined) return found;
      const error = /"error":\{[^}]*"message":"([^"]*)"/.exec(text)?.[1];
      if (error !== undefined) throw new StateError(`the run did not start: ${error} (${logFile})`);
      return undefined;
    },
    timeoutMs: RUN_START_TIMEOUT_MS,
    ...(env.signal === undefined ? {} : { signal: env.signal }),
  });
  if (waited.kind === "timeout")
    throw new StateError(`the run named no run id within a minute (${logFile})`);
  return waited.value;
}

/**
 * Merges a branch into another: git's compare-and-swap (`mergeBranch`, no checkout) when the
 * target is checked out nowhere; when it is checked out (main, in the user's checkout — the
 * common case), `git merge --no-ff` in that checkout, so its files follow, and only when it has
 * no uncommitted change (a conflict is aborted, leaving it as it was).
 */
async function mergeInto(env: PulseEnv, branch: string, into: string): Promise<string> {
  const target = into.startsWith("refs/") ? into : `refs/heads/${into}`;
  const old = await runGitUnchecked(env.repoRoot, ["rev-parse", "--verify", `${target}^{commit}`]);
  if (old.exitCode !== 0) throw new UsageError(`no branch ${into} to merge into`);
  const message = `Merge ${branch} into ${into} (bosun pulse)`;
  const holder = (await readWorktreeBranches(env.repoRoot)).find(
    (worktree) => worktree.branch === target && !worktree.isPrunable,
  );
  if (holder !== undefined) return mergeInCheckout(holder.dir, branch, into, message);
  const result = await mergeBranch(env.repoRoot, {
    target,
    source: branch,
    expectedOld: old.stdout.trim(),
    message,
  });
  if (result.kind === "conflicted")
    throw new StateError(`${branch} conflicts with ${into}: ${result.files.join(", ")}`);
  if (result.kind === "stale") throw new StateError(`${into} moved while merging; decide again`);
  return result.isAlreadyMerged
    ? `${branch} was already in ${into}`
    : `${branch} merged into ${into} as ${result.commit.slice(0, 12)}`;
}

async function mergeInCheckout(
  dir: string,
  branch: string,
  into: string,
  message: string,
): Promise<string> {
  const dirty = (await listDirtyFiles(dir)).filter((file) => !file.startsWith(".bosun/"));
  if (dirty.length > 0)
    throw new StateError(
      `${into} is checked out in ${dir} with uncommitted changes (${dirty.slice(0, 5).join(", ")}); commit or stash them, then approve the merge again`,
    );
  const merged = await runGitUnchecked(dir, [
    "merge",
    "--no-ff",
    "--no-edit",
    "-m",
    message,
    branch,
  ]);
  if (merged.exitCode === 0) {
    const head = await runGitUnchecked(dir, ["rev-parse", "--short=12", "HEAD"]);
    return `${branch} merged into ${into} as ${head.stdout.trim()} (in ${dir})`;
  }
  // Whatever git left half-done (a conflict), it takes back: the checkout is as it was.
  await runGitUnchecked(dir, ["merge", "--abort"]);
  throw new StateError(
    `${branch} does not merge cleanly into ${into}: ${(merged.stdout + merged.stderrTail).trim().split("\n").slice(-3).join(" ")}`,
  );
}

/** Deletes a path inside the repository after copying it to the decision's snapshot. */
async function deletePath(env: PulseEnv, wanted: string, site: ActionSite): Promise<string> {
  const target = path.resolve(env.repoRoot, wanted);
  const relative = path.relative(env.repoRoot, target);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative))
    throw new UsageError(`${wanted} is not inside the repository; the pulse deletes nothing else`);
  const top = relative.split(path.sep)[0];
  if (top === ".git" || top === ".bosun")
    throw new UsageError(`${wanted} is bosun's or git's own state; the pulse never deletes it`);
  await lstat(target).catch(() => {
    throw new UsageError(`${wanted} does not exist`);
  });
  // Nothing bosun deletes is lost: a copy goes to the snapshot first.
  const snapshot = path.join(env.paths.pulse.snapshotsDir, site.decisionId, relative);
  await cp(target, snapshot, { recursive: true, verbatimSymlinks: true, errorOnExist: false });
  await rm(target, { recursive: true, force: true });
  return `${relative} deleted (a copy is in ${snapshot})`;
}
