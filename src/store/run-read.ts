/**
 * Read-only access to runs, without taking the writer's lock: snapshots for status and listings,
 * events for log and diff, and resolving what the user typed to a run id. Kept apart from the
 * writer so `bosun status` loads no more than it needs.
 */
import { existsSync, type Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";
import { readJson } from "./json-file.js";
import { readJsonl, type JsonlRead } from "./jsonl.js";
import { isRunId, type BosunPaths } from "./paths.js";
import { readLiveLockHolder } from "./run-lock.js";
import type { RunEvent } from "./schema/events.js";
import { RunFileReadSchema, createJournalLineSchema } from "./schema/migrate.js";
import type { Run } from "./schema/run.js";

/** Reads a run's snapshot without locking (for status and listings); null if absent. */
export async function readRun(paths: BosunPaths, runId: string): Promise<Run | null> {
  return readJson(paths.runFile(runId), RunFileReadSchema);
}

/**
 * Reads a run's events without locking; a torn last line is ignored, and a journal whose `seq`
 * is not 1..N is refused (see `readRunJournal`).
 */
export async function readRunEvents(paths: BosunPaths, runId: string): Promise<RunEvent[]> {
  return (await readRunJournal(paths.eventsFile(runId))).records;
}

/**
 * Reads and validates an events.jsonl, and checks that its `seq` numbers run 1..N: a gap or a
 * repeat means two writers (or a hand edit) damaged the history, which must be named, never
 * folded into a snapshot as if it were a run.
 */
export async function readRunJournal(file: string): Promise<JsonlRead<RunEvent>> {
  // One line schema per read: it upgrades version 1 lines in file order (schema/migrate.ts).
  const read = await readJsonl(file, createJournalLineSchema());
  assertRunEventSeqs(read.records, file, read.lineNumbers);
  return read;
}

/**
 * Throws a StateError naming `file` and the line of the first event whose `seq` is not its
 * 1-based position. `lineNumbers[i]` is the line event `i` came from (its position if absent).
 */
export function assertRunEventSeqs(
  events: readonly RunEvent[],
  file: string,
  lineNumbers: readonly number[] = [],
): void {
  const index = events.findIndex((event, position) => event.seq !== position + 1);
  const bad = events[index];
  if (bad === undefined) return;
  const line = lineNumbers[index] ?? index + 1;
  const previous = events[index - 1];
  const what =
    previous !== undefined && bad.seq <= previous.seq
      ? `seq ${bad.seq} repeats or goes back (the line before has seq ${previous.seq})`
      : `seq ${bad.seq} where ${index + 1} was expected (events are missing)`;
  throw new StateError(
    `Invalid ${file}:${line}: ${what}; two processes wrote this journal at once, or it was edited. Restore it from a backup or fix that line by hand; bosun never replays a damaged history.`,
  );
}

/**
 * Lists run ids, oldest first (ids sort by time). Only directories named like a run count:
 * another tool's `.cache/` or a stray file under `.bosun/runs/` is not a run.
 */
export async function listRunIds(paths: BosunPaths): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(paths.runsDir, { withFileTypes: true });
  } catch (error) {
    // No runs directory yet means no runs.
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", paths.runsDir, error);
  }
  return entries
    .filter((entry) => entry.isDirectory() && isRunId(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Resolves what the user typed ("latest", an id, a unique prefix or suffix of one) to a run id.
 * A run that is not there, or several that match, is a UsageError (the argument was wrong);
 * no runs at all for "latest" is a StateError.
 */
export async function resolveRunId(paths: BosunPaths, wanted: string | undefined): Promise<string> {
  if (wanted !== undefined && wanted.trim() === "") {
    throw new UsageError(
      `Run id ${JSON.stringify(wanted)} is empty: give a run id, a unique part of one, or "latest". List runs with "bosun runs".`,
    );
  }
  const ids = await listRunIds(paths);
  const latest = ids.at(-1);
  if (wanted === undefined || wanted === "latest") {
    if (latest === undefined)
      throw new StateError(`No runs in ${paths.runsDir}. Start one with "bosun review".`);
    return latest;
  }
  if (ids.includes(wanted)) return wanted;
  const matches = ids.filter((id) => id.startsWith(wanted) || id.endsWith(wanted));
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length > 1) {
    throw new UsageError(
      `Run "${wanted}" is ambiguous: ${matches.slice(0, 5).join(", ")}. Give more of the id.`,
    );
  }
  const next =
    ids.length === 0
      ? 'There are no runs yet; start one with "bosun review".'
      : 'List runs with "bosun runs".';
  throw new UsageError(`Run ${JSON.stringify(wanted)} not found in ${paths.runsDir}. ${next}`);
}

/**
 * The runs of this repository that hold a lock: `pid` is the live process writing the run right
 * now, or undefined when that process died without releasing it (kill -9) — an abandoned run,
 * whose agents may still be running.
 */
export async function listLockedRuns(
  paths: BosunPaths,
): Promise<Array<{ runId: string; pid: number | undefined }>> {
  const locked: Array<{ runId: string; pid: number | undefined }> = [];
  for (const runId of await listRunIds(paths)) {
    const file = paths.lockFile(runId);
    const pid = await readLiveLockHolder(file);
    if (pid !== undefined || existsSync(file)) locked.push({ runId, pid });
  }
  return locked;
}
