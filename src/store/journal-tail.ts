/**
 * The journal's length without reading the journal: the `seq` of the last complete line of an
 * events.jsonl, found by reading the file's tail. What tells a snapshot that claims to cover N
 * events (board.json) whether it is current, in O(1) whatever the run's age.
 */
import { open, type FileHandle } from "node:fs/promises";
import { isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";

/** Bytes read from the end first; one event line is far shorter, so one read almost always does. */
const TAIL_BYTES = 64 * 1024;

/**
 * The `seq` of the last complete line of `file`: the number of events in a journal whose `seq`s
 * run 1..N (the readers check that). 0 for a missing or empty file. A torn last line (no LF:
 * a crash mid-append) is not counted, as readers ignore it. `undefined` when the last line is
 * not an event with a `seq`: the file is damaged, and only a full read can say where.
 */
export async function readJournalLastSeq(file: string): Promise<number | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return 0;
    throw createStateFsError("read", file, error);
  }
  try {
    const { size } = await handle.stat();
    for (let tailBytes = TAIL_BYTES; ; tailBytes *= 4) {
      const start = Math.max(0, size - tailBytes);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const last = findLastLine(buffer, start === 0);
      if (last.kind === "more") continue;
      return last.kind === "none" ? 0 : parseSeq(last.text);
    }
  } catch (error) {
    throw isNodeError(error) ? createStateFsError("read", file, error) : error;
  } finally {
    await handle.close();
  }
}

/** The last line of a tail: its text, none in the whole file, or one that needs a longer tail. */
type LastLine = { kind: "line"; text: string } | { kind: "none" } | { kind: "more" };

/**
 * The last complete, non-blank line in `buffer`, the file's last bytes (all of them when
 * `isWholeFile`): "more" when that line may begin before the buffer.
 */
function findLastLine(buffer: Buffer, isWholeFile: boolean): LastLine {
  // Bytes after the last LF are a torn line; a line counts only once its LF is written.
  let lineEnd = buffer.lastIndexOf(0x0a);
  while (lineEnd !== -1) {
    const previous = lineEnd === 0 ? -1 : buffer.lastIndexOf(0x0a, lineEnd - 1);
    if (previous === -1 && !isWholeFile) return { kind: "more" };
    const text = buffer.toString("utf8", previous + 1, lineEnd);
    if (text.trim() !== "") return { kind: "line", text };
    // Readers skip blank lines; so does the count.
    lineEnd = previous;
  }
  return isWholeFile ? { kind: "none" } : { kind: "more" };
}

function parseSeq(line: string): number | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // A damaged line: the caller falls back to a full read, which reports it with file:line.
    return undefined;
  }
  if (typeof value !== "object" || value === null || !("seq" in value)) return undefined;
  const seq = value.seq;
  return typeof seq === "number" && Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}
