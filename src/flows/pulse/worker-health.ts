/**
 * How each pulse worker is doing, for the brain and the surfaces: busy, waiting on a human's
 * answer, stuck (silent too long), dead (its host is gone though the file says it runs), or
 * ended; and the asks whose worker can no longer take the answer (stranded).
 */
import { stat } from "node:fs/promises";
import { isNodeError } from "../../errors.js";
import { isOpen, listAsks } from "../../human/asks.js";
import { isSameLiveProcess, parseProcessIdentity } from "../../proc/liveness.js";
import { readTextOrNull } from "../../store/json-file.js";
import type { BosunPaths } from "../../store/paths.js";
import { getWorkerFiles, readWorkerFiles } from "../../store/pulse-workers.js";
import { PULSE_ASK_RUN_ID, type Ask } from "../../store/schema/asks.js";
import {
  ENDED_WORKER_STATUSES,
  type WorkerFile,
  type WorkerStatus,
} from "../../store/schema/pulse-worker.js";

/**
 * A worker's health. `busy`: alive, output recently (or its post-condition running);
 * `waiting-ask`: alive, an ask of its own is open; `stuck`: alive, silent past the limit;
 * `dead`: its host process is gone while the file says it runs; else how it ended.
 */
export type WorkerHealth = "busy" | "waiting-ask" | "stuck" | "dead" | "done" | "failed" | "killed";

/** What health is judged from, read from disk (see readWorkerObservation). */
export interface WorkerObservation {
  /** worker.json. */
  worker: WorkerFile;
  /** True while its host process (pid and start time from host.pid) lives. */
  isHostAlive: boolean;
  /** When agent.log last grew (its mtime), undefined before any output. */
  lastOutputAtMs: number | undefined;
  /** Open asks this worker made. */
  openAskIds: string[];
}

/** One worker as `listWorkers` reports it. */
export interface WorkerListItem extends WorkerObservation {
  /** Its health now. */
  health: WorkerHealth;
}

/** When a worker counts as stuck. */
export interface WorkerHealthOptions {
  /** Now, ms since the epoch. */
  nowMs: number;
  /** Silence longer than this is stuck (`pulse.workerStuckSec`). */
  stuckMs: number;
}

/**
 * A host spawned this recently may not have its pid file yet (startWorker writes worker.json,
 * then spawns and writes host.pid): until then it counts as alive.
 */
const HOST_START_GRACE_MS = 10_000;

/** The health of one observed worker (pure). */
export function getWorkerHealth(
  observation: WorkerObservation,
  options: WorkerHealthOptions,
): WorkerHealth {
  const { worker } = observation;
  if (isEnded(worker.status)) return endedHealth(worker.status);
  if (!observation.isHostAlive) return "dead";
  if (observation.openAskIds.length > 0) return "waiting-ask";
  // The post-condition's silence is not the agent's: a test suite may print nothing for minutes.
  if (worker.status === "verifying") return "busy";
  const lastSignOfLifeMs = Math.max(
    observation.lastOutputAtMs ?? 0,
    Date.parse(worker.startedAt) || 0,
  );
  return options.nowMs - lastSignOfLifeMs > options.stuckMs ? "stuck" : "busy";
}

/** Every worker with its health, by id. */
export async function listWorkers(
  paths: BosunPaths,
  options: WorkerHealthOptions,
): Promise<WorkerListItem[]> {
  const [workers, asks] = await Promise.all([readWorkerFiles(paths), listWorkerAsks(paths)]);
  return Promise.all(
    workers.map(async (worker) => {
      const observation = await readWorkerObservation(paths, worker, asks, options.nowMs);
      return { ...observation, health: getWorkerHealth(observation, options) };
    }),
  );
}

/** An open ask whose worker can no longer take the answer. */
export interface StrandedAsk {
  /** The ask. */
  ask: Ask;
  /** The worker that made it. */
  workerId: string;
  /** That worker's health (dead or ended), or "missing" when its folder is gone. */
  workerHealth: WorkerHealth | "missing";
}

/**
 * Open asks made by a worker that is dead, ended or gone: nobody waits for their answer any
 * more, so the brain (or a human) must decide what becomes of them. `workersRead`: the workers
 * as `listWorkers` just read them, to spare a second read.
 */
export async function listStrandedAsks(
  paths: BosunPaths,
  options: WorkerHealthOptions,
  workersRead?: readonly WorkerListItem[],
): Promise<StrandedAsk[]> {
  const [workers, asks] = await Promise.all([
    workersRead ?? listWorkers(paths, options),
    listWorkerAsks(paths),
  ]);
  const healthById = new Map(workers.map((item) => [item.worker.id, item.health]));
  const stranded: StrandedAsk[] = [];
  for (const ask of asks) {
    if (ask.workerId === undefined) continue;
    const health = healthById.get(ask.workerId);
    if (health === undefined || !isAlive(health))
      stranded.push({ ask, workerId: ask.workerId, workerHealth: health ?? "missing" });
  }
  return stranded;
}

/** True for a health whose worker may still take an answer. */
export function isAlive(health: WorkerHealth): boolean {
  return health === "busy" || health === "waiting-ask" || health === "stuck";
}

/** Open asks of the pulse's workers, oldest first. */
async function listWorkerAsks(paths: BosunPaths): Promise<Ask[]> {
  const open = await listAsks(paths, true);
  return open
    .filter((item) => isOpen(item) && item.ask.runId === PULSE_ASK_RUN_ID)
    .map((item) => item.ask)
    .filter((ask) => ask.workerId !== undefined);
}

async function readWorkerObservation(
  paths: BosunPaths,
  worker: WorkerFile,
  asks: readonly Ask[],
  nowMs: number,
): Promise<WorkerObservation> {
  const files = getWorkerFiles(paths, worker.id);
  const isEndedWorker = isEnded(worker.status);
  const [isHostAlive, lastOutputAtMs] = await Promise.all([
    isEndedWorker ? false : readIsHostAlive(files.hostPidFile, worker, nowMs),
    readMtimeMs(files.agentLogFile),
  ]);
  return {
    worker,
    isHostAlive,
    lastOutputAtMs,
    openAskIds: asks.filter((ask) => ask.workerId === worker.id).map((ask) => ask.id),
  };
}

/** True while the host named in host.pid runs (or, without the file, just after the start). */
export async function readIsHostAlive(
  hostPidFile: string,
  worker: WorkerFile,
  nowMs: number = Date.now(),
): Promise<boolean> {
  const text = await readTextOrNull(hostPidFile);
  const identity = text === null ? undefined : parseProcessIdentity(text);
  if (identity === undefined)
    return (
      worker.status === "starting" && nowMs - Date.parse(worker.startedAt) < HOST_START_GRACE_MS
    );
  return isSameLiveProcess(identity);
}

async function readMtimeMs(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch (error) {
    // No output yet.
    if (isNodeError(error) && error.code === "ENOENT") return undefined;
    throw error;
  }
}

function isEnded(status: WorkerStatus): boolean {
  return ENDED_WORKER_STATUSES.has(status);
}

function endedHealth(status: WorkerStatus): WorkerHealth {
  return status === "done" ? "done" : status === "killed" ? "killed" : "failed";
}
