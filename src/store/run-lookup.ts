/**
 * Finding a run (the ids under .bosun/runs/, what the user typed resolved to one) and reading its
 * snapshot, without the lock and without the journal: all `bosun status` needs, so it loads
 * neither the journal's schemas nor its reader.
 */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";
import { readJson } from "./json-file.js";
import { isRunId, type BosunPaths } from "./paths.js";
import { RunFileReadSchema } from "./schema/migrate-run.js";
import type { Run } from "./schema/run.js";

/** Reads a run's snapshot without locking (for status and listings); null if absent. */
export async function readRun(paths: BosunPaths, runId: string): Promise<Run | null> {
  return readJson(paths.runFile(runId), RunFileReadSchema);
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
 * no runs at all for "latest" is a StateError. `listCommand` is what the messages say lists runs
 * (`bosun _ runs` for the machine contract).
 */
export async function resolveRunId(
  paths: BosunPaths,
  wanted: string | undefined,
  listCommand = "bosun runs",
): Promise<string> {
  if (wanted !== undefined && wanted.trim() === "") {
    throw new UsageError(
      `Run id ${JSON.stringify(wanted)} is empty: give a run id, a unique part of one, or "latest". List runs with "${listCommand}".`,
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
      : `List runs with "${listCommand}".`;
  throw new UsageError(`Run ${JSON.stringify(wanted)} not found in ${paths.runsDir}. ${next}`);
}
