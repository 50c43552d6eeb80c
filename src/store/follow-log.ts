/**
 * Following a log file's tail from any process (an agent's `agent.log` while the agent writes
 * it), event-driven: the last lines already there, then each batch of lines as it is appended.
 * For the live tails of the terminal monitor and the dashboard; the journal has its own follower
 * (follow.ts).
 */
import { open } from "node:fs/promises";
import path from "node:path";
import { isNodeError, type StateError } from "../errors.js";
import { LineSplitter } from "../proc/line-splitter.js";
import { createStateFsError } from "./fs-errors.js";
import { watchDirectory } from "./watch-dir.js";

/** How to follow a log. */
export interface FollowLogOptions {
  /** Ends the iteration (normally) and closes the watcher at once. */
  signal: AbortSignal;
  /** Bytes of what is already in the file to start from (its tail); 64 KiB when absent. */
  tailBytes?: number;
}

/** Default bytes of history read when a follow starts. */
const DEFAULT_TAIL_BYTES = 64 * 1024;

/** Most bytes one read takes, so a log that grew by megabytes is yielded in pieces. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Yields the complete lines of `file` as batches: first those in its last `tailBytes` (a line
 * cut by that start is dropped), then each batch appended later, until the signal aborts. The
 * file may not exist yet (an agent not started); its directory must exist, and is watched, so
 * the file appearing is seen. A file shortened or replaced under it is followed from its start.
 */
export async function* followLogLines(
  file: string,
  options: FollowLogOptions,
): AsyncGenerator<string[], void, undefined> {
  const { signal } = options;
  if (signal.aborted) return;
  const name = path.basename(file);
  let hasChanged = true;
  let failure: StateError | undefined;
  let wake: (() => void) | undefined;
  // The directory may not exist yet: an agent's attempt directory is made as it starts.
  const watcher = watchDirectory(path.dirname(file), {
    onChange: (changed) => {
      if (changed !== undefined && changed !== name) return;
      hasChanged = true;
      wake?.();
    },
    onError: (error) => {
      failure = error;
      wake?.();
    },
  });
  const onAbort = (): void => {
    watcher.close();
    wake?.();
  };
  signal.addEventListener("abort", onAbort);
  let at: { offset: number; ino: number } | undefined;
  let splitter = new LineSplitter();
  try {
    while (!signal.aborted) {
      if (failure !== undefined) throw failure;
      if (!hasChanged) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      hasChanged = false;
      const read = await readFrom(file, at, options.tailBytes ?? DEFAULT_TAIL_BYTES);
      if (read === undefined) continue;
      // A new file (the agent's next attempt, a rotation) or a shorter one: start over.
      if (read.isRestart) splitter = new LineSplitter();
      at = { offset: read.end, ino: read.ino };
      if (read.hasMore) hasChanged = true;
      let lines = splitter.push(read.bytes);
      // A read that starts at the tail may start mid-line: that piece is not a line of the log.
      if (read.isRestart && read.start > 0) lines = lines.slice(1);
      if (lines.length > 0) yield lines;
    }
  } finally {
    watcher.close();
    signal.removeEventListener("abort", onAbort);
  }
}

/** Bytes read from the file, where they start and end, and its inode. */
interface LogRead {
  bytes: Buffer;
  start: number;
  end: number;
  ino: number;
  hasMore: boolean;
  /** True when this read starts a file afresh (the first read, another file, a shorter one). */
  isRestart: boolean;
}

/** Reads on from `at` (or the tail of a file not read yet); undefined while it is missing. */
async function readFrom(
  file: string,
  at: { offset: number; ino: number } | undefined,
  tailBytes: number,
): Promise<LogRead | undefined> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return undefined;
    throw createStateFsError("read", file, error);
  }
  try {
    const stats = await handle.stat();
    const isRestart = at === undefined || at.ino !== stats.ino || stats.size < at.offset;
    const start = isRestart ? Math.max(0, stats.size - tailBytes) : at.offset;
    const length = Math.min(stats.size - start, READ_CHUNK_BYTES);
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, start);
    return {
      bytes: bytes.subarray(0, bytesRead),
      start,
      end: start + bytesRead,
      ino: stats.ino,
      hasMore: start + bytesRead < stats.size,
      isRestart,
    };
  } finally {
    await handle.close();
  }
}
