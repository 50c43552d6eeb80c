/**
 * One run's durable state: events.jsonl (the truth) and run.json (its snapshot), written by
 * exactly one process at a time. `append` syncs the event before returning, so a caller that
 * awaits it may take the next side effect knowing the transition survives a `kill -9`.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import { StateError } from "../errors.js";
import { readJson, writeJsonAtomic, writeTextAtomic } from "./json-file.js";
import { appendJsonl, readJsonl, repairJsonlTail } from "./jsonl.js";
import type { BosunPaths } from "./paths.js";
import { acquireRunLock, type RunLock } from "./run-lock.js";
import { applyRunEvent, reduceRunEvents } from "./run-state.js";
import { RunEventSchema, type RunEvent, type RunEventInput } from "./schema/events.js";
import { RunSchema, type Run } from "./schema/run.js";

/** Creates a sortable, unique run id such as `20261122-125012-a1b2`. */
export function createRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

/** The writer's handle on one run. */
export class RunStore {
  private constructor(
    readonly paths: BosunPaths,
    readonly runId: string,
    private readonly lock: RunLock,
    private history: RunEvent[],
    private snapshot: Run | null,
  ) {}

  /** Creates the run directory, request.md and the first event. */
  static async create(
    paths: BosunPaths,
    runId: string,
    request: string,
    created: Extract<RunEventInput, { type: "run.created" }>,
  ): Promise<RunStore> {
    await mkdir(paths.runDir(runId), { recursive: true });
    const lock = await acquireRunLock(paths.lockFile(runId), `Run ${runId}`);
    await writeTextAtomic(paths.requestFile(runId), request.endsWith("\n") ? request : `${request}\n`);
    const store = new RunStore(paths, runId, lock, [], null);
    await store.append(created);
    return store;
  }

  /** Opens an existing run for writing: takes the lock, repairs a torn tail, replays events. */
  static async open(paths: BosunPaths, runId: string): Promise<RunStore> {
    const eventsFile = paths.eventsFile(runId);
    const lock = await acquireRunLock(paths.lockFile(runId), `Run ${runId}`);
    try {
      await repairJsonlTail(eventsFile);
      const { records } = await readJsonl(eventsFile, RunEventSchema);
      if (records.length === 0) {
        throw new StateError(`Run ${runId} not found (no ${eventsFile}). List runs with "bosun runs".`);
      }
      const snapshot = reduceRunEvents(records, runId);
      // run.json may lag one event behind after a crash; rewrite it from the truth.
      await writeJsonAtomic(paths.runFile(runId), RunSchema, snapshot);
      return new RunStore(paths, runId, lock, records, snapshot);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** The snapshot after the last event. */
  get run(): Run {
    if (this.snapshot === null) throw new StateError(`Run ${this.runId} has no events yet.`);
    return this.snapshot;
  }

  /** All events so far. */
  get events(): readonly RunEvent[] {
    return this.history;
  }

  /** Appends an event (synced), then rewrites run.json. Returns the stored event. */
  async append(input: RunEventInput): Promise<RunEvent> {
    const candidate: unknown = { ...input, seq: this.history.length + 1, ts: new Date().toISOString() };
    const event = RunEventSchema.parse(candidate);
    const next = applyRunEvent(this.snapshot, event, this.runId);
    await appendJsonl(this.paths.eventsFile(this.runId), RunEventSchema, event);
    this.history.push(event);
    this.snapshot = next;
    await writeJsonAtomic(this.paths.runFile(this.runId), RunSchema, next);
    return event;
  }

  /** Releases the writer lock. */
  async close(): Promise<void> {
    await this.lock.release();
  }
}

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
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch {
    // No runs directory yet means no runs.
    return [];
  }
}

/** Resolves "latest" or an id prefix to a run id; throws a StateError when none or several match. */
export async function resolveRunId(paths: BosunPaths, wanted: string | undefined): Promise<string> {
  const ids = await listRunIds(paths);
  if (ids.length === 0) throw new StateError(`No runs in ${paths.runsDir}. Start one with "bosun review".`);
  if (wanted === undefined || wanted === "latest") return ids[ids.length - 1] ?? "";
  if (ids.includes(wanted)) return wanted;
  const matches = ids.filter((id) => id.startsWith(wanted) || id.endsWith(wanted));
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length > 1) {
    throw new StateError(`Run "${wanted}" is ambiguous: ${matches.slice(0, 5).join(", ")}. Give more of the id.`);
  }
  throw new StateError(`Run "${wanted}" not found in ${paths.runsDir}. List runs with "bosun runs".`);
}
