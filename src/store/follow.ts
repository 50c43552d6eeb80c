/**
 * Following a run's journal from any process: the events after a given seq, then each event as
 * it is appended, event-driven (fs.watch), for `bosun log --follow` and later the dashboard's SSE
 * stream, whose `Last-Event-ID` is the journal's `seq`.
 */
import { watch, type FSWatcher } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { createStateFsError, describeFsError, describeWatchError } from "./fs-errors.js";
import { parseJsonlBuffer } from "./jsonl.js";
import type { BosunPaths } from "./paths.js";
import type { RunEvent } from "./schema/events.js";
import { createJournalLineSchema } from "./schema/migrate.js";

/** How to follow a journal. */
export interface FollowRunEventsOptions {
  /**
   * Yield only events whose `seq` is greater (absent or 0: the whole journal). A reconnecting
   * SSE client's `Last-Event-ID` goes here as is: seqs are checked to be 1, 2, 3… in file order,
   * so "after 41" means exactly the events it has not seen.
   */
  afterSeq?: number;
  /** Aborting ends the iteration normally (no error) and closes the watcher at once. */
  signal: AbortSignal;
  /**
   * Ends the iteration once every event written so far is read and the last one passes this
   * (yielded or not: a journal already ended at or before `afterSeq` ends the follow too).
   */
  isStopEvent?: (event: RunEvent) => boolean;
}

/**
 * The events after which a run's writer stops: the run ended, waits for a human, or was paused.
 * More events come only if some process resumes the run, so `bosun log --follow` stops here.
 */
export function isRunStopEvent(event: RunEvent): boolean {
  return event.type === "run.completed" || event.type === "run.paused";
}

/**
 * Most bytes one read takes: a long journal is yielded as it is parsed, not after all of it is
 * in memory. A line longer than this (never written by bosun) doubles it until the line fits.
 */
const READ_CHUNK_BYTES = 1 << 20;

/**
 * Yields the run's journal events with `seq > afterSeq`, then each one appended later, until the
 * signal aborts or a stop event is read. Nothing happens until the first `next()`.
 *
 * - The run directory must exist (a StateError otherwise: the id is wrong or the run was removed).
 *   `events.jsonl` itself may not exist yet: `RunStore.create` writes the directory, the lock and
 *   `request.md` before the first event, and a follower that found the run by its directory can
 *   arrive in between, so it waits for the file.
 * - Only the bytes appended since the last read are read. A torn last line (an append in
 *   progress, or a crash mid-append that the next writer cuts off) is left for a later read.
 * - A journal that is removed, replaced by another file, or shortened below what was already
 *   read is a StateError naming it: the events already yielded may no longer be the run's.
 */
export async function* followRunEvents(
  paths: BosunPaths,
  runId: string,
  options: FollowRunEventsOptions,
): AsyncGenerator<RunEvent, void, undefined> {
  const afterSeq = options.afterSeq ?? 0;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) {
    throw new UsageError(
      `Cannot follow run ${runId} after seq ${String(afterSeq)}: a seq is a whole number ≥ 0 (0 for the whole journal).`,
    );
  }
  const { signal } = options;
  if (signal.aborted) return;
  const tail = createJournalTail(runId, paths.eventsFile(runId));
  // The first read after the watcher starts catches what was appended before it did.
  let hasChanged = true;
  let failure: StateError | undefined;
  let wake: (() => void) | undefined;
  // The run directory, not the file: a directory watch also sees the journal being created,
  // removed or replaced (a watch on the file would follow the old inode and fall silent).
  // A change listener, not fs/promises' watch(): that one (Node 20) drops changes that land
  // while the loop body awaits, and the last events of a run are written in quick succession.
  // The listener only raises a flag, so changes during a read or a yield are never lost.
  const watcher = startWatcher(runId, paths.runDir(runId));
  watcher.on("change", (eventType, filename) => {
    // run.json is rewritten after every event; only the journal's own changes (and any entry
    // appearing, vanishing or being renamed, the run directory included) can matter.
    if (eventType === "change" && filename !== path.basename(tail.file)) return;
    hasChanged = true;
    wake?.();
  });
  watcher.on("error", (error) => {
    failure = new StateError(
      `Stopped following run ${runId}: watching ${paths.runDir(runId)} failed: ${describeFsError(error, paths.runDir(runId))}. Run the command again.`,
      { cause: error },
    );
    wake?.();
  });
  // Close the watcher on abort itself, not when the consumer next calls next(): a consumer
  // busy with an event (or gone) must not keep a watch open.
  const onAbort = (): void => {
    watcher.close();
    wake?.();
  };
  signal.addEventListener("abort", onAbort);
  try {
    let lastEvent: RunEvent | undefined;
    while (!signal.aborted) {
      if (failure !== undefined) throw failure;
      if (!hasChanged) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      hasChanged = false;
      const { events, hasMore } = await readAppended(tail);
      // More bytes were there than one read takes: read on without waiting for a change.
      if (hasMore) hasChanged = true;
      for (const event of events) {
        lastEvent = event;
        if (event.seq <= afterSeq) continue;
        yield event;
        if (signal.aborted) return;
      }
      if (!hasMore && lastEvent !== undefined && options.isStopEvent?.(lastEvent) === true) return;
    }
  } finally {
    watcher.close();
    signal.removeEventListener("abort", onAbort);
  }
}

/** Where a follower is in one journal file. */
interface JournalTail {
  /** The run, for messages. */
  readonly runId: string;
  /** The journal, `events.jsonl`. */
  readonly file: string;
  /** Bytes read and parsed: always the start of a line. */
  offset: number;
  /** 1-based number of the line at `offset`, for error messages. */
  lineNumber: number;
  /** Seq of the last event read (0 before the first). */
  lastSeq: number;
  /** The file first read (device and inode): a different one at the path is a replacement. */
  identity: { dev: number; ino: number } | undefined;
  /** Bytes the next read may take. */
  chunkBytes: number;
  /** Checks (and upgrades, for a version 1 journal) each line, in file order. */
  readonly lineSchema: ReturnType<typeof createJournalLineSchema>;
}

function createJournalTail(runId: string, file: string): JournalTail {
  return {
    runId,
    file,
    offset: 0,
    lineNumber: 1,
    lastSeq: 0,
    identity: undefined,
    chunkBytes: READ_CHUNK_BYTES,
    lineSchema: createJournalLineSchema(),
  };
}

/** Watches the run directory; a missing one is a StateError (`fs.watch` throws synchronously). */
function startWatcher(runId: string, runDir: string): FSWatcher {
  try {
    return watch(runDir);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") throw createRunGoneError(runId, runDir);
    throw new StateError(
      `Cannot follow run ${runId}: cannot watch ${runDir}: ${describeWatchError(error, runDir)}. Free or raise that limit, then run the command again.`,
      { cause: error },
    );
  }
}

/**
 * Reads and parses the bytes appended since `tail.offset`, moving it past the complete lines.
 * `hasMore` says bytes remain beyond this read's limit.
 */
async function readAppended(tail: JournalTail): Promise<{ events: RunEvent[]; hasMore: boolean }> {
  const handle = await openJournal(tail);
  if (handle === undefined) return { events: [], hasMore: false };
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new StateError(
        `Cannot follow run ${tail.runId}: ${tail.file} is not a regular file. Move it aside; a run's journal is a file bosun appends to.`,
      );
    }
    if (tail.identity === undefined) tail.identity = { dev: stats.dev, ino: stats.ino };
    else if (tail.identity.dev !== stats.dev || tail.identity.ino !== stats.ino) {
      throw createJournalChangedError(tail, "was replaced by another file");
    }
    if (stats.size < tail.offset) {
      throw createJournalChangedError(
        tail,
        `shrank to ${stats.size} bytes, below the ${tail.offset} already read`,
      );
    }
    const remainingBytes = stats.size - tail.offset;
    if (remainingBytes === 0) return { events: [], hasMore: false };
    const buffer = Buffer.alloc(Math.min(remainingBytes, tail.chunkBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, tail.offset);
    const chunk = parseJsonlBuffer(
      buffer.subarray(0, bytesRead),
      tail.lineSchema,
      tail.file,
      tail.lineNumber,
    );
    const hasMore = bytesRead < remainingBytes;
    // One line longer than the read: take more next time, or it would never be read whole.
    if (hasMore && chunk.validBytes === 0) tail.chunkBytes *= 2;
    for (const event of chunk.records) checkSeq(tail, event);
    tail.lineNumber += countNewlines(buffer.subarray(0, chunk.validBytes));
    tail.offset += chunk.validBytes;
    return { events: chunk.records, hasMore };
  } finally {
    await handle.close();
  }
}

/** Opens the journal; undefined while it does not exist yet (and its run directory does). */
async function openJournal(tail: JournalTail): Promise<FileHandle | undefined> {
  try {
    return await open(tail.file, "r");
  } catch (error) {
    if (!isNodeError(error) || error.code !== "ENOENT") {
      throw createStateFsError("read", tail.file, error);
    }
    if (tail.identity !== undefined) throw createJournalChangedError(tail, "was removed");
    const runDir = path.dirname(tail.file);
    if (!(await isDirectory(runDir))) throw createRunGoneError(tail.runId, runDir);
    return undefined;
  }
}

/**
 * Seqs must run 1, 2, 3… in file order (RunStore numbers them so): that is what makes
 * "after seq n" exact for a reconnecting reader. A gap or a repeat is damage, said once, here.
 */
function checkSeq(tail: JournalTail, event: RunEvent): void {
  const expected = tail.lastSeq + 1;
  if (event.seq !== expected) {
    throw new StateError(
      `Invalid ${tail.file}: event ${expected} of the journal has seq ${event.seq}. Events are numbered 1, 2, 3… in order; restore the file from a backup or fix the numbering by hand.`,
    );
  }
  tail.lastSeq = event.seq;
}

function createJournalChangedError(tail: JournalTail, what: string): StateError {
  return new StateError(
    `Stopped following run ${tail.runId}: ${tail.file} ${what} after ${tail.lastSeq} event(s) were read. bosun only appends to a journal; find out what changed it, then follow the run again.`,
  );
}

function createRunGoneError(runId: string, runDir: string): StateError {
  return new StateError(
    `Cannot follow run ${runId}: ${runDir} does not exist (the run was removed, or never created). List runs with "bosun runs".`,
  );
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return false;
    throw createStateFsError("read", dir, error);
  }
}

function countNewlines(buffer: Buffer): number {
  let count = 0;
  for (let index = buffer.indexOf(0x0a); index !== -1; index = buffer.indexOf(0x0a, index + 1))
    count += 1;
  return count;
}
