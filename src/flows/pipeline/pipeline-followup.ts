/**
 * The follow-up run a parent journaled as started (`followup.started`), as a crash may have left
 * it: not made yet, made in part (its folder, without its first event), or made with its first
 * event on disk but run.json not yet written.
 */
import { rm } from "node:fs/promises";
import type { BosunPaths } from "../../store/paths.js";
import { readRun, readRunJournal } from "../../store/run-read.js";
import { RunStore } from "../../store/run-store.js";

/**
 * True when the follow-up `childRunId` exists: its journal holds its first event (its run.json
 * is rewritten from the journal if a crash left none). A folder without that event is what a
 * crash during its creation left — its request and carried ledger, both made again — and is
 * removed, so the run can be created under the id the parent journaled.
 */
export async function readFollowupCreated(paths: BosunPaths, childRunId: string): Promise<boolean> {
  const { records } = await readRunJournal(paths.eventsFile(childRunId));
  if (records.length === 0) {
    // Only this run's driver creates its follow-up, and it holds the working tree's lock.
    await rm(paths.runDir(childRunId), { recursive: true, force: true });
    return false;
  }
  if ((await readRun(paths, childRunId)) === null)
    await (await RunStore.open(paths, childRunId)).close();
  return true;
}
