/**
 * Temp git repositories set up for `bosun review` e2e tests (a committed bosun.yaml, so the tree
 * is clean), and typed reads of what a run left under `.bosun/`.
 */
import { realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { runProcess } from "../../src/proc/run-process.js";
import { createBosunPaths, type BosunPaths } from "../../src/store/paths.js";
import { listRunIds, readRun, readRunEvents } from "../../src/store/run-read.js";
import type { WrittenConfig } from "../../src/store/schema/config.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import type { Run } from "../../src/store/schema/run.js";
import { createTempGitRepo } from "./agent-env.js";

/** A run as it is on disk. */
export interface RunOnDisk {
  /** Run id (its directory under .bosun/runs/). */
  runId: string;
  /** run.json. */
  run: Run;
  /** events.jsonl, in order. */
  events: RunEvent[];
}

/** A temp git repo (real path, clean tree) whose committed bosun.yaml holds `config`. */
export async function createReviewRepo(config: WrittenConfig): Promise<string> {
  const repo = await realpath(await createTempGitRepo());
  await writeBosunYaml(repo, config);
  await commitAll(repo, "bosun config");
  return repo;
}

/** Writes `<repo>/bosun.yaml` (typed as the written config schema, so typos fail to compile). */
export async function writeBosunYaml(repo: string, config: WrittenConfig): Promise<void> {
  await writeConfigFile(join(repo, "bosun.yaml"), config);
}

/** Writes a bosun config file anywhere, e.g. the global one at `getGlobalConfigFile(env)`. */
export async function writeConfigFile(file: string, config: WrittenConfig): Promise<void> {
  await writeFile(file, stringify(config));
}

/** Commits everything in the working tree, as a user would after editing files. */
export async function commitAll(repo: string, message: string): Promise<void> {
  for (const args of [
    ["add", "-A"],
    ["commit", "-q", "-m", message],
  ]) {
    const result = await runProcess({
      command: "git",
      args,
      cwd: repo,
      env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
      timeoutMs: 10_000,
    });
    if (result.exitCode !== 0)
      throw new Error(`git ${args.join(" ")} failed in ${repo}: ${result.stderrTail}`);
  }
}

/** The `.bosun/` paths of a repo. */
export function getBosunPaths(repo: string): BosunPaths {
  return createBosunPaths(repo);
}

/** Ids of the runs in a repo (none when `.bosun/runs/` does not exist). */
export function listRuns(repo: string): Promise<string[]> {
  return listRunIds(createBosunPaths(repo));
}

/** Reads a run's events (a torn last line, from a writer killed mid-append, is left out). */
export function readEvents(repo: string, runId: string): Promise<RunEvent[]> {
  return readRunEvents(createBosunPaths(repo), runId);
}

/** Reads the repo's one run; throws unless there is exactly one. */
export async function readOnlyRun(repo: string): Promise<RunOnDisk> {
  const paths = createBosunPaths(repo);
  const ids = await listRunIds(paths);
  const runId = ids[0];
  if (ids.length !== 1 || runId === undefined)
    throw new Error(`expected exactly one run in ${repo}, found ${ids.length}`);
  const run = await readRun(paths, runId);
  if (run === null) throw new Error(`run ${runId} has no run.json`);
  return { runId, run, events: await readRunEvents(paths, runId) };
}

/** The events of a type, optionally for one seat and/or round (shared with the offline helpers). */
export { filterEvents } from "./offline-repo.js";
