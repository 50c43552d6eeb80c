/**
 * What a killed bosun left running. A bosun killed with -9 cannot stop its agents, their tools or
 * its verify command; their pid files stay in the round directories (they are removed when a
 * process ends normally). Before a run changes the working tree, every run whose writer died gets
 * those processes ended — not only the run being resumed: a new run must not share the tree with
 * a dead run's agent still writing into it.
 */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { killOrphanedAgent } from "../agents/dispatch.js";
import { killSpawnFromPidFile } from "../proc/pid-file.js";
import type { BosunPaths } from "../store/paths.js";
import { getVerifyPidFile } from "./verify.js";

/** Ends every process the runs `runIds` left running; returns the round directories they were in. */
export async function killLeftoverProcesses(
  paths: BosunPaths,
  runIds: readonly string[],
  graceMs: number,
): Promise<string[]> {
  const found: string[] = [];
  for (const runId of runIds) {
    for (const roundDir of await listRoundDirs(paths, runId)) {
      const attempts = (await listEntries(roundDir)).filter((entry) => entry.isDirectory());
      const ended = await Promise.all([
        killSpawnFromPidFile(getVerifyPidFile(path.join(roundDir, "verify.log")), graceMs),
        ...attempts.map((entry) => killOrphanedAgent(path.join(roundDir, entry.name), graceMs)),
      ]);
      if (ended.some(Boolean)) found.push(roundDir);
    }
  }
  return found;
}

/** Round directories: a task's (`tasks/<task>/rounds/`) and a pipeline pair's (`artifacts/…/rounds/`). */
async function listRoundDirs(paths: BosunPaths, runId: string): Promise<string[]> {
  const holders: string[] = [];
  const tasksDir = path.join(paths.runDir(runId), "tasks");
  for (const task of await listSubdirs(tasksDir)) holders.push(task);
  const artifactsDir = path.join(paths.runDir(runId), "artifacts");
  for (const pair of await listSubdirs(artifactsDir)) {
    holders.push(pair);
    holders.push(...(await listSubdirs(path.join(pair, "phases"))));
  }
  const dirs: string[] = [];
  for (const holder of holders) dirs.push(...(await listSubdirs(path.join(holder, "rounds"))));
  return dirs;
}

async function listSubdirs(dir: string): Promise<string[]> {
  return (await listEntries(dir))
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(dir, entry.name));
}

async function listEntries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    // Missing or unreadable: nothing of a dead run's to end there.
    return [];
  }
}
