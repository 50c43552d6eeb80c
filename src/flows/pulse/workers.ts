/**
 * The pulse's workers: long-running agent sessions the loop starts, tells and stops. Each runs
 * in a host process of its own (`bosun _ worker-host <id>`, see worker-host.ts), detached, so a
 * worker outlives the daemon that started it; everything about it is in its folder.
 */
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { StateError, UsageError, getErrorMessage } from "../../errors.js";
import { isSameLiveProcess, parseProcessIdentity } from "../../proc/liveness.js";
import { killSpawnFromPidFile, writePidFileSync } from "../../proc/pid-file.js";
import { SPAWN_ID_VAR } from "../../proc/proc-scan.js";
import { spawnDetached } from "../../proc/spawn-detached.js";
import { resolveHarness } from "../../agents/harnesses.js";
import { createTellId, markTellDelivered, readTells, writeTell } from "../../human/tells.js";
import { readTextOrNull } from "../../store/json-file.js";
import { SAFE_ID_RULE, isSafeId, type BosunPaths } from "../../store/paths.js";
import {
  getWorkerFiles,
  readExistingWorkerFile,
  readWorkerFile,
  writeWorkerFile,
} from "../../store/pulse-workers.js";
import type { Config } from "../../store/schema/config.js";
import {
  ENDED_WORKER_STATUSES,
  WORKER_FILE_VERSION,
  type WorkerFile,
} from "../../store/schema/pulse-worker.js";
import type { Tell } from "../../store/schema/tells.js";
import { getHead } from "../../workspace/git.js";
import { createWorktree } from "../../workspace/worktree.js";
import { PULSE_ASK_RUN_ID } from "../../store/schema/asks.js";
import { readIsHostAlive } from "./worker-health.js";

/** What a worker is to do (the brain's `start_worker` move, or `bosun _ worker start`). */
export interface WorkerSpec {
  /** Worker id: its folder's name and its branch's last part. */
  id: string;
  /** The task, in words. */
  prompt: string;
  /** Harness (default: `pulse.worker`). */
  harness?: string | undefined;
  /** Model (default: the harness's). */
  model?: string | undefined;
  /** Thinking level (default: the harness's). */
  thinking?: string | undefined;
  /** Post-condition: a shell command whose exit 0 proves the job done. */
  verify?: string | undefined;
  /** Seconds the post-condition may run (default: `dispatch.timeoutSec`). */
  verifyTimeoutSec?: number | undefined;
  /** Work in an own git worktree (default: when the repository has a commit). */
  hasWorktree?: boolean | undefined;
}

/** How the host process is started. */
export interface StartWorkerOptions {
  /**
   * The command that runs this bosun: the executable and the arguments before bosun's own
   * (default: this Node, its flags — a tsx loader under `npm run dev` — and `process.argv[1]`).
   */
  bosunArgv?: readonly string[];
  /** Now, for the record. */
  now?: Date;
}

/** Where a worker's branch lives: `bosun/pulse/<id>`. */
export function getWorkerBranch(id: string): string {
  return `bosun/pulse/${id}`;
}

/**
 * Starts a worker: its folder and worker.json (status `starting`), its worktree when it touches
 * code, then its host process, detached. Refuses an id whose worker still runs; a worker that
 * ended or died may be started again under its id (its worktree and branch are taken over as
 * they are, so the work goes on where it stopped).
 */
export async function startWorker(
  paths: BosunPaths,
  config: Config,
  spec: WorkerSpec,
  options: StartWorkerOptions = {},
): Promise<WorkerFile> {
  if (!isSafeId(spec.id))
    throw new UsageError(`Invalid worker id ${JSON.stringify(spec.id)}: ${SAFE_ID_RULE}.`);
  if (spec.prompt.trim() === "")
    throw new UsageError(`Worker ${spec.id} has an empty prompt. Say what it is to do.`);
  const harness = spec.harness ?? config.pulse.worker;
  // Checked now, not in the host: an unknown harness is the starter's mistake to hear about.
  resolveHarness(harness, config.agents);
  const files = getWorkerFiles(paths, spec.id);
  const existing = await readWorkerFile(paths, spec.id);
  if (
    existing !== null &&
    !ENDED_WORKER_STATUSES.has(existing.status) &&
    (await readIsHostAlive(files.hostPidFile, existing))
  )
    throw new StateError(
      `Worker ${spec.id} is already running (${existing.status}). Stop it first with "bosun _ worker kill ${spec.id}", or choose another id.`,
    );
  const mainCheckout = path.dirname(paths.bosunDir);
  const hasWorktree = spec.hasWorktree ?? (await hasCommit(mainCheckout));
  let cwd = mainCheckout;
  let worktree: WorkerFile["worktree"];
  if (hasWorktree) {
    const branch = getWorkerBranch(spec.id);
    const made = await createWorktree(
      mainCheckout,
      paths.worktreeDir(PULSE_ASK_RUN_ID, spec.id),
      branch,
      "HEAD",
    );
    cwd = made.dir;
    worktree = { path: made.dir, branch };
  }
  const worker: WorkerFile = {
    version: WORKER_FILE_VERSION,
    id: spec.id,
    prompt: spec.prompt,
    harness,
    ...(spec.model === undefined ? {} : { model: spec.model }),
    ...(spec.thinking === undefined ? {} : { thinking: spec.thinking }),
    ...(spec.verify === undefined ? {} : { verify: spec.verify }),
    verifyTimeoutSec: spec.verifyTimeoutSec ?? config.dispatch.timeoutSec,
    cwd,
    ...(worktree === undefined ? {} : { worktree }),
    status: "starting",
    startedAt: (options.now ?? new Date()).toISOString(),
    deliveredTellIds: [],
    costUsd: 0,
  };
  await mkdir(files.dir, { recursive: true });
  // An earlier host's pid file would make this start look dead until the new one is written.
  await rm(files.hostPidFile, { force: true });
  await writeWorkerFile(paths, worker);
  const [command = process.execPath, ...prefix] = options.bosunArgv ?? getOwnArgv();
  try {
    const pid = await spawnDetached({
      command,
      args: [...prefix, "--root", mainCheckout, "_", "worker-host", spec.id],
      cwd: mainCheckout,
      logFile: files.hostLogFile,
      // Without the spawn ids it inherited: a tree sweep of whatever started it (an agent that
      // ran `bosun _ worker start` in its Bash tool) must not end what is meant to outlive it.
      env: { [SPAWN_ID_VAR]: "" },
    });
    // With its start time, so a later kill never hits a process that reused the pid.
    writePidFileSync(files.hostPidFile, pid);
  } catch (error) {
    const failed: WorkerFile = {
      ...worker,
      status: "failed",
      endedAt: new Date().toISOString(),
      reason: `its host process could not start: ${getErrorMessage(error)}`,
    };
    await writeWorkerFile(paths, failed);
    throw new StateError(`Worker ${spec.id} could not start: ${getErrorMessage(error)}.`, {
      cause: error,
    });
  }
  return worker;
}

/** How a kill went. */
export interface KillWorkerResult {
  /** worker.json after the kill. */
  worker: WorkerFile;
  /** False when it had already ended (nothing was signalled). */
  wasRunning: boolean;
}

/** How long past the grace period a host gets to record its own end before it is KILLed. */
const HOST_STOP_MARGIN_MS = 5_000;
/** How often `killWorker` looks whether the host is gone. */
const HOST_POLL_MS = 50;

/**
 * Stops a worker: TERM to its host (pid and start time checked), which stops the agent's group
 * and records `killed`; waits for the host to go. A host that does not (or was already dead) is
 * KILLed, the agent's and the post-condition's groups are ended from their pid files, and
 * `killed` is recorded here.
 */
export async function killWorker(
  paths: BosunPaths,
  id: string,
  options: { graceMs: number; reason?: string },
): Promise<KillWorkerResult> {
  const files = getWorkerFiles(paths, id);
  const before = await readExistingWorkerFile(paths, id);
  if (ENDED_WORKER_STATUSES.has(before.status)) return { worker: before, wasRunning: false };
  const text = await readTextOrNull(files.hostPidFile);
  const host = text === null ? undefined : parseProcessIdentity(text);
  if (host !== undefined && isSameLiveProcess(host)) {
    signalQuietly(host.pid, "SIGTERM");
    const deadline = performance.now() + options.graceMs + HOST_STOP_MARGIN_MS;
    while (isSameLiveProcess(host) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, HOST_POLL_MS));
    if (isSameLiveProcess(host)) signalQuietly(host.pid, "SIGKILL");
  }
  // What a host killed hard (or dead before) left behind.
  await killSpawnFromPidFile(files.agentPidFile, options.graceMs);
  await killSpawnFromPidFile(files.verifyPidFile, options.graceMs);
  const after = await readExistingWorkerFile(paths, id);
  if (ENDED_WORKER_STATUSES.has(after.status)) return { worker: after, wasRunning: true };
  const killed: WorkerFile = {
    ...after,
    status: "killed",
    endedAt: new Date().toISOString(),
    reason: options.reason ?? "killed (its host was gone or did not record it)",
  };
  await writeWorkerFile(paths, killed);
  return { worker: killed, wasRunning: true };
}

/**
 * Writes a tell for a worker (run id `pulse`, the worker as its task). A headless agent call
 * cannot be told anything mid-call: the worker's host gives it the tell in a follow-up call of
 * the same session once the current one ends (see worker-host.ts).
 */
export async function writeWorkerTell(
  paths: BosunPaths,
  workerId: string,
  text: string,
  source: string,
): Promise<Tell> {
  await readExistingWorkerFile(paths, workerId);
  const tell: Tell = {
    version: 1,
    id: createTellId(PULSE_ASK_RUN_ID),
    runId: PULSE_ASK_RUN_ID,
    taskId: workerId,
    text: text.trim(),
    source,
    createdAt: new Date().toISOString(),
  };
  await writeTell(paths, tell);
  return tell;
}

/** This bosun as a command: Node, its flags (a tsx loader in dev), the entry script. */
function getOwnArgv(): string[] {
  const entry = process.argv[1];
  if (entry === undefined)
    throw new StateError("Cannot tell how this bosun was started (no script in process.argv).");
  return [process.execPath, ...process.execArgv, entry];
}

async function hasCommit(dir: string): Promise<boolean> {
  try {
    await getHead(dir);
    return true;
  } catch {
    // Not a repository, or one without a commit: nothing to branch a worktree from.
    return false;
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: gone already, which is what was wanted.
  }
}

/** The tells waiting for this worker, oldest first. */
export async function readWorkerTells(paths: BosunPaths, workerId: string): Promise<Tell[]> {
  const { pending } = await readTells(paths, PULSE_ASK_RUN_ID);
  return pending.filter((tell) => tell.taskId === workerId);
}

/**
 * The tells waiting for a worker, taken: each is moved under `tells/delivered/` as it is handed
 * over, so the host's follow-up never gives it again. What a worker runs (`bosun _ told`) to
 * read its messages mid-session.
 */
export async function takeWorkerTells(paths: BosunPaths, workerId: string): Promise<Tell[]> {
  await readExistingWorkerFile(paths, workerId);
  const tells = await readWorkerTells(paths, workerId);
  for (const tell of tells) await markTellDelivered(paths, tell.id);
  return tells;
}
