/**
 * One writer per run: a lock file holding the writer's pid. A lock left by a dead process is
 * taken over; a lock held by a live one is refused with a message naming the pid. The file is
 * written in full under a temporary name and then hard-linked into place, so no process ever
 * sees a lock file without its pid (link fails atomically if the lock exists).
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { StateError, isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";

/** Lock files this process holds, so a second writer in the same process is refused too. */
const heldByUs = new Set<string>();

/** A held lock; call `release` when the writer is done. */
export interface RunLock {
  /** The lock file. */
  readonly file: string;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

/** Takes the lock or throws a StateError saying who holds it. */
export async function acquireRunLock(file: string, what: string): Promise<RunLock> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, `${process.pid}\n`);
  } catch (error) {
    throw isNodeError(error) ? createStateFsError("create", file, error) : error;
  }
  try {
    return await linkLock(file, tmp, what);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function linkLock(file: string, tmp: string, what: string): Promise<RunLock> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await link(tmp, file);
      heldByUs.add(file);
      return { file, release: () => releaseIfOurs(file) };
    } catch (error) {
      if (!isNodeError(error)) throw error;
      if (error.code !== "EEXIST") throw createStateFsError("create", file, error);
    }
    const holder = await readLiveLockHolder(file);
    if (holder !== undefined) {
      throw new StateError(
        `${what} is locked by process ${holder} (${file}). Wait for it to finish or stop it first.`,
      );
    }
    // The holder is dead (or the file is unreadable garbage): the lock is stale, take it over.
    await rm(file, { force: true });
  }
  throw new StateError(`Could not take the lock ${file}: another process keeps taking it.`);
}

/** The pid holding a lock, or undefined when the lock is absent or stale. */
export async function readLiveLockHolder(file: string): Promise<number | undefined> {
  const holder = await readHolderPid(file);
  if (holder === undefined) return undefined;
  // Our own pid in the file is a live lock only if this process took it; otherwise it is a
  // dead process's lock whose pid was reused (common in containers, where pids restart at 1).
  const isLive = holder === process.pid ? heldByUs.has(file) : isProcessAlive(holder);
  return isLive ? holder : undefined;
}

async function readHolderPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, "utf8")).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return undefined;
    throw createStateFsError("read", file, error);
  }
}

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isNodeError(error) && error.code === "EPERM";
  }
}

async function releaseIfOurs(file: string): Promise<void> {
  heldByUs.delete(file);
  if ((await readHolderPid(file)) === process.pid) await rm(file, { force: true });
}
