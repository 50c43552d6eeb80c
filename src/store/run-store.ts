/**
 * One run's durable state: events.jsonl (the truth) and run.json (its snapshot), written by
 * exactly one process at a time. `append` resolves once the event is synced, so a caller that
 * awaits it may take the next side effect knowing the transition survives a `kill -9`.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { StateError, getErrorMessage, isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";
import { formatIssues, writeJsonAtomic, writeTextAtomic } from "./json-file.js";
import { createLineAppender, repairJsonlTail, type LineAppender } from "./jsonl.js";
import type { BosunPaths } from "./paths.js";
import { acquireRunLock, type RunLock } from "./run-lock.js";
import { readRunJournal } from "./run-read.js";
import { buildRunIndex, indexRunEvent, type RunIndex } from "./run-index.js";
import { applyRunEvent, reduceRunEvents } from "./run-state.js";
import { RunEventSchema, type RunEvent, type RunEventInput } from "./schema/events.js";
import { RunSchema, type Run, type RunStatus } from "./schema/run.js";

/**
 * run.json is rewritten at most about once per this interval (plus at once for the first event
 * and every status change, and on close): the journal is the truth, and a team run's tasks
 * append far more often than anyone reads the snapshot.
 */
export const RUN_JSON_INTERVAL_MS = 1000;

/** How many fresh ids `RunStore.create` tries when a run directory of that name exists. */
export const RUN_ID_ATTEMPTS = 5;

/** Creates a sortable, unique run id such as `20261122-125012-a1b2`. */
export function createRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

/** The disk operations and clock a RunStore uses; tests pass counting or failing ones. */
export interface RunStoreIo {
  /** Appends lines to the journal in one write and one sync (`appendLines`). */
  appendLines(file: string, lines: readonly string[]): Promise<void>;
  /** Writes run.json atomically. */
  writeRun(file: string, run: Run): Promise<void>;
  /** The clock the run.json throttle measures with, in ms. */
  nowMs(): number;
}

/** How a RunStore is opened or created. */
export interface RunStoreOptions {
  /** Replaces some of the disk operations or the clock (tests). */
  io?: Partial<RunStoreIo>;
  /** Minimum time between throttled run.json writes (default `RUN_JSON_INTERVAL_MS`). */
  runJsonIntervalMs?: number;
}

/** How a new run is created. */
export interface RunStoreCreateOptions extends RunStoreOptions {
  /** Writes the run's other input files; runs before the first event, so a run never exists without them. */
  writeInputs?: (runId: string) => Promise<void>;
  /** Makes a run id (default `createRunId`); called again when the directory already exists. */
  createId?: () => string;
}

const DEFAULT_IO: Omit<RunStoreIo, "appendLines"> = {
  writeRun: (file, run) => writeJsonAtomic(file, RunSchema, run),
  nowMs: () => Date.now(),
};

/** One caller's event waiting for the writer. */
interface PendingAppend {
  input: RunEventInput;
  resolve: (event: RunEvent) => void;
  reject: (error: unknown) => void;
}

/** The writer's handle on one run. */
export class RunStore {
  private readonly io: RunStoreIo;
  private readonly journal: LineAppender;
  private readonly runJsonIntervalMs: number;
  /** Events waiting for the writer; it takes all of them at once (group commit). */
  private queue: PendingAppend[] = [];
  /** The running writer loop, null while idle. */
  private writer: Promise<void> | null = null;
  /** Set by an append that failed on disk: the journal may hold part of it, so no more appends. */
  private journalFailure: unknown = null;
  private isClosed = false;
  /** run.json writes, chained so two never overlap. */
  private runJsonChain: Promise<void> = Promise.resolve();
  private runJsonTimer: NodeJS.Timeout | null = null;
  private isRunJsonDirty = false;
  private lastRunJsonWriteMs = Number.NEGATIVE_INFINITY;
  /** Status in the last run.json written (or being written); null before the first. */
  private runJsonStatus: RunStatus | null = null;

  /** The indexed state (tasks → rounds → steps), updated per event: what flows read instead of scanning `events`. */
  readonly index: RunIndex;

  private constructor(
    readonly paths: BosunPaths,
    readonly runId: string,
    private readonly lock: RunLock,
    private readonly history: RunEvent[],
    private snapshot: Run | null,
    options: RunStoreOptions,
  ) {
    this.index = buildRunIndex(history);
    // The journal stays open while this store writes it (one write and one sync per batch).
    this.journal = createLineAppender();
    const journal = this.journal;
    this.io = {
      ...DEFAULT_IO,
      appendLines: (file, lines) => journal.append(file, lines),
      ...options.io,
    };
    this.runJsonIntervalMs = options.runJsonIntervalMs ?? RUN_JSON_INTERVAL_MS;
  }

  /**
   * Creates a new run under a fresh id: its directory, request.md, the other inputs and the
   * first event. The store's `runId` is the id actually used.
   */
  static async create(
    paths: BosunPaths,
    request: string,
    created: Extract<RunEventInput, { type: "run.created" }>,
    options: RunStoreCreateOptions = {},
  ): Promise<RunStore> {
    const runId = await createRunDir(paths, options.createId ?? createRunId);
    const lock = await acquireRunLock(paths.lockFile(runId), `Run ${runId}`);
    try {
      await writeTextAtomic(
        paths.requestFile(runId),
        request.endsWith("\n") ? request : `${request}\n`,
      );
      await options.writeInputs?.(runId);
      const store = new RunStore(paths, runId, lock, [], null, options);
      await store.append(created);
      return store;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** Opens an existing run for writing: takes the lock, repairs a torn tail, replays events. */
  static async open(
    paths: BosunPaths,
    runId: string,
    options: RunStoreOptions = {},
  ): Promise<RunStore> {
    const eventsFile = paths.eventsFile(runId);
    const lock = await acquireRunLock(paths.lockFile(runId), `Run ${runId}`);
    try {
      await repairJsonlTail(eventsFile);
      const { records } = await readRunJournal(eventsFile);
      if (records.length === 0) {
        throw new StateError(
          `Run ${runId} not found (no ${eventsFile}). List runs with "bosun runs".`,
        );
      }
      const snapshot = reduceRunEvents(records, runId);
      const store = new RunStore(paths, runId, lock, records, snapshot, options);
      // run.json may lag behind the journal after a crash; rewrite it from the truth.
      store.isRunJsonDirty = true;
      await store.flushRunJson();
      return store;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** The snapshot after the last event on disk. */
  get run(): Run {
    if (this.snapshot === null) throw new StateError(`Run ${this.runId} has no events yet.`);
    return this.snapshot;
  }

  /** All events on disk so far. */
  get events(): readonly RunEvent[] {
    return this.history;
  }

  /**
   * Queues an event and resolves with the stored event once it is synced to events.jsonl.
   * Concurrent callers are numbered in call order and share one write and one sync. An event
   * the schema or the reducer refuses rejects alone and takes no seq; a failed write rejects
   * its whole batch and leaves the in-memory run as it was.
   */
  append(input: RunEventInput): Promise<RunEvent> {
    if (this.isClosed) {
      return Promise.reject(
        new StateError(
          `Run ${this.runId} is closed; cannot record ${input.type}. This is a bug in bosun.`,
        ),
      );
    }
    return new Promise<RunEvent>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.writer ??= this.runWriter();
    });
  }

  /** Waits for queued events, writes the latest run.json, then releases the writer lock. */
  async close(): Promise<void> {
    this.isClosed = true;
    try {
      await this.writer;
      await this.flushRunJson();
    } finally {
      await this.journal.close().catch(() => undefined);
      await this.lock.release();
    }
  }

  private async runWriter(): Promise<void> {
    // Let callers that append in the same tick join the first batch.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commitBatch(batch);
      }
    } finally {
      this.writer = null;
    }
  }

  /** Numbers, validates and folds a batch, then writes it with one append; never throws. */
  private async commitBatch(batch: readonly PendingAppend[]): Promise<void> {
    if (this.journalFailure !== null) {
      const error = this.createJournalFailureError();
      for (const pending of batch) pending.reject(error);
      return;
    }
    const accepted: Array<{ pending: PendingAppend; event: RunEvent }> = [];
    let snapshot = this.snapshot;
    for (const pending of batch) {
      try {
        const event = this.parseEvent(pending.input, this.history.length + accepted.length + 1);
        snapshot = applyRunEvent(snapshot, event, this.runId);
        accepted.push({ pending, event });
      } catch (error) {
        pending.reject(error);
      }
    }
    if (accepted.length === 0 || snapshot === null) return;
    try {
      await this.io.appendLines(
        this.paths.eventsFile(this.runId),
        accepted.map(({ event }) => JSON.stringify(event)),
      );
    } catch (error) {
      this.journalFailure = error;
      for (const { pending } of accepted) pending.reject(error);
      return;
    }
    for (const { event } of accepted) {
      this.history.push(event);
      indexRunEvent(this.index, event);
    }
    this.snapshot = snapshot;
    this.isRunJsonDirty = true;
    try {
      // A reader of run.json (status, runs, a waiting human) must see every change of status.
      if (snapshot.status !== this.runJsonStatus) await this.flushRunJson();
      else this.scheduleRunJson();
    } catch (error) {
      // The events are on disk and in memory; the caller still learns run.json is stale.
      for (const { pending } of accepted) pending.reject(error);
      return;
    }
    for (const { pending, event } of accepted) pending.resolve(event);
  }

  private parseEvent(input: RunEventInput, seq: number): RunEvent {
    const result = RunEventSchema.safeParse({ ...input, seq, ts: new Date().toISOString() });
    if (!result.success) {
      throw new StateError(
        `Refusing to record ${input.type} in ${this.paths.eventsFile(this.runId)}: ${formatIssues(result.error.issues)}. This is a bug in bosun.`,
      );
    }
    return result.data;
  }

  private createJournalFailureError(): StateError {
    return new StateError(
      `Run ${this.runId}: an earlier write to ${this.paths.eventsFile(this.runId)} failed (${getErrorMessage(this.journalFailure)}), so the journal may hold part of it; this process records nothing more. Fix the cause, then continue the run with its --resume (bosun status ${this.runId} says how).`,
      { cause: this.journalFailure },
    );
  }

  /** Writes run.json once the interval since the last write has passed (one trailing write). */
  private scheduleRunJson(): void {
    if (this.runJsonTimer !== null) return;
    const waitMs = Math.max(0, this.lastRunJsonWriteMs + this.runJsonIntervalMs - this.io.nowMs());
    this.runJsonTimer = setTimeout(() => {
      // A failed write leaves run.json dirty: the next write, at the latest close(), retries
      // and reports it, so nothing is lost by not reporting it here.
      this.flushRunJson().catch(() => undefined);
    }, waitMs);
    // close() flushes; a pending snapshot must not keep the process alive on its own.
    this.runJsonTimer.unref();
  }

  /** Writes the latest snapshot now, after any write in flight; resolves when it is on disk. */
  private flushRunJson(): Promise<void> {
    if (this.runJsonTimer !== null) clearTimeout(this.runJsonTimer);
    this.runJsonTimer = null;
    const write = this.runJsonChain.then(() => this.writeRunJsonIfDirty());
    this.runJsonChain = write.catch(() => undefined);
    return write;
  }

  private async writeRunJsonIfDirty(): Promise<void> {
    if (!this.isRunJsonDirty || this.snapshot === null) return;
    const run = this.snapshot;
    this.isRunJsonDirty = false;
    this.lastRunJsonWriteMs = this.io.nowMs();
    this.runJsonStatus = run.status;
    try {
      await this.io.writeRun(this.paths.runFile(this.runId), run);
    } catch (error) {
      this.isRunJsonDirty = true;
      throw error;
    }
  }
}

/**
 * Creates the directory of a new run under an id nobody holds: the leaf is made without
 * `recursive`, so two runs that drew the same id cannot share it; the loser draws again.
 */
async function createRunDir(paths: BosunPaths, createId: () => string): Promise<string> {
  try {
    await mkdir(paths.runsDir, { recursive: true });
  } catch (error) {
    throw isNodeError(error) ? createStateFsError("create", paths.runsDir, error) : error;
  }
  const taken: string[] = [];
  for (let attempt = 0; attempt < RUN_ID_ATTEMPTS; attempt += 1) {
    const runId = createId();
    const dir = paths.runDir(runId);
    try {
      await mkdir(dir);
      return runId;
    } catch (error) {
      if (!isNodeError(error)) throw error;
      if (error.code !== "EEXIST") throw createStateFsError("create", dir, error);
      taken.push(runId);
    }
  }
  throw new StateError(
    `Cannot create a new run in ${paths.runsDir}: ${RUN_ID_ATTEMPTS} ids in a row were taken (${taken.join(", ")}). Try again; if it keeps happening, move stray directories out of ${paths.runsDir}.`,
  );
}
