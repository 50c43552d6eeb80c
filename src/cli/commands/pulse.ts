/**
 * `bosun pulse …`: the autonomous loop's verbs for a human. Each builds the pulse's world of
 * work (PulseEnv) and calls the flow: a beat, an approval, the daemon. Starting and stopping the
 * daemon is here (a detached `bosun pulse daemon`, found again by its pid lock).
 */
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { dispatch } from "../../agents/dispatch.js";
import { loadConfig } from "../../store/config.js";
import { StateError, UsageError } from "../../errors.js";
import { runBeat } from "../../flows/pulse/beat.js";
import { withBeatLock } from "../../flows/pulse/beat-lock.js";
import {
  acquireDaemonLock,
  describeBeat,
  readDaemonInfo,
  runPulseDaemon,
  stopWorkers,
} from "../../flows/pulse/daemon.js";
import type { PulseEnv } from "../../flows/pulse/pulse-env.js";
import { describeAction, settleHeldActions } from "../../flows/pulse/settle.js";
import { assertNotPulseWorker } from "../human-only.js";
import { isProcessAlive, isSameLiveProcess, parseProcessIdentity } from "../../proc/liveness.js";
import { spawnDetached } from "../../proc/spawn-detached.js";
import { followLogLines } from "../../store/follow-log.js";
import { readLiveLockHolder, readLivePidLockHolder } from "../../store/run-lock.js";
import { waitUntil } from "../../store/wait-until.js";
import type { CliContext } from "../context.js";
import { printJson } from "../format.js";
import { readPulseStatus, formatPulseStatus } from "./pulse-status.js";

/** The pulse's world of work for this invocation. */
export async function createPulseEnv(ctx: CliContext): Promise<PulseEnv> {
  const [repoRoot, paths, resolved] = await Promise.all([
    ctx.getRoot(),
    ctx.getPaths(),
    ctx.getConfig(),
  ]);
  return {
    repoRoot,
    paths,
    config: resolved.config,
    loadConfig: async () => (await loadConfig(paths.root)).config,
    cliPath: path.resolve(process.argv[1] ?? "bosun"),
    runner: dispatch,
    now: Date.now,
    signal: ctx.signal,
    log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
  };
}

/** `bosun pulse once [--dry-run] [--force]`: one beat in the foreground. */
export async function runPulseOnce(
  ctx: CliContext,
  options: { dryRun?: boolean; force?: boolean },
): Promise<number> {
  const env = await createPulseEnv(ctx);
  const outcome = await runBeat(env, {
    ...(options.dryRun === true ? { isDryRun: true } : {}),
    ...(options.force === true ? { isForced: true } : {}),
  });
  if (ctx.isJson) {
    printJson(outcome);
    return outcome.kind === "brain-failed" ? 1 : 0;
  }
  if (outcome.kind === "dry-run") {
    process.stdout.write(
      `Dry run: ${outcome.reason}. The brain (${env.config.pulse.brain}) would get this prompt (${Buffer.byteLength(outcome.prompt)} bytes); nothing was called or changed.\n\n${outcome.prompt}\n`,
    );
    return 0;
  }
  for (const reading of outcome.readings)
    process.stdout.write(
      `sensor ${reading.name}: ${reading.status === "ok" ? JSON.stringify(reading.signal) : `FAILED ${reading.error}`}\n`,
    );
  process.stdout.write(`${describeBeat(outcome)}\n`);
  if (outcome.kind === "decided") {
    for (const item of outcome.decision.actions)
      process.stdout.write(
        `  #${item.index} ${describeAction(item.action)}: ${item.status}${item.result === undefined ? "" : ` — ${item.result}`}${item.error === undefined ? "" : ` — ${item.error}`}${item.status === "awaiting" ? ` (${item.gateReason})` : ""}\n`,
      );
    if (outcome.decision.askId !== undefined)
      process.stdout.write(
        `Held for a human: bosun pulse approve ${outcome.decision.id} [--only N,…] or bosun pulse reject ${outcome.decision.id}\n`,
      );
  }
  return outcome.kind === "brain-failed" ? 1 : 0;
}

/** `bosun pulse approve|reject D [--only 1,3]`. */
export async function runPulseSettle(
  ctx: CliContext,
  decisionId: string,
  options: { only?: number[]; isReject: boolean; source?: string },
): Promise<number> {
  assertNotPulseWorker(`bosun pulse ${options.isReject ? "reject" : "approve"} ${decisionId}`);
  const env = await createPulseEnv(ctx);
  const record = await withBeatLock(env, () =>
    settleHeldActions(env, {
      decisionId,
      isReject: options.isReject,
      ...(options.only === undefined ? {} : { only: options.only }),
      by: options.source ?? "cli",
    }),
  );
  if (ctx.isJson) {
    printJson(record);
    return 0;
  }
  for (const item of record.actions)
    process.stdout.write(
      `#${item.index} ${describeAction(item.action)}: ${item.status}${item.result === undefined ? "" : ` — ${item.result}`}${item.error === undefined ? "" : ` — ${item.error}`}\n`,
    );
  return record.actions.some((item) => item.status === "failed") ? 1 : 0;
}

/** `bosun pulse improve [--apply N]`. */
export async function runPulseImprove(
  ctx: CliContext,
  options: { apply?: number },
): Promise<number> {
  const env = await createPulseEnv(ctx);
  const improve = await import("../../flows/pulse/improve.js");
  if (options.apply !== undefined) {
    const change = await improve.applyProposal(env, options.apply);
    if (ctx.isJson) printJson({ applied: options.apply, change });
    else process.stdout.write(`Applied proposal ${options.apply}: ${change}\n`);
    return 0;
  }
  // Under the beat lock: it calls the brain, and counts that in the loop's budgets.
  const outcome = await withBeatLock(env, () => improve.proposeImprovements(env));
  if (ctx.isJson) {
    printJson(outcome);
    return 0;
  }
  if (outcome.weaknesses.length === 0) {
    process.stdout.write(
      "No weakness found in the pulse's recent traces: no proposal, no model call.\n",
    );
    return 0;
  }
  process.stdout.write("Weaknesses:\n");
  for (const weakness of outcome.weaknesses)
    process.stdout.write(
      `  ${weakness.kind}: ${weakness.count} (e.g. ${weakness.examples[0] ?? ""})\n`,
    );
  if (outcome.files.length === 0) process.stdout.write("The brain proposed nothing.\n");
  for (const [i, file] of outcome.files.entries())
    process.stdout.write(
      `Proposal: ${outcome.proposals[i]?.title ?? ""}\n  ${file}\n  apply with: bosun pulse improve --apply ${path.basename(file, ".md")}\n`,
    );
  return 0;
}

/** `bosun pulse daemon`: the loop in the foreground until SIGTERM or Ctrl-C. */
export async function runPulseDaemonCommand(ctx: CliContext): Promise<number> {
  const env = await createPulseEnv(ctx);
  const lock = await acquireDaemonLock(env);
  try {
    await runPulseDaemon({ ...env, signal: ctx.signal });
  } finally {
    await lock.release();
  }
  return 0;
}

/** How long `up` waits for the daemon to say it runs, and `down` for it to end. */
const DAEMON_START_TIMEOUT_MS = 20_000;

/** `bosun pulse up`: the daemon, detached; refuses a second one. */
export async function runPulseUp(ctx: CliContext): Promise<number> {
  const env = await createPulseEnv(ctx);
  const running = await readLiveLockHolder(env.paths.pulse.daemonPidFile);
  if (running !== undefined)
    throw new StateError(
      `The pulse already runs here (process ${running}); "bosun pulse status" shows it, "bosun pulse restart" restarts it.`,
    );
  const pid = await spawnDetached({
    command: process.execPath,
    args: [env.cliPath, "--root", env.repoRoot, "pulse", "daemon"],
    cwd: env.repoRoot,
    logFile: env.paths.pulse.daemonLogFile,
  });
  await waitForFile(
    env,
    async () => {
      const holder = await readLiveLockHolder(env.paths.pulse.daemonPidFile);
      if (holder === pid) return true;
      if (isProcessAlive(pid)) return false;
      // Another `up` at the same moment started the daemon that took the lock: say so now, not
      // after the timeout, and never as a start that failed.
      if (holder !== undefined)
        throw new StateError(
          `The pulse already runs here (process ${holder}, started at the same moment); "bosun pulse status" shows it.`,
        );
      throw new StateError(
        `The pulse (process ${pid}) ended as it started; see ${env.paths.pulse.daemonLogFile}.`,
      );
    },
    DAEMON_START_TIMEOUT_MS,
    `the pulse (process ${pid}) did not start within ${DAEMON_START_TIMEOUT_MS / 1000} s; see ${env.paths.pulse.daemonLogFile}`,
  );
  process.stdout.write(
    `Pulse up (process ${pid}). Log: ${env.paths.pulse.daemonLogFile}; "bosun pulse watch" follows it, "bosun pulse down" stops it.\n`,
  );
  return 0;
}

/** `bosun pulse down`: stops the daemon, then any worker it left going. */
export async function runPulseDown(ctx: CliContext): Promise<number> {
  const env = await createPulseEnv(ctx);
  const holder = await readLivePidLockHolder(env.paths.pulse.daemonPidFile, parseProcessIdentity);
  if (holder === undefined) {
    // A daemon killed with -9 stopped none of its workers: down does.
    const stopped = await stopWorkers(env);
    process.stdout.write(
      `The pulse is not running.${stopped.length === 0 ? "" : ` Stopped its workers: ${stopped.join(", ")}.`}\n`,
    );
    return 0;
  }
  const { pid } = holder;
  process.kill(pid, "SIGTERM");
  const graceMs = env.config.dispatch.graceSec * 1000 + DAEMON_START_TIMEOUT_MS;
  try {
    // Its lock goes a moment before the process itself: down (and restart) waits for both, so
    // "stopped" means no daemon process is left.
    await waitForFile(
      env,
      async () =>
        (await readLiveLockHolder(env.paths.pulse.daemonPidFile)) === undefined &&
        !isSameLiveProcess(holder),
      graceMs,
      "",
    );
  } catch {
    process.kill(pid, "SIGKILL");
    await stopWorkers(env);
    process.stdout.write(`The pulse (process ${pid}) did not stop in time and was killed.\n`);
    return 0;
  }
  // The daemon stops its workers as it goes, but its exit deadline can cut that short on a busy
  // machine: "down" means they are stopped too.
  await stopWorkers(env);
  process.stdout.write(`Pulse down (process ${pid} stopped, with its workers).\n`);
  return 0;
}

/** `bosun pulse restart`: down, then up; never two daemons. */
export async function runPulseRestart(ctx: CliContext): Promise<number> {
  await runPulseDown(ctx);
  return runPulseUp(ctx);
}

/** `bosun pulse pause|resume`: the loop senses, never decides, while paused. */
export async function runPulsePause(ctx: CliContext, isPaused: boolean): Promise<number> {
  const { paths } = await createPulseEnv(ctx);
  if (isPaused) {
    await writeFile(paths.pulse.pausedFile, `paused at ${new Date().toISOString()}\n`);
    process.stdout.write("Pulse paused: it keeps sensing and decides nothing until resumed.\n");
  } else {
    await rm(paths.pulse.pausedFile, { force: true });
    process.stdout.write("Pulse resumed.\n");
  }
  return 0;
}

/** `bosun pulse status [--json]`. */
export async function runPulseStatus(ctx: CliContext): Promise<number> {
  const env = await createPulseEnv(ctx);
  const status = await readPulseStatus(env);
  if (ctx.isJson) printJson(status);
  else process.stdout.write(formatPulseStatus(status));
  return 0;
}

/** `bosun pulse watch`: the daemon's log and the journal as they grow (read-only). */
export async function runPulseWatch(ctx: CliContext): Promise<number> {
  const env = await createPulseEnv(ctx);
  const info = await readDaemonInfo(env);
  if (info === null && !existsSync(env.paths.pulse.journalFile))
    throw new UsageError('The pulse never ran here: "bosun pulse init", then "bosun pulse up".');
  const follow = async (file: string, prefix: string): Promise<void> => {
    for await (const lines of followLogLines(file, { signal: ctx.signal, tailBytes: 4096 }))
      for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
  };
  await Promise.all([
    follow(env.paths.pulse.daemonLogFile, "log  "),
    follow(env.paths.pulse.journalFile, "move "),
  ]);
  return 0;
}

/** Waits, watching `.bosun/pulse/`, until `isDone` holds; throws `message` at the timeout. */
async function waitForFile(
  env: PulseEnv,
  isDone: () => Promise<boolean>,
  timeoutMs: number,
  message: string,
): Promise<void> {
  const waited = await waitUntil({
    dirs: [env.paths.pulse.dir],
    check: async () => ((await isDone()) ? true : undefined),
    // A process killed with -9 leaves its lock file: the watch sees nothing, the probe does.
    probeMs: 500,
    timeoutMs,
  });
  if (waited.kind === "timeout") throw new StateError(message);
}
