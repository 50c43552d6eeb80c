/**
 * Read-only access to runs, without taking the writer's lock: events for log and diff, the runs
 * holding a lock; finding a run and reading its snapshot are in run-lookup.ts (re-exported here),
 * which `bosun status` loads alone.
 */
import { existsSync } from "node:fs";
import { StateError } from "../errors.js";
import { readJsonl, type JsonlRead } from "./jsonl.js";
import type { BosunPaths } from "./paths.js";
import { listRunIds } from "./run-lookup.js";
import { readLiveLockHolder } from "./run-lock.js";
import type { RunEvent } from "./schema/events.js";
import { createJournalLineSchema } from "./schema/migrate.js";

export { listRunIds, readRun, resolveRunId } from "./run-lookup.js";

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
