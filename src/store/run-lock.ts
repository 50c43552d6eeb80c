/**
 * Pid locks: a file naming the one live process that may write something (a run, a working
 * tree). The file is written in full under a temporary name and hard-linked into place, so no
 * process ever sees a lock without its holder (link fails atomically if the lock exists). A lock
 * whose holder is dead, or whose pid now names another process, is stale and is taken over.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { StateError, isNodeError } from "../errors.js";
import {
  formatProcessIdentity,
  isSameLiveProcess,
  parseProcessIdentity,
  readOwnIdentity,
  type ProcessIdentity,
} from "../proc/liveness.js";
import { createStateFsError } from "./fs-errors.js";

/** Lock files this process holds, so a second writer in the same process is refused too. */
const heldByUs = new Set<string>();

/** Links tried before giving up when other processes keep taking the lock over as well. */
const MAX_ATTEMPTS = 5;

/** A held lock; call `release` when the writer is done. */
export interface RunLock {
  /** The lock file. */
  readonly file: string;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

/** Where a takeover of a stale lock has got to, for `PidLockSpec.onTakeover`. */
export type TakeoverStep = "stale-found" | "moved-aside";

/** What a kind of pid lock writes and how it reads its holder back. */
export interface PidLockSpec<H extends ProcessIdentity> {
  /** The file's full text, naming this process as the holder. */
  text: string;
  /** The holder a file's text names; undefined for text that names none (a damaged lock). */
  parseHolder(text: string): H | undefined;
  /**
   * Test seam, awaited at each step of taking over a stale lock: lets a test run a second
   * acquirer at exactly that point instead of hoping a timing race shows it.
   */
  onTakeover?: ((step: TakeoverStep) => Promise<void>) | undefined;
}

/** The outcome of trying to take a pid lock. */
export type LockAttempt<H> =
  { type: "acquired"; lock: RunLock } | { type: "held"; holder: H; file: string };

/**
 * Takes the lock in `file`, or reports the live process holding it. A stale lock (dead holder,
 * reused pid, damaged text) is taken over.
 */
export async function tryAcquirePidLock<H extends ProcessIdentity>(
  file: string,
  spec: PidLockSpec<H>,
): Promise<LockAttempt<H>> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, spec.text);
  } catch (error) {
    throw isNodeError(error) ? createStateFsError("create", file, error) : error;
  }
  try {
    return await linkLock(file, tmp, spec);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function linkLock<H extends ProcessIdentity>(
  file: string,
  tmp: string,
  spec: PidLockSpec<H>,
): Promise<LockAttempt<H>> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    try {
      await link(tmp, file);
      heldByUs.add(file);
      return { type: "acquired", lock: { file, release: () => releaseIfOurs(file, spec.text) } };
    } catch (error) {
      if (!isNodeError(error)) throw error;
      if (error.code !== "EEXIST") throw createStateFsError("create", file, error);
    }
    const text = await readLockText(file);
    // Gone between the link and the read: its holder released it; link again.
    if (text === undefined) continue;
    const holder = spec.parseHolder(text);
    if (holder !== undefined && isLiveHolder(file, holder)) return { type: "held", holder, file };
    await spec.onTakeover?.("stale-found");
    await removeStaleLock(file, spec);
  }
  throw new StateError(
    `Could not take the lock ${file}: other processes kept taking it at the same time. Try again.`,
  );
}

/**
 * Removes a lock judged stale, without ever removing a live one. Deleting by name is not enough:
 * between the judgement and the delete, another process may have taken the stale lock over and
 * linked its own, and deleting that would let two processes hold the lock. So the file is moved
 * aside under a unique name first, and only removed if what was moved is indeed stale; a live
 * holder's lock is put back at once. (If a third process links its own lock in the moment the
 * file is aside, two processes hold it; that is said, loudly, instead of passed over.)
 */
async function removeStaleLock<H extends ProcessIdentity>(
  file: string,
  spec: PidLockSpec<H>,
): Promise<void> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.stale`;
  try {
    await rename(file, aside);
  } catch (error) {
    // Already gone: someone else removed the stale lock; try linking ours again.
    if (isNodeError(error) && error.code === "ENOENT") return;
    throw createStateFsError("write", file, error);
  }
  try {
    await spec.onTakeover?.("moved-aside");
    const text = await readLockText(aside);
    const holder = text === undefined ? undefined : spec.parseHolder(text);
    if (holder === undefined || !isLiveHolder(file, holder)) return;
    try {
      await link(aside, file);
    } catch (error) {
      if (!isNodeError(error) || error.code !== "EEXIST")
        throw createStateFsError("write", file, error);
      const other = spec.parseHolder((await readLockText(file)) ?? "");
      throw new StateError(
        `The lock ${file} was taken by two processes at once (${formatHolders(holder, other)}) while a stale lock was being replaced. Stop one of them, then try again.`,
      );
    }
  } finally {
    await rm(aside, { force: true });
  }
}

function formatHolders(first: ProcessIdentity, second: ProcessIdentity | undefined): string {
  return `process ${first.pid} and ${second === undefined ? "another" : `process ${second.pid}`}`;
}

/**
 * True when the holder still holds the lock. Our own pid counts only if this process took the
 * lock: otherwise it is a dead process's lock whose pid we were given (containers restart pids
 * at 1), or a lock this process released in another module instance.
 */
function isLiveHolder(file: string, holder: ProcessIdentity): boolean {
  return holder.pid === process.pid ? heldByUs.has(file) : isSameLiveProcess(holder);
}

/** The live holder of a lock, or undefined when the lock is absent or stale. */
export async function readLivePidLockHolder<H extends ProcessIdentity>(
  file: string,
  parseHolder: (text: string) => H | undefined,
): Promise<H | undefined> {
  const text = await readLockText(file);
  const holder = text === undefined ? undefined : parseHolder(text);
  return holder !== undefined && isLiveHolder(file, holder) ? holder : undefined;
}

async function readLockText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return undefined;
    throw createStateFsError("read", file, error);
  }
}

async function releaseIfOurs(file: string, text: string): Promise<void> {
  heldByUs.delete(file);
  // Byte for byte what we linked: a lock taken over since (it looked stale) is someone else's.
  if ((await readLockText(file)) === text) await rm(file, { force: true });
}

/** The options of a run lock. */
export interface RunLockOptions {
  /** See `PidLockSpec.onTakeover`. */
  onTakeover?: PidLockSpec<ProcessIdentity>["onTakeover"];
}

/**
 * One writer per run: `runs/<id>/lock` holds `<pid> <start time>` (older bosuns wrote the pid
 * alone; that is still read). Takes the lock or throws a StateError saying who holds it.
 */
export async function acquireRunLock(
  file: string,
  what: string,
  options: RunLockOptions = {},
): Promise<RunLock> {
  const attempt = await tryAcquireRunLock(file, options);
  if (attempt.type === "acquired") return attempt.lock;
  throw new StateError(
    `${what} is locked by process ${attempt.holder.pid} (${file}). Wait for it to finish or stop it first.`,
  );
}

/** Takes a run lock, or reports the live process holding it. */
export function tryAcquireRunLock(
  file: string,
  options: RunLockOptions = {},
): Promise<LockAttempt<ProcessIdentity>> {
  return tryAcquirePidLock(file, {
    text: `${formatProcessIdentity(readOwnIdentity())}\n`,
    parseHolder: parseProcessIdentity,
    onTakeover: options.onTakeover,
  });
}

/** The pid holding a run lock, or undefined when the lock is absent or stale. */
export async function readLiveLockHolder(file: string): Promise<number | undefined> {
  return (await readLivePidLockHolder(file, parseProcessIdentity))?.pid;
}
