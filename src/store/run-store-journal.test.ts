/**
 * The run writer under load: concurrent appends through one queue (group commit), events that
 * fail alone, a failed write, run-id collisions and the run.json throttle.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { StateError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { writeJsonAtomic } from "./json-file.js";
import { appendLines } from "./jsonl.js";
import { createBosunPaths, type BosunPaths } from "./paths.js";
import { readRun, readRunEvents } from "./run-read.js";
import { RUN_ID_ATTEMPTS, RunStore, type RunStoreIo, type RunStoreOptions } from "./run-store.js";
import type { RunEventInput } from "./schema/events.js";
import { RunSchema, type Run } from "./schema/run.js";

const RUN_ID = "20260101-000000-aaaa";

function makeCreated(): Extract<RunEventInput, { type: "run.created" }> {
  return {
    type: "run.created",
    version: 2,
    flow: "review",
    taskId: "T-001",
    title: "Add sum()",
    baseCommit: "base000",
    options: { worker: "claude", reviewer: "codex", maxRounds: 2, verify: "", timeoutSec: 60 },
  };
}

function makeDispatchCompleted(costUsd = 1): RunEventInput {
  return {
    type: "dispatch.completed",
    taskId: "T-001",
    round: 1,
    seat: "worker",
    harness: "claude",
    attempt: 1,
    exitCode: 0,
    costUsd,
    isCostEstimated: false,
    tokens: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 1 },
    durationMs: 5,
    spawns: 1,
  };
}

/** An event the reducer accepts but that changes nothing a reader of run.json cares about. */
function makeGateCompleted(): RunEventInput {
  return {
    type: "gate.completed",
    taskId: "T-001",
    round: 1,
    name: "noop",
    passed: true,
    detail: "changed",
  };
}

async function makePaths(): Promise<BosunPaths> {
  return createBosunPaths(await makeTestDir());
}

function createStore(paths: BosunPaths, options: RunStoreOptions = {}): Promise<RunStore> {
  return RunStore.create(paths, "goal", makeCreated(), { ...options, createId: () => RUN_ID });
}

/** The real disk operations, counted: every journal append and run.json write. */
function makeCountingIo(overrides: Partial<RunStoreIo> = {}): {
  io: Partial<RunStoreIo>;
  appendedBatches: string[][];
  writtenRuns: Run[];
} {
  const appendedBatches: string[][] = [];
  const writtenRuns: Run[] = [];
  return {
    appendedBatches,
    writtenRuns,
    io: {
      appendLines: (file, lines) => {
        appendedBatches.push([...lines]);
        return appendLines(file, lines);
      },
      writeRun: (file, run) => {
        writtenRuns.push(run);
        return writeJsonAtomic(file, RunSchema, run);
      },
      ...overrides,
    },
  };
}

/** A promise with its resolve function, to hold a fake disk operation until the test says so. */
function makeGate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("RunStore.append from many callers at once", () => {
  it("numbers 50 concurrent appends 1..N on disk without an error, and sums every cost", async () => {
    const paths = await makePaths();
    const store = await createStore(paths);
    const appended = await Promise.all(
      Array.from({ length: 50 }, () => store.append(makeDispatchCompleted(1))),
    );
    expect(appended.map((event) => event.seq)).toEqual(
      Array.from({ length: 50 }, (_, index) => index + 2),
    );
    const onDisk = await readRunEvents(paths, RUN_ID);
    expect(onDisk.map((event) => event.seq)).toEqual(
      Array.from({ length: 51 }, (_, index) => index + 1),
    );
    expect(store.run).toMatchObject({ costUsd: 50, eventCount: 51 });
    expect(store.run.tokens.inputTokens).toBe(500);
    await store.close();
    expect(await readRun(paths, RUN_ID)).toMatchObject({ costUsd: 50, eventCount: 51 });
    expect(await readRun(paths, RUN_ID)).toEqual(store.run);
  });

  it("writes everything waiting while the writer is busy in one append, and resolves each caller only once it is on disk", async () => {
    const paths = await makePaths();
    const gate = makeGate();
    const counting = makeCountingIo();
    let isHeld = false;
    const store = await createStore(paths, {
      io: {
        ...counting.io,
        appendLines: async (file, lines) => {
          counting.appendedBatches.push([...lines]);
          if (isHeld) await gate.promise;
          return appendLines(file, lines);
        },
      },
    });
    expect(counting.appendedBatches).toHaveLength(1);
    isHeld = true;
    const resolved: number[] = [];
    const first = store.append(makeDispatchCompleted()).then((event) => resolved.push(event.seq));
    // Let the writer take the first event and block on its write, then queue ten more.
    await vi.waitFor(() => expect(counting.appendedBatches).toHaveLength(2));
    const rest = Array.from({ length: 10 }, () =>
      store.append(makeDispatchCompleted()).then((event) => resolved.push(event.seq)),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(resolved).toEqual([]);
    expect(counting.appendedBatches).toHaveLength(2);
    isHeld = false;
    gate.open();
    await Promise.all([first, ...rest]);
    // run.created, then the first event alone, then the ten that waited: one write each.
    expect(counting.appendedBatches.map((lines) => lines.length)).toEqual([1, 1, 10]);
    expect(resolved).toEqual(Array.from({ length: 11 }, (_, index) => index + 2));
    await store.close();
  });

  it("writes a burst appended in one tick with a single append", async () => {
    const paths = await makePaths();
    const counting = makeCountingIo();
    const store = await createStore(paths, { io: counting.io });
    await Promise.all(Array.from({ length: 20 }, () => store.append(makeGateCompleted())));
    expect(counting.appendedBatches.map((lines) => lines.length)).toEqual([1, 20]);
    await store.close();
  });

  it("rejects an event the schema refuses alone: it takes no seq, its batch goes on", async () => {
    const paths = await makePaths();
    const store = await createStore(paths);
    const results = await Promise.allSettled([
      store.append(makeDispatchCompleted(1)),
      store.append({ type: "round.started", taskId: "T-001", round: 0, head: "x" }),
      store.append(makeDispatchCompleted(2)),
      // The reducer refuses this one: a run has one run.created.
      store.append(makeCreated()),
      store.append(makeDispatchCompleted(4)),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    const [schemaRefused, reducerRefused] = results.flatMap((result) =>
      result.status === "rejected" ? [result.reason as unknown] : [],
    );
    expect(schemaRefused).toBeInstanceOf(StateError);
    expect((schemaRefused as Error).message).toMatch(
      /^Refusing to record round\.started in .*events\.jsonl: round: /,
    );
    expect((reducerRefused as Error).message).toMatch(/second run\.created/);
    const onDisk = await readRunEvents(paths, RUN_ID);
    expect(onDisk.map((event) => event.seq)).toEqual([1, 2, 3, 4]);
    expect(store.run).toMatchObject({ costUsd: 7, eventCount: 4 });
    await store.close();
  });

  it("rejects every event of a batch whose write fails, folds none of them and records nothing after", async () => {
    const paths = await makePaths();
    const diskFull = Object.assign(new Error("ENOSPC: no space left on device"), {
      code: "ENOSPC",
    });
    let isFailing = false;
    const store = await createStore(paths, {
      io: {
        appendLines: (file, lines) =>
          isFailing ? Promise.reject(diskFull) : appendLines(file, lines),
      },
    });
    await store.append(makeDispatchCompleted(1));
    const before = store.run;
    isFailing = true;
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () => store.append(makeDispatchCompleted(5))),
    );
    expect(results).toEqual(
      Array.from({ length: 3 }, () => ({ status: "rejected", reason: diskFull })),
    );
    expect(store.run).toBe(before);
    expect(store.events).toHaveLength(2);
    // The failed write may have left part of the batch on disk: this process stops writing.
    isFailing = false;
    const after: unknown = await store
      .append(makeDispatchCompleted(1))
      .catch((caught: unknown) => caught);
    expect(after).toBeInstanceOf(StateError);
    expect((after as Error).message).toMatch(
      /an earlier write to .*events\.jsonl failed \(ENOSPC: no space left on device\).*bosun status 20260101-000000-aaaa says how/,
    );
    await store.close();
    expect(await readRun(paths, RUN_ID)).toEqual(before);
    const reopened = await RunStore.open(paths, RUN_ID);
    expect(reopened.run).toEqual(before);
    expect((await reopened.append(makeDispatchCompleted(1))).seq).toBe(3);
    await reopened.close();
  });

  it("close waits for queued events, and later appends are refused", async () => {
    const paths = await makePaths();
    const store = await createStore(paths);
    const pending = store.append(makeDispatchCompleted(3));
    await store.close();
    expect((await pending).seq).toBe(2);
    expect(await readRun(paths, RUN_ID)).toMatchObject({ costUsd: 3, eventCount: 2 });
    await expect(store.append(makeDispatchCompleted())).rejects.toThrow(
      /^Run 20260101-000000-aaaa is closed; cannot record dispatch\.completed/,
    );
  });
});

describe("RunStore.create and run-id collisions", () => {
  it("draws a new id when the run directory exists, and reports the id it used", async () => {
    const paths = await makePaths();
    const taken = "20260101-000000-0000";
    await mkdir(paths.runDir(taken), { recursive: true });
    await writeFile(path.join(paths.runDir(taken), "marker"), "someone else's run\n");
    const ids = [taken, taken, RUN_ID];
    const writtenFor: string[] = [];
    const store = await RunStore.create(paths, "goal", makeCreated(), {
      createId: () => ids.shift() ?? "unexpected",
      writeInputs: (runId) => {
        writtenFor.push(runId);
        return Promise.resolve();
      },
    });
    expect(store.runId).toBe(RUN_ID);
    expect(writtenFor).toEqual([RUN_ID]);
    expect(await readFile(path.join(paths.runDir(taken), "marker"), "utf8")).toBe(
      "someone else's run\n",
    );
    expect(await readRun(paths, RUN_ID)).toMatchObject({ id: RUN_ID });
    await store.close();
  });

  it("gives two runs created at once with the same first id a directory each", async () => {
    const paths = await makePaths();
    const sequences = [
      ["20260101-000000-1111", "20260101-000000-2222"],
      ["20260101-000000-1111", "20260101-000000-3333"],
    ];
    const stores = await Promise.all(
      sequences.map((ids) =>
        RunStore.create(paths, "goal", makeCreated(), { createId: () => ids.shift() ?? "x" }),
      ),
    );
    const runIds = stores.map((store) => store.runId);
    expect(new Set(runIds).size).toBe(2);
    expect(runIds).toContain("20260101-000000-1111");
    for (const store of stores) {
      expect(await readRunEvents(paths, store.runId)).toHaveLength(1);
      await store.close();
    }
  });

  it("gives up after a few taken ids with a StateError naming them", async () => {
    const paths = await makePaths();
    await mkdir(paths.runDir(RUN_ID), { recursive: true });
    const error: unknown = await RunStore.create(paths, "goal", makeCreated(), {
      createId: () => RUN_ID,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toContain(
      `${RUN_ID_ATTEMPTS} ids in a row were taken (${RUN_ID}, ${RUN_ID}`,
    );
  });
});

describe("run.json throttle", () => {
  it("writes the first event at once, then at most once per interval; close writes the latest", async () => {
    const paths = await makePaths();
    const counting = makeCountingIo({ nowMs: () => 0 });
    const store = await createStore(paths, { io: counting.io });
    expect(counting.writtenRuns.map((run) => run.eventCount)).toEqual([1]);
    for (let index = 0; index < 10; index += 1) await store.append(makeDispatchCompleted(1));
    await Promise.all(Array.from({ length: 10 }, () => store.append(makeDispatchCompleted(1))));
    // The clock stands still: every append falls inside the interval after the first write.
    expect(counting.writtenRuns).toHaveLength(1);
    expect(await readRun(paths, RUN_ID)).toMatchObject({ eventCount: 1 });
    await store.close();
    expect(counting.writtenRuns.map((run) => run.eventCount)).toEqual([1, 21]);
    expect(await readRun(paths, RUN_ID)).toMatchObject({ eventCount: 21, costUsd: 20 });
  });

  it("writes a change of status before the append resolves, even inside the interval", async () => {
    const paths = await makePaths();
    const counting = makeCountingIo({ nowMs: () => 0 });
    const store = await createStore(paths, { io: counting.io });
    await store.append(makeDispatchCompleted(1));
    await store.append({ type: "run.paused", reason: "--single-round: one round ran" });
    expect(await readRun(paths, RUN_ID)).toMatchObject({ status: "paused", eventCount: 3 });
    await store.append({ type: "run.resumed", pid: process.pid });
    expect(await readRun(paths, RUN_ID)).toMatchObject({ status: "running", eventCount: 4 });
    await store.append(makeGateCompleted());
    await store.append({ type: "run.completed", status: "failed", reason: "x" });
    expect(await readRun(paths, RUN_ID)).toMatchObject({ status: "failed", eventCount: 6 });
    expect(counting.writtenRuns.map((run) => run.status)).toEqual([
      "running",
      "paused",
      "running",
      "failed",
    ]);
    await store.close();
    expect(counting.writtenRuns).toHaveLength(4);
  });

  it("writes the trailing snapshot by itself once the interval has passed", async () => {
    const paths = await makePaths();
    const counting = makeCountingIo();
    const store = await createStore(paths, { io: counting.io, runJsonIntervalMs: 20 });
    for (let index = 0; index < 5; index += 1) await store.append(makeDispatchCompleted(1));
    await vi.waitFor(async () =>
      expect(await readRun(paths, RUN_ID)).toMatchObject({ eventCount: 6, costUsd: 5 }),
    );
    const writes = counting.writtenRuns.length;
    await store.close();
    // Nothing changed since the trailing write: close has nothing left to write.
    expect(counting.writtenRuns).toHaveLength(writes);
  });

  it("never runs two writes of run.json at once", async () => {
    const paths = await makePaths();
    let inFlight = 0;
    let maxInFlight = 0;
    const store = await createStore(paths, {
      runJsonIntervalMs: 0,
      io: {
        writeRun: async (file, run) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          await writeJsonAtomic(file, RunSchema, run);
          inFlight -= 1;
        },
      },
    });
    for (let index = 0; index < 10; index += 1) {
      await store.append(makeDispatchCompleted(1));
      // A status change asks for a write at once, while the throttled one may be in flight.
      await store.append({ type: "run.paused", reason: "p" });
      await store.append({ type: "run.resumed", pid: process.pid });
    }
    await store.close();
    expect(maxInFlight).toBe(1);
    expect(await readRun(paths, RUN_ID)).toEqual(store.run);
  });
});
