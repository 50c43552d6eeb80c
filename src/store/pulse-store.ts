/**
 * The pulse's own records under `.bosun/pulse/`: its state between beats, each decision's
 * write-ahead record, the latest sensor readings and `journal.md`, one line per move. Every
 * write is atomic (or an append of whole lines), so a daemon killed at any moment leaves files a
 * human can read and the next beat can trust.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir } from "node:fs/promises";
import { z } from "zod";
import { getErrorMessage, isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";
import { readJson, writeJsonAtomic } from "./json-file.js";
import type { BosunPaths } from "./paths.js";
import { SensorReadingSchema, type SensorReading } from "./schema/pulse.js";
import {
  PulseDecisionRecordSchema,
  PulseStateSchema,
  createPulseState,
  type PulseDecisionRecord,
  type PulseState,
} from "./schema/pulse-record.js";

/** The loop's memory; a fresh one when the loop has never beaten. */
export async function readPulseState(paths: BosunPaths): Promise<PulseState> {
  return (await readJson(paths.pulse.stateFile, PulseStateSchema)) ?? createPulseState();
}

/** Writes the loop's memory. */
export async function writePulseState(paths: BosunPaths, state: PulseState): Promise<void> {
  await writeJsonAtomic(paths.pulse.stateFile, PulseStateSchema, state);
}

const ReadingsFileSchema = z.object({
  version: z.literal(1),
  readings: z.array(SensorReadingSchema),
});

/** The last beat's sensor readings ([] before the first). */
export async function readLastReadings(paths: BosunPaths): Promise<SensorReading[]> {
  return (await readJson(paths.pulse.readingsFile, ReadingsFileSchema))?.readings ?? [];
}

/** Keeps this beat's readings, for the next beat (fresh ones are not re-run) and for status. */
export async function writeLastReadings(
  paths: BosunPaths,
  readings: readonly SensorReading[],
): Promise<void> {
  await writeJsonAtomic(paths.pulse.readingsFile, ReadingsFileSchema, {
    version: 1,
    readings: [...readings],
  });
}

/** A decision id such as `D-20261203-134501-ab12`: sorts by time. */
export function createDecisionId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `D-${stamp}-${randomBytes(2).toString("hex")}`;
}

/** Writes a decision's record (before each side effect it describes). */
export async function writeDecisionRecord(
  paths: BosunPaths,
  record: PulseDecisionRecord,
): Promise<void> {
  await writeJsonAtomic(paths.pulse.decisionFile(record.id), PulseDecisionRecordSchema, record);
}

/** One decision's record, or null when there is none by that id. */
export async function readDecisionRecord(
  paths: BosunPaths,
  decisionId: string,
): Promise<PulseDecisionRecord | null> {
  return readJson(paths.pulse.decisionFile(decisionId), PulseDecisionRecordSchema);
}

/** Every decision's id, oldest first. */
export async function listDecisionIds(paths: BosunPaths): Promise<string[]> {
  try {
    return (await readdir(paths.pulse.decisionsDir))
      .filter((name) => name.startsWith("D-") && name.endsWith(".json"))
      .map((name) => name.slice(0, -".json".length))
      .sort();
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", paths.pulse.decisionsDir, error);
  }
}

/**
 * Decisions with a move not yet settled (awaiting a human, approved but not run, or started and
 * never finished), oldest first. Only the newest `scanLimit` are read: settled ones stay settled,
 * and a loop's age must not make each beat slower.
 */
export async function listOpenDecisions(
  paths: BosunPaths,
  options: { scanLimit?: number; onDamaged?: (message: string) => void } = {},
): Promise<PulseDecisionRecord[]> {
  const ids = (await listDecisionIds(paths)).slice(-(options.scanLimit ?? 50));
  // A damaged file (saved half-way by hand) is said, not fatal: the others still settle and run.
  const records = await Promise.all(
    ids.map((id) =>
      readDecisionRecord(paths, id).catch((error: unknown) => {
        options.onDamaged?.(
          `${getErrorMessage(error)} — fix or move the file away; the pulse skips it until then`,
        );
        return null;
      }),
    ),
  );
  return records.filter(
    (record): record is PulseDecisionRecord =>
      record !== null &&
      record.actions.some((action) =>
        ["pending", "awaiting", "approved", "started"].includes(action.status),
      ),
  );
}

/** Appends lines to journal.md, each prefixed with the time (one line per move). */
export async function appendPulseJournal(
  paths: BosunPaths,
  lines: readonly string[],
  now: Date = new Date(),
): Promise<void> {
  const stamp = now.toISOString().slice(0, 19).replace("T", " ");
  // One physical line each: a reason with a newline in it must not break the one-line rule.
  const text = lines.map((line) => `- ${stamp}Z ${line.replace(/\s*\n\s*/g, " ")}\n`).join("");
  const file = paths.pulse.journalFile;
  let handle;
  try {
    await mkdir(paths.pulse.dir, { recursive: true });
    handle = await open(file, "a+");
  } catch (error) {
    throw isNodeError(error) ? createStateFsError("append to", file, error) : error;
  }
  try {
    // A human may have saved the file without a final newline: start on a line of our own
    // rather than cut theirs (a JSONL journal would repair the tail; this one is prose).
    const { size } = await handle.stat();
    const last = Buffer.alloc(1);
    if (size > 0) await handle.read(last, 0, 1, size - 1);
    await handle.write(size > 0 && last[0] !== 0x0a ? `\n${text}` : text);
    await handle.datasync();
  } catch (error) {
    throw isNodeError(error) ? createStateFsError("append to", file, error) : error;
  } finally {
    await handle.close();
  }
}

/** Bytes read from the end of journal.md for its tail: the tail's cost never grows with age. */
const JOURNAL_TAIL_BYTES = 16 * 1024;

/** The journal's last `count` lines ([] when there is none). */
export async function readPulseJournalTail(paths: BosunPaths, count: number): Promise<string[]> {
  const file = paths.pulse.journalFile;
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", file, error);
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - JOURNAL_TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString("utf8").split("\n");
    // The first line may be cut by the window; the last is empty after the final newline.
    if (start > 0) lines.shift();
    return lines.filter((line) => line.trim() !== "").slice(-count);
  } finally {
    await handle.close();
  }
}
