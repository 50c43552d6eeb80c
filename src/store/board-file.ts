/**
 * board.json on disk: the atomic write the run's writer makes (throttled, like run.json), and the
 * read `bosun board` makes, which trusts the file only while it is current with the journal.
 */
import { stat } from "node:fs/promises";
import { isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";
import { readJson, readTextOrNull, writeJsonAtomic } from "./json-file.js";
import { readJournalLastSeq } from "./journal-tail.js";
import type { BosunPaths } from "./paths.js";
import { readLiveLockHolder } from "./run-lock.js";
import { BoardSchema, type Board } from "./schema/board.js";

/**
 * How far behind the journal a board written this recently may be and still be shown, while a
 * live writer holds the run: it rewrites the board at least once a second as events arrive, so a
 * board this young is at most a throttle interval behind, not abandoned.
 */
export const BOARD_LAG_MS = 3_000;

/** Validates and writes a run's board.json atomically. */
export async function writeBoard(paths: BosunPaths, board: Board): Promise<void> {
  await writeJsonAtomic(paths.boardFile(board.runId), BoardSchema, board);
}

/** Reads a run's board.json as it is (current or not); null when there is none. */
export async function readBoard(paths: BosunPaths, runId: string): Promise<Board | null> {
  return readJson(paths.boardFile(runId), BoardSchema);
}

/** What `readCurrentBoard` may be told beyond the run. */
export interface ReadCurrentBoardOptions {
  /** The clock, in ms (default `Date.now`). */
  nowMs?: number;
}

/**
 * A run's board.json when it can be shown as the run's board: it covers every event of
 * events.jsonl (`eventCount` is the journal's last `seq`, read from the file's tail, so the
 * journal itself is never parsed), or it is at most `BOARD_LAG_MS` old and a live process is
 * writing the run. Null when it is missing, behind, or not a board this bosun can read (damaged,
 * or another version's): the caller rebuilds it from the journal, the truth, so nothing is lost.
 */
export async function readCurrentBoard(
  paths: BosunPaths,
  runId: string,
  options: ReadCurrentBoardOptions = {},
): Promise<Board | null> {
  const file = paths.boardFile(runId);
  const text = await readTextOrNull(file);
  if (text === null) return null;
  const board = parseBoardText(text);
  if (board === null) return null;
  const lastSeq = await readJournalLastSeq(paths.eventsFile(runId));
  if (lastSeq === undefined || board.eventCount > lastSeq) return null;
  if (board.eventCount === lastSeq) return board;
  const ageMs = (options.nowMs ?? Date.now()) - (await readMtimeMs(file));
  if (ageMs > BOARD_LAG_MS) return null;
  return (await readLiveLockHolder(paths.lockFile(runId))) === undefined ? null : board;
}

/** The board in `text`, or null when it is not valid JSON of a version 1 board. */
function parseBoardText(text: string): Board | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON (a damaged snapshot): the caller rebuilds the board from the journal.
    return null;
  }
  const result = BoardSchema.safeParse(data);
  return result.success ? result.data : null;
}

async function readMtimeMs(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch (error) {
    // Removed since it was read (a writer's rename does not do that): treat it as ancient.
    if (isNodeError(error) && error.code === "ENOENT") return Number.NEGATIVE_INFINITY;
    throw createStateFsError("read", file, error);
  }
}
