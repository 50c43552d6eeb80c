/**
 * Append-only JSONL histories (events.jsonl, costs.jsonl): one record per LF-terminated line,
 * synced to disk before the append returns. A torn last line (crash mid-append) is ignored on
 * read and cut off before the next append; any other bad line is an error naming file:line.
 */
import { open, readFile, stat, truncate, type FileHandle } from "node:fs/promises";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { StateError, isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";
import { formatIssues } from "./json-file.js";

/** Result of reading a JSONL file. */
export interface JsonlRead<T> {
  /** The valid records in order. */
  records: T[];
  /** The 1-based line each record was read from (blank lines are skipped, so they may differ). */
  lineNumbers: number[];
  /** Byte length of the valid prefix; anything after it is a torn last line. */
  validBytes: number;
  /** True when the file ended in a partial line that was ignored. */
  hasTornTail: boolean;
}

/** Reads and validates every line; a missing file reads as empty. */
export async function readJsonl<S extends z.ZodType>(
  file: string,
  schema: S,
): Promise<JsonlRead<z.infer<S>>> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") {
      return { records: [], lineNumbers: [], validBytes: 0, hasTornTail: false };
    }
    throw createStateFsError("read", file, error);
  }
  return parseJsonlBuffer(buffer, schema, file);
}

/** Parses JSONL bytes (exported for `log --follow`, which parses appended chunks). */
export function parseJsonlBuffer<S extends z.ZodType>(
  buffer: Buffer,
  schema: S,
  file: string,
  firstLineNumber = 1,
): JsonlRead<z.infer<S>> {
  const records: z.infer<S>[] = [];
  const lineNumbers: number[] = [];
  let offset = 0;
  let lineNumber = firstLineNumber;
  while (offset < buffer.length) {
    const newline = buffer.indexOf(0x0a, offset);
    if (newline === -1) {
      // No terminating LF: a crash cut this append short. The records before it stand.
      assertTornRecord(buffer.subarray(offset), file, lineNumber);
      return { records, lineNumbers, validBytes: offset, hasTornTail: true };
    }
    const line = buffer.subarray(offset, newline).toString("utf8");
    if (line.trim() !== "") {
      records.push(parseLine(line, schema, file, lineNumber));
      lineNumbers.push(lineNumber);
    }
    offset = newline + 1;
    lineNumber += 1;
  }
  return { records, lineNumbers, validBytes: offset, hasTornTail: false };
}

/**
 * A crash mid-append leaves the start of a record (every record is a JSON object), or, after a
 * power loss, the file's new length filled with NUL bytes: a tail that is neither is damage,
 * not a torn append, and must not be cut off unseen.
 */
function assertTornRecord(tail: Buffer, file: string, lineNumber: number): void {
  let end = tail.length;
  while (end > 0 && tail[end - 1] === 0) end -= 1;
  const text = tail.subarray(0, end).toString("utf8").trimStart();
  if (text === "" || text.startsWith("{")) return;
  throw new StateError(
    `Invalid ${file}:${lineNumber}: not valid JSON (and not a record cut short by a crash). Fix or remove that line by hand; bosun never drops history silently.`,
  );
}

function parseLine<S extends z.ZodType>(
  line: string,
  schema: S,
  file: string,
  lineNumber: number,
): z.infer<S> {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    throw new StateError(
      `Invalid ${file}:${lineNumber}: not valid JSON. Fix or remove that line by hand; bosun never drops history silently.`,
    );
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new StateError(`Invalid ${file}:${lineNumber}: ${formatIssues(result.error.issues)}.`);
  }
  return result.data;
}

/** Cuts a torn last line off so the next append starts on a fresh line. */
export async function repairJsonlTail(file: string): Promise<boolean> {
  try {
    const { size } = await stat(file);
    if (size === 0) return false;
    const buffer = await readFile(file);
    const lastNewline = buffer.lastIndexOf(0x0a);
    if (lastNewline === buffer.length - 1) return false;
    const lineNumber = countLines(buffer.subarray(0, lastNewline + 1)) + 1;
    assertTornRecord(buffer.subarray(lastNewline + 1), file, lineNumber);
    await truncate(file, lastNewline + 1);
    return true;
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return false;
    throw isNodeError(error) ? createStateFsError("write", file, error) : error;
  }
}

function countLines(buffer: Buffer): number {
  let count = 0;
  for (let index = buffer.indexOf(0x0a); index !== -1; index = buffer.indexOf(0x0a, index + 1))
    count += 1;
  return count;
}

/** A file kept open for appends, for a writer that appends to it again and again. */
export interface LineAppender {
  /** Appends lines to `file` in one write and one sync (opening it at the first call). */
  append(file: string, lines: readonly string[]): Promise<void>;
  /** Closes the file, if open. */
  close(): Promise<void>;
}

/**
 * `appendLines` for a file's one writer: the file stays open between appends, so each is a
 * write and a sync instead of a mkdir, open, tail check and close. Only for a file the caller
 * owns (a run's journal, under the run lock) whose torn tail it repaired before the first append:
 * nobody else can have left a partial line since.
 */
export function createLineAppender(): LineAppender {
  let open_: { file: string; handle: Promise<FileHandle> } | null = null;
  const openFile = async (file: string): Promise<FileHandle> => {
    await mkdir(path.dirname(file), { recursive: true });
    return open(file, "a");
  };
  return {
    append: async (file, lines) => {
      if (open_ !== null && open_.file !== file) {
        const previous = open_.handle;
        open_ = null;
        await (await previous).close();
      }
      open_ ??= { file, handle: openFile(file) };
      try {
        const handle = await open_.handle.catch((error: unknown) => {
          // Not kept: a later append tries to open the file again.
          open_ = null;
          throw error;
        });
        // writeFile writes until every byte is down (a bare write may stop short on a full disk).
        await handle.writeFile(lines.map((line) => `${line}\n`).join(""));
        await handle.datasync();
      } catch (error) {
        throw isNodeError(error) ? createStateFsError("append to", file, error) : error;
      }
    },
    close: async () => {
      const current = open_;
      open_ = null;
      if (current !== null) await (await current.handle.catch(() => null))?.close();
    },
  };
}

/** Appends one validated record and syncs it to disk. */
export async function appendJsonl<S extends z.ZodType>(
  file: string,
  schema: S,
  record: z.infer<S>,
): Promise<void> {
  const result = schema.safeParse(record);
  if (!result.success) {
    throw new StateError(`Refusing to append to ${file}: ${formatIssues(result.error.issues)}.`);
  }
  await appendLines(file, [JSON.stringify(result.data)]);
}

/** Appends pre-serialized lines in one write and syncs them. */
export async function appendLines(file: string, lines: readonly string[]): Promise<void> {
  let handle: FileHandle;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    handle = await open(file, "a+");
  } catch (error) {
    throw isNodeError(error) ? createStateFsError("append to", file, error) : error;
  }
  try {
    // A crash mid-append left a partial last line: cut it, or this append would glue onto it.
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await repairJsonlTail(file);
    }
    await handle.write(lines.map((line) => `${line}\n`).join(""));
    await handle.datasync();
  } catch (error) {
    throw isNodeError(error) ? createStateFsError("append to", file, error) : error;
  } finally {
    await handle.close();
  }
}
