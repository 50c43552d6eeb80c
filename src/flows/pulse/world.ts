/**
 * The world as one beat reads it: the playbook, the goals, the sensors' readings, the asks still
 * open, the latest runs and the workers' health. Its fingerprint decides whether the brain is
 * called; its snapshot (kept per decision under `snapshots/`) says what changed since the last
 * decision, in words the brain reads.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import stableStringify from "fast-json-stable-stringify";
import { z } from "zod";
import { listAsks, type AskWithAnswer } from "../../human/asks.js";
import { listGoals, readPlaybook } from "../../human/pulse-files.js";
import { readJson, writeJsonAtomic } from "../../store/json-file.js";
import { listRunIds, readRun } from "../../store/run-lookup.js";
import type { SensorReading } from "../../store/schema/pulse.js";
import type { PulseEnv } from "./pulse-env.js";
import { firstLine } from "./settle.js";
import { listWorkers } from "./worker-health.js";
import { computeWorldHash } from "./world-hash.js";

/** How many of the newest runs the world includes (one finishing wakes the brain). */
const WORLD_RUNS = 10;

/** What a decision saw, reduced to what can change: kept to tell the next decision what did. */
const WorldSnapshotSchema = z.object({
  version: z.literal(1),
  playbookSha: z.string(),
  goals: z.record(z.string(), z.string()),
  signals: z.record(z.string(), z.json()),
  openAskIds: z.array(z.string()),
  runs: z.record(z.string(), z.string()),
  workers: z.record(z.string(), z.string()),
});

/** What a decision saw. */
export type WorldSnapshot = z.infer<typeof WorldSnapshotSchema>;

/** The world of one beat. */
export interface GatheredWorld {
  hash: string;
  playbook: string;
  goals: Array<{ id: string; text: string }>;
  readings: readonly SensorReading[];
  openAsks: AskWithAnswer[];
  /** Status by run id, the newest runs. */
  runs: Record<string, string>;
  /** Each worker's health and what it works on, in a line. */
  workers: Array<{ id: string; health: string; summary: string }>;
  /** What the workers started this UTC day spent (toward `pulse.budgetUsdPerDay`). */
  workersSpentTodayUsd: number;
  snapshot: WorldSnapshot;
}

/** Reads the world around this beat's readings. */
export async function gatherWorld(
  env: PulseEnv,
  readings: readonly SensorReading[],
): Promise<GatheredWorld> {
  const { paths } = env;
  const [playbook, goals, openAsks, runs, workerItems] = await Promise.all([
    readPlaybook(paths),
    listGoals(paths),
    listAsks(paths, true),
    readLatestRuns(env),
    listWorkers(paths, { nowMs: env.now(), stuckMs: env.config.pulse.workerStuckSec * 1000 }),
  ]);
  const workers = workerItems.map((item) => ({
    id: item.worker.id,
    health: item.health,
    summary: firstLine(item.worker.prompt),
  }));
  const today = new Date(env.now()).toISOString().slice(0, 10);
  const workersSpentTodayUsd = workerItems
    .filter((item) => item.worker.startedAt.startsWith(today))
    .reduce((sum, item) => sum + item.worker.costUsd, 0);
  const workerHealth = Object.fromEntries(workers.map((worker) => [worker.id, worker.health]));
  const openAskIds = openAsks.map((item) => item.ask.id);
  const hash = computeWorldHash({
    playbook,
    goals,
    readings,
    openAskIds,
    runs,
    workers: workerHealth,
  });
  const snapshot: WorldSnapshot = {
    version: 1,
    playbookSha: sha(playbook),
    goals: Object.fromEntries(goals.map((goal) => [goal.id, sha(goal.text)])),
    signals: Object.fromEntries(
      readings.map((reading) => [
        reading.name,
        reading.status === "ok" ? reading.signal : { failing: reading.error },
      ]),
    ),
    openAskIds,
    runs,
    workers: workerHealth,
  };
  return {
    hash,
    playbook,
    goals,
    readings,
    openAsks,
    runs,
    workers,
    workersSpentTodayUsd,
    snapshot,
  };
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

async function readLatestRuns(env: PulseEnv): Promise<Record<string, string>> {
  const ids = (await listRunIds(env.paths)).slice(-WORLD_RUNS);
  const runs = await Promise.all(
    ids.map(
      async (id) =>
        [id, (await readRun(env.paths, id).catch(() => null))?.status ?? "unreadable"] as const,
    ),
  );
  return Object.fromEntries(runs);
}

/** Keeps what decision `decisionId` saw. */
export async function writeSnapshot(
  env: PulseEnv,
  decisionId: string,
  snapshot: WorldSnapshot,
): Promise<void> {
  await writeJsonAtomic(
    path.join(env.paths.pulse.snapshotsDir, `${decisionId}.json`),
    WorldSnapshotSchema,
    snapshot,
  );
}

/** What decision `decisionId` saw (the newest one's is read each decision), or null. */
export async function readSnapshot(
  env: PulseEnv,
  decisionId: string | undefined,
): Promise<WorldSnapshot | null> {
  if (decisionId === undefined) return null;
  return readJson(
    path.join(env.paths.pulse.snapshotsDir, `${decisionId}.json`),
    WorldSnapshotSchema,
  ).catch(() => null);
}

/** What changed since `before`, one line each, for the brain. */
export function describeWorldChanges(before: WorldSnapshot | null, after: WorldSnapshot): string[] {
  if (before === null) return ["first decision: everything is new"];
  const lines: string[] = [];
  if (before.playbookSha !== after.playbookSha) lines.push("the playbook changed");
  diffKeys(before.goals, after.goals, "goal", lines, () => "changed");
  diffKeys(
    before.signals,
    after.signals,
    "sensor",
    lines,
    (was, now) => `signal ${short(was)} → ${short(now)}`,
    (now) => `signal ${short(now)}`,
  );
  // A new run or worker says where it stands: the run a decision started has often finished by
  // the next one, and "is new" alone would hide that it succeeded or failed.
  const transition = (was: unknown, now: unknown): string => `${short(was)} → ${short(now)}`;
  diffKeys(before.runs, after.runs, "run", lines, transition, short);
  diffKeys(before.workers, after.workers, "worker", lines, transition, short);
  const opened = after.openAskIds.filter((id) => !before.openAskIds.includes(id));
  const closed = before.openAskIds.filter((id) => !after.openAskIds.includes(id));
  if (opened.length > 0) lines.push(`asks opened: ${opened.join(", ")}`);
  if (closed.length > 0) lines.push(`asks answered: ${closed.join(", ")}`);
  return lines.length === 0 ? ["nothing that counts changed"] : lines;
}

function diffKeys(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  what: string,
  lines: string[],
  describe: (was: unknown, now: unknown) => string,
  describeNew?: (now: unknown) => string,
): void {
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before))
      lines.push(
        `${what} ${key} is new${describeNew === undefined ? "" : `: ${describeNew(value)}`}`,
      );
    else if (stableStringify(before[key]) !== stableStringify(value))
      lines.push(`${what} ${key}: ${describe(before[key], value)}`);
  }
  for (const key of Object.keys(before)) if (!(key in after)) lines.push(`${what} ${key} is gone`);
}

function short(value: unknown): string {
  const text = stableStringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
