/**
 * A team run's board rebuilt from the truth (events.jsonl and plan.json), read-only, for when
 * board.json is missing or behind. Apart from `buildBoard` so that `bosun board` loads the
 * journal's reader and schemas, the plan's and the task graph only when it needs them.
 */
import { StateError } from "../../errors.js";
import { readJson } from "../../store/json-file.js";
import type { BosunPaths } from "../../store/paths.js";
import { buildRunIndex } from "../../store/run-index.js";
import { readRunEvents } from "../../store/run-read.js";
import { reduceRunEvents } from "../../store/run-state.js";
import type { Board } from "../../store/schema/board.js";
import { PlanSchema } from "../../store/schema/plan.js";
import { buildBoard } from "./board.js";

/**
 * The board of run `runId` from its journal and plan, without the lock and without writing
 * anything (the run's writer owns board.json); null for a review run, which has no board.
 */
export async function readRebuiltBoard(paths: BosunPaths, runId: string): Promise<Board | null> {
  const events = await readRunEvents(paths, runId);
  if (events.length === 0) {
    throw new StateError(
      `Run ${runId} has no events (${paths.eventsFile(runId)} is missing or empty), so it has no board. List runs with "bosun runs".`,
    );
  }
  const run = reduceRunEvents(events, runId);
  if (run.flow !== "team") return null;
  const plan = await readJson(paths.planFile(runId), PlanSchema);
  return buildBoard(run, buildRunIndex(events), plan);
}
