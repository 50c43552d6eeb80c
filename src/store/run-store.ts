/**
 * One run's durable state: events.jsonl (the truth) and run.json (its snapshot), written by
 * exactly one process at a time. `append` syncs the event before returning, so a caller that
 * awaits it may take the next side effect knowing the transition survives a `kill -9`.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { StateError } from "../errors.js";
import { writeJsonAtomic, writeTextAtomic } from "./json-file.js";
import { appendJsonl, readJsonl, repairJsonlTail } from "./jsonl.js";
import type { BosunPaths } from "./paths.js";
import { acquireRunLock, type RunLock } from "./run-lock.js";
import { buildRunIndex, indexRunEvent, type RunIndex } from "./run-index.js";
import { applyRunEvent, reduceRunEvents } from "./run-state.js";
import { createJournalLineSchema } from "./schema/migrate.js";
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
    /** The indexed state, updated per event (what flows read instead of scanning `events`). */
    readonly index: RunIndex,
  ) {}

  /** Creates the run directory, request.md and the first event. */
  static async create(
    paths: BosunPaths,
    runId: string,
    request: string,
    created: Extract<RunEventInput, { type: "run.created" }>,
    /** Writes the run's other input files; runs before the first event, so a run never exists without them. */
    writeInputs: () => Promise<void> = () => Promise.resolve(),
  ): Promise<RunStore> {
    await mkdir(paths.runDir(runId), { recursive: true });
    const lock = await acquireRunLock(paths.lockFile(runId), `Run ${runId}`);
    await writeTextAtomic(
      paths.requestFile(runId),
      request.endsWith("\n") ? request : `${request}\n`,
    );
    await writeInputs();
    const store = new RunStore(paths, runId, lock, [], null, buildRunIndex([]));
    await store.append(created);
    return store;
  }

  /** Opens an existing run for writing: takes the lock, repairs a torn tail, replays events. */
  static async open(paths: BosunPaths, runId: string): Promise<RunStore> {
    const eventsFile = paths.eventsFile(runId);
    const lock = await acquireRunLock(paths.lockFile(runId), `Run ${runId}`);
    try {
      await repairJsonlTail(eventsFile);
      const { records } = await readJsonl(eventsFile, createJournalLineSchema());
      if (records.length === 0) {
        throw new StateError(
          `Run ${runId} not found (no ${eventsFile}). List runs with "bosun runs".`,
        );
      }
      const snapshot = reduceRunEvents(records, runId);
      // run.json may lag one event behind after a crash; rewrite it from the truth.
      await writeJsonAtomic(paths.runFile(runId), RunSchema, snapshot);
      return new RunStore(paths, runId, lock, records, snapshot, buildRunIndex(records));
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
    const candidate: unknown = {
      ...input,
      seq: this.history.length + 1,
      ts: new Date().toISOString(),
    };
    const event = RunEventSchema.parse(candidate);
    const next = applyRunEvent(this.snapshot, event, this.runId);
    await appendJsonl(this.paths.eventsFile(this.runId), RunEventSchema, event);
    this.history.push(event);
    this.snapshot = next;
    indexRunEvent(this.index, event);
    await writeJsonAtomic(this.paths.runFile(this.runId), RunSchema, next);
    return event;
  }

  /** Releases the writer lock. */
  async close(): Promise<void> {
    await this.lock.release();
  }
}
