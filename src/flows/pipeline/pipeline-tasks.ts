/**
 * A pipeline *task*: every pipeline run with one task id, across runs and follow-ups. Its request
 * history is the requests of its runs; a new run of a task starts from the latest one's request
 * as `--intent-mode` says, and carries its clarification ledger on.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { UsageError } from "../../errors.js";
import type { BosunPaths } from "../../store/paths.js";
import { listRunIds, readRun } from "../../store/run-read.js";
import type { PipelineRun } from "../../store/schema/run.js";

/** A task and its runs, oldest first. */
export interface PipelineTask {
  /** Task id. */
  taskId: string;
  /** Its runs, oldest first (follow-ups name their parent). */
  runs: PipelineRun[];
}

/** Every pipeline task of the repository, by the time of its first run. */
export async function listPipelineTasks(paths: BosunPaths): Promise<PipelineTask[]> {
  const tasks = new Map<string, PipelineRun[]>();
  for (const runId of await listRunIds(paths)) {
    const run = await readRun(paths, runId);
    if (run?.flow !== "pipeline") continue;
    const runs = tasks.get(run.taskId) ?? [];
    runs.push(run);
    tasks.set(run.taskId, runs);
  }
  // By creation time: run ids tell only the second, two runs of one second apart by chance.
  const byCreation = (a: PipelineRun, b: PipelineRun): number =>
    a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
  return [...tasks].map(([taskId, runs]) => ({ taskId, runs: runs.sort(byCreation) }));
}

/** A task id made from the intent: its first words, and a hash so two intents never share one. */
export function createTaskId(intent: string): string {
  const words = intent
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter((word) => word !== "")
    .slice(0, 5)
    .join("-")
    .slice(0, 40)
    .replace(/-+$/, "");
  const hash = createHash("sha256").update(intent).digest("hex").slice(0, 6);
  return words === "" ? `task-${hash}` : `${words}-${hash}`;
}

/** How a new run of a task that already has runs treats the new intent. */
export type IntentMode = "preserve" | "replace" | "append";

/** The request a new run of `taskId` starts with, and the run it carries the ledger of. */
export async function resolveTaskRequest(
  paths: BosunPaths,
  taskId: string,
  intent: string | undefined,
  mode: IntentMode,
): Promise<{ request: string; previousRunId?: string }> {
  const task = (await listPipelineTasks(paths)).find((item) => item.taskId === taskId);
  const previous = task?.runs.at(-1);
  if (previous === undefined) {
    if (intent === undefined)
      throw new UsageError(
        `Task ${taskId} has no runs yet: give its request with --intent "…" or --intent-file FILE.`,
      );
    return { request: intent };
  }
  const earlier = await readFile(paths.requestFile(previous.id), "utf8");
  const carried = { previousRunId: previous.id };
  switch (mode) {
    case "preserve":
      if (intent !== undefined && intent.trim() !== earlier.trim())
        throw new UsageError(
          `Task ${taskId} already has a request (run ${previous.id}) and --intent-mode is preserve: drop --intent to run it again, or pass --intent-mode replace (a new request) or append (added to it).`,
        );
      return { request: earlier, ...carried };
    case "replace":
      if (intent === undefined)
        throw new UsageError(
          "--intent-mode replace needs the new request: --intent or --intent-file.",
        );
      return { request: intent, ...carried };
    case "append":
      if (intent === undefined)
        throw new UsageError("--intent-mode append needs what to add: --intent or --intent-file.");
      return {
        request: `${earlier.trimEnd()}\n\n## Added for run of ${new Date().toISOString().slice(0, 10)}\n${intent.trim()}\n`,
        ...carried,
      };
  }
}
