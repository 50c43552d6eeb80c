/**
 * Read-only access to runs, without taking the writer's lock: snapshots for status and listings,
 * events for log and diff, and resolving what the user typed to a run id. Kept apart from the
 * writer so `bosun status` loads no more than it needs.
 */
import { readdir } from "node:fs/promises";
import { StateError } from "../errors.js";
import { readJson } from "./json-file.js";
import { readJsonl } from "./jsonl.js";
import type { BosunPaths } from "./paths.js";
import { readLiveLockHolder } from "./run-lock.js";
import { RunEventSchema, type RunEvent } from "./schema/events.js";
import { RunSchema, type Run } from "./schema/run.js";

/** Reads a run's snapshot without locking (for status and listings); null if absent. */
export async function readRun(paths: BosunPaths, runId: string): Promise<Run | null> {
  return readJson(paths.runFile(runId), RunSchema);
}

/** Reads a run's events without locking; a torn last line is ignored. */
export async function readRunEvents(paths: BosunPaths, runId: string): Promise<RunEvent[]> {
  return (await readJsonl(paths.eventsFile(runId), RunEventSchema)).records;
}

/** Lists run ids, oldest first (ids sort by time). */
export async function listRunIds(paths: BosunPaths): Promise<string[]> {
  try {
    const entries = await readdir(paths.runsDir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    // No runs directory yet means no runs.
    return [];
  }
}

/** Resolves "latest" or an id prefix to a run id; throws a StateError when none or several match. */
export async function resolveRunId(paths: BosunPaths, wanted: string | undefined): Promise<string> {
  const ids = await listRunIds(paths);
  if (ids.length === 0)
    throw new StateError(`No runs in ${paths.runsDir}. Start one with "bosun review".`);
  if (wanted === undefined || wanted === "latest") return ids[ids.length - 1] ?? "";
  if (ids.includes(wanted)) return wanted;
  const matches = ids.filter((id) => id.startsWith(wanted) || id.endsWith(wanted));
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length > 1) {
    throw new StateError(
      `Run "${wanted}" is ambiguous: ${matches.slice(0, 5).join(", ")}. Give more of the id.`,
    );
  }
  throw new StateError(
    `Run "${wanted}" not found in ${paths.runsDir}. List runs with "bosun runs".`,
  );
}

/** Runs in this repository that a live process is writing right now, with that process's pid. */
export async function listLiveRuns(
  paths: BosunPaths,
): Promise<Array<{ runId: string; pid: number }>> {
  const live: Array<{ runId: string; pid: number }> = [];
  for (const runId of await listRunIds(paths)) {
    const pid = await readLiveLockHolder(paths.lockFile(runId));
    if (pid !== undefined) live.push({ runId, pid });
  }
  return live;
}
