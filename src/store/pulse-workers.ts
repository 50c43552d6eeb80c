/**
 * A pulse worker's folder, `.bosun/pulse/workers/<id>/`: its files by name, and worker.json read
 * and written through its schema.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { StateError, isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";
import { readJson, writeJsonAtomic } from "./json-file.js";
import { isSafeId, type BosunPaths } from "./paths.js";
import { WorkerFileSchema, type WorkerFile } from "./schema/pulse-worker.js";

/** The files of one worker's folder. */
export interface WorkerFiles {
  /** The folder. */
  dir: string;
  /** `worker.json`. */
  workerFile: string;
  /** `host.pid`: the host process (pid and start time), written by whoever spawned it. */
  hostPidFile: string;
  /** `host.log`: what the host process printed. */
  hostLogFile: string;
  /** `agent.pid`: the agent's group while it runs (dispatch writes it). */
  agentPidFile: string;
  /** `agent.log`: the agent's raw stdout, every call appended. */
  agentLogFile: string;
  /** `verify.log`: the post-condition's output. */
  verifyLogFile: string;
  /** `verify.pid`: the post-condition's group while it runs. */
  verifyPidFile: string;
}

/** The files of worker `id`'s folder. */
export function getWorkerFiles(paths: BosunPaths, id: string): WorkerFiles {
  const dir = paths.pulse.workerDir(id);
  return {
    dir,
    workerFile: path.join(dir, "worker.json"),
    hostPidFile: path.join(dir, "host.pid"),
    hostLogFile: path.join(dir, "host.log"),
    agentPidFile: path.join(dir, "agent.pid"),
    agentLogFile: path.join(dir, "agent.log"),
    verifyLogFile: path.join(dir, "verify.log"),
    verifyPidFile: path.join(dir, "verify.pid"),
  };
}

/** Reads worker `id`'s worker.json; null when there is no such worker. */
export function readWorkerFile(paths: BosunPaths, id: string): Promise<WorkerFile | null> {
  return readJson(getWorkerFiles(paths, id).workerFile, WorkerFileSchema);
}

/** Reads worker `id`'s worker.json; a StateError saying how to list workers when it is missing. */
export async function readExistingWorkerFile(paths: BosunPaths, id: string): Promise<WorkerFile> {
  const worker = await readWorkerFile(paths, id);
  if (worker === null)
    throw new StateError(
      `No pulse worker "${id}" in ${paths.pulse.workersDir}. List them with "bosun _ worker list".`,
    );
  return worker;
}

/** Writes a worker's worker.json (validated, atomic). */
export function writeWorkerFile(paths: BosunPaths, worker: WorkerFile): Promise<void> {
  return writeJsonAtomic(getWorkerFiles(paths, worker.id).workerFile, WorkerFileSchema, worker);
}

/** Every worker's worker.json, by id; folders without one (being made) are skipped. */
export async function readWorkerFiles(paths: BosunPaths): Promise<WorkerFile[]> {
  let names: string[];
  try {
    names = await readdir(paths.pulse.workersDir);
  } catch (error) {
    // No folder yet: no worker was ever started.
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", paths.pulse.workersDir, error);
  }
  const workers = await Promise.all(
    names
      .filter(isSafeId)
      .sort()
      .map((name) => readWorkerFile(paths, name)),
  );
  return workers.filter((worker) => worker !== null);
}
