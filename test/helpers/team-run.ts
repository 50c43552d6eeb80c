/**
 * Hand-made runs for tests of what reads a team run (the board): journal events and plans built
 * through the real schemas, so they stay valid as the formats change, and a run directory
 * written from them the way bosun lays one out.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { writeJsonAtomic } from "../../src/store/json-file.js";
import type { BosunPaths } from "../../src/store/paths.js";
import { reduceRunEvents } from "../../src/store/run-state.js";
import {
  RunEventSchema,
  type RunEvent,
  type RunEventInput,
  type Seat,
} from "../../src/store/schema/events.js";
import { PlanSchema, type Plan, type PlanTask } from "../../src/store/schema/plan.js";
import type { TeamOptions } from "../../src/store/schema/run-options.js";
import { RunSchema } from "../../src/store/schema/run.js";

/** A run id as bosun makes them. */
export const TEAM_RUN_ID = "20261201-090000-a1b2";

/** Options of the hand-made team runs. */
export const TEAM_OPTIONS: TeamOptions = {
  planner: "claude",
  worker: "claude",
  critic: "codex",
  maxParallel: 2,
  maxRepairs: 2,
  verify: "npm test",
  timeoutSec: 0,
  stallTimeoutSec: 300,
  budgetUsd: 5,
  isPlanGated: false,
};

/** The first event of a team run. */
export function makeTeamCreated(runId = TEAM_RUN_ID): RunEventInput {
  return {
    type: "run.created",
    version: 2,
    flow: "team",
    title: "Add a settings page",
    baseCommit: "b".repeat(40),
    integrationBranch: `bosun/${runId}`,
    options: TEAM_OPTIONS,
  };
}

/** The first event of a review run. */
export function makeReviewCreated(): RunEventInput {
  return {
    type: "run.created",
    version: 2,
    flow: "review",
    taskId: "T-001",
    title: "Fix the typo",
    baseCommit: "b".repeat(40),
    options: { worker: "offline", reviewer: "offline", maxRounds: 3, verify: "", timeoutSec: 0 },
  };
}

/** Numbers and stamps events (a second apart) and checks each against the journal schema. */
export function makeJournal(inputs: readonly RunEventInput[]): RunEvent[] {
  const startMs = Date.parse("2026-12-01T09:00:00Z");
  return inputs.map((input, index) =>
    RunEventSchema.parse({
      ...input,
      seq: index + 1,
      ts: new Date(startMs + index * 1000).toISOString(),
    }),
  );
}

/** A dispatch that started and completed, costing `costUsd`. */
export function makeDispatch(
  taskId: string,
  round: number,
  seat: Seat,
  harness: string,
  costUsd: number,
): RunEventInput[] {
  const scope = { taskId, round, seat, harness, attempt: 1 };
  return [
    { type: "dispatch.started", ...scope },
    {
      type: "dispatch.completed",
      ...scope,
      exitCode: 0,
      costUsd,
      isCostEstimated: false,
      tokens: { inputTokens: 100, cachedInputTokens: 0, outputTokens: 10 },
      durationMs: 1000,
      spawns: 1,
    },
  ];
}

/** A task of a plan; `extra` overrides fields. */
export function makePlanTask(
  id: string,
  dependsOn: string[] = [],
  extra: Partial<PlanTask> = {},
): PlanTask {
  return {
    id,
    title: `Task ${id}`,
    description: `Do ${id}.`,
    role: "backend",
    depends_on: dependsOn,
    acceptance_criteria: [`${id} works`],
    scope: [`src/${id}/`],
    priority: 3,
    ...extra,
  };
}

/** A plan of these tasks, checked against the plan.json schema. */
export function makePlan(tasks: readonly PlanTask[]): Plan {
  return PlanSchema.parse({ version: 1, goal: "Add a settings page", tasks });
}

/**
 * Writes a run directory: events.jsonl, run.json (the reducer's snapshot of `events`, or of its
 * first `snapshotEvents` events, as a writer that lagged would leave it) and plan.json if given.
 */
export async function writeRunDir(
  paths: BosunPaths,
  runId: string,
  events: readonly RunEvent[],
  plan: Plan | null,
  snapshotEvents = events.length,
): Promise<void> {
  await mkdir(paths.runDir(runId), { recursive: true });
  const lines = events.map((event) => `${JSON.stringify(event)}\n`).join("");
  await writeFile(paths.eventsFile(runId), lines);
  const run = reduceRunEvents(events.slice(0, snapshotEvents), runId);
  await writeJsonAtomic(paths.runFile(runId), RunSchema, run);
  if (plan !== null) await writeJsonAtomic(paths.planFile(runId), PlanSchema, plan);
}
