/**
 * A run's stop request on disk: written by whoever asks for a stop, read and removed by the
 * process driving the run (`flows/stop-channel.ts`). One file per run, written atomically.
 */
import { rm, stat } from "node:fs/promises";
import { isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";
import { readJson, writeJsonAtomic } from "./json-file.js";
import type { BosunPaths } from "./paths.js";
import { StopRequestSchema, type StopRequest } from "./schema/stop-request.js";

/** Writes (or replaces) the run's stop request. */
export async function writeStopRequest(
  paths: BosunPaths,
  runId: string,
  request: StopRequest,
): Promise<void> {
  await writeJsonAtomic(paths.stopRequestFile(runId), StopRequestSchema, request);
}

/** The run's stop request; null when there is none. A damaged file is a StateError naming it. */
export async function readStopRequest(
  paths: BosunPaths,
  runId: string,
): Promise<StopRequest | null> {
  return readJson(paths.stopRequestFile(runId), StopRequestSchema);
}

/** Removes the run's stop request, if any. */
export async function removeStopRequest(paths: BosunPaths, runId: string): Promise<void> {
  const file = paths.stopRequestFile(runId);
  try {
    await rm(file, { force: true });
  } catch (error) {
    throw createStateFsError("write", file, error);
  }
}

/**
 * When the run's lock was taken (the lock file's mtime, in ms since the epoch: it is written
 * once, as it is taken); undefined when there is no lock.
 */
export async function readLockTakenAtMs(
  paths: BosunPaths,
  runId: string,
): Promise<number | undefined> {
  const file = paths.lockFile(runId);
  try {
    return (await stat(file)).mtimeMs;
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return undefined;
    throw createStateFsError("read", file, error);
  }
}

/** Which holding of a run's lock a request is checked against. */
export interface LockHolding {
  /** The holder's pid. */
  pid: number;
  /** When it took the lock (ms since the epoch). */
  takenAtMs: number;
}

/**
 * True when the request was written for another holding of the lock: another process, or this
 * one before it last took the lock (a stop that came as the run ended, a crash before the
 * request was removed). Such a request must not stop the run now. Times compare at whole ms,
 * the request's precision; a tie counts as this holding's (a stop asked for, not one to drop).
 */
export function isStaleStopRequest(request: StopRequest, holding: LockHolding): boolean {
  if (request.pid !== holding.pid) return true;
  return Date.parse(request.requestedAt) < Math.floor(holding.takenAtMs);
}
