import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths, type BosunPaths } from "./paths.js";
import { listRunIds, readRun, readRunEvents, resolveRunId } from "./run-read.js";
import { RunStore, createRunId } from "./run-store.js";
import type { RunEventInput } from "./schema/events.js";

function makeCreated(maxRounds = 2): Extract<RunEventInput, { type: "run.created" }> {
  return {
    type: "run.created",
    version: 2,
    flow: "review",
    taskId: "T-001",
    title: "Add sum()",
    baseCommit: "base000",
    options: { worker: "claude", reviewer: "codex", maxRounds, verify: "", timeoutSec: 60 },
  };
}

function makeDispatchCompleted(
  costUsd: number,
  inputTokens: number,
  outputTokens: number,
): RunEventInput {
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
    tokens: { inputTokens, cachedInputTokens: 0, outputTokens },
    durationMs: 5,
    spawns: 1,
  };
}

/** Creates run `runId` (a fixed id, so tests can name its files). */
function createStore(
  paths: BosunPaths,
  request: string,
  created = makeCreated(),
  runId = "r1",
): Promise<RunStore> {
  return RunStore.create(paths, request, created, { createId: () => runId });
}

async function makePaths(): Promise<BosunPaths> {
  return createBosunPaths(await makeTestDir());
}

async function readLines(file: string): Promise<unknown[]> {
  return (await readFile(file, "utf8"))
    .split("\n")
    .filter((line) => line !== "")
    .map((line): unknown => JSON.parse(line));
}

describe("RunStore", () => {
  it("create writes request.md, events.jsonl, run.json and the lock", async () => {
    const paths = await makePaths();
    const store = await createStore(paths, "Add sum()");
    expect(await readFile(paths.requestFile("r1"), "utf8")).toBe("Add sum()\n");
    expect(await readLines(paths.eventsFile("r1"))).toEqual([
      expect.objectContaining({ seq: 1, type: "run.created", version: 2, taskId: "T-001" }),
    ]);
    expect(await readRun(paths, "r1")).toEqual(store.run);
    expect(store.run).toMatchObject({ id: "r1", status: "running", eventCount: 1 });
    expect(await readFile(paths.lockFile("r1"), "utf8")).toMatch(
      new RegExp(`^${process.pid} \\d+\\n$`),
    );
    await store.close();
    await expect(readFile(paths.lockFile("r1"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("append numbers events and syncs them; run.json holds the last of them after close; cost and tokens accumulate", async () => {
    const paths = await makePaths();
    const store = await createStore(paths, "goal");
    await store.append({ type: "round.started", taskId: "T-001", round: 1, head: "base000" });
    await store.append(makeDispatchCompleted(0.25, 1000, 100));
    const last = await store.append(makeDispatchCompleted(0.5, 2000, 200));
    expect(last.seq).toBe(4);
    expect(store.run).toMatchObject({
      costUsd: 0.75,
      tokens: { inputTokens: 3000, outputTokens: 300 },
      round: 1,
      eventCount: 4,
    });
    expect((await readRunEvents(paths, "r1")).map((event) => event.seq)).toEqual([1, 2, 3, 4]);
    await store.close();
    // run.json is throttled while the run goes on; close writes the latest.
    expect(await readRun(paths, "r1")).toEqual(store.run);
  });

  it("refuses an event that fails the schema and records nothing", async () => {
    const paths = await makePaths();
    const store = await createStore(paths, "goal");
    await expect(
      store.append({ type: "round.started", taskId: "T-001", round: 0, head: "x" }),
    ).rejects.toThrow(/round/);
    expect(await readRunEvents(paths, "r1")).toHaveLength(1);
    await store.close();
  });

  it("open replays events.jsonl, repairs a torn tail and rewrites a stale run.json", async () => {
    const paths = await makePaths();
    const store = await createStore(paths, "goal");
    const staleRunJson = await readFile(paths.runFile("r1"), "utf8");
    await store.append({ type: "round.started", taskId: "T-001", round: 1, head: "base000" });
    await store.append(makeDispatchCompleted(0.1, 10, 1));
    const expected = store.run;
    await store.close();
    // A crash after the append but before run.json was rewritten, mid-way through the next append.
    await writeFile(paths.runFile("r1"), staleRunJson);
    await appendFile(
      paths.eventsFile("r1"),
      '{"seq":4,"ts":"2026-11-22T12:00:00Z","type":"round.comp',
    );

    const reopened = await RunStore.open(paths, "r1");
    expect(reopened.run).toEqual(expected);
    expect(reopened.events).toHaveLength(3);
    expect(await readRun(paths, "r1")).toEqual(expected);
    const text = await readFile(paths.eventsFile("r1"), "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    const next = await reopened.append({ type: "run.completed", status: "failed", reason: "x" });
    expect(next.seq).toBe(4);
    await reopened.close();
    expect((await readRunEvents(paths, "r1")).map((event) => event.type).at(-1)).toBe(
      "run.completed",
    );
  });

  it("open refuses a journal whose seq repeats, naming the file and line, and releases the lock", async () => {
    const paths = await makePaths();
    const store = await createStore(paths, "goal");
    await store.append({ type: "round.started", taskId: "T-001", round: 1, head: "base000" });
    await store.close();
    // What a second writer that numbered from a stale count would have added.
    const [, second] = (await readFile(paths.eventsFile("r1"), "utf8")).split("\n");
    await appendFile(paths.eventsFile("r1"), `${second}\n`);
    await expect(RunStore.open(paths, "r1")).rejects.toThrow(
      `Invalid ${paths.eventsFile("r1")}:3: seq 2 repeats or goes back`,
    );
    await expect(readFile(paths.lockFile("r1"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("open refuses a run that has no events and releases the lock", async () => {
    const paths = await makePaths();
    await mkdir(paths.runDir("ghost"), { recursive: true });
    await expect(RunStore.open(paths, "ghost")).rejects.toThrow(/Run ghost not found/);
    await expect(readFile(paths.lockFile("ghost"), "utf8")).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("open refuses a run another live process is writing, naming its pid", async () => {
    const paths = await makePaths();
    const store = await createStore(paths, "goal");
    await store.close();
    // The test runner's parent process is alive and is not us.
    await writeFile(paths.lockFile("r1"), `${process.ppid}\n`);
    await expect(RunStore.open(paths, "r1")).rejects.toThrow(
      `is locked by process ${process.ppid}`,
    );
  });
});

describe("createRunId", () => {
  it("is sortable by time and safe as a directory name", () => {
    const id = createRunId(new Date("2026-11-22T12:50:12.345Z"));
    expect(id).toMatch(/^20261122-125012-[0-9a-f]{4}$/);
    expect(createRunId(new Date("2026-11-22T12:50:13Z")) > id).toBe(true);
  });
});

describe("resolveRunId", () => {
  async function makeRuns(...ids: string[]): Promise<BosunPaths> {
    const paths = await makePaths();
    for (const id of ids) await mkdir(paths.runDir(id), { recursive: true });
    return paths;
  }

  it("lists runs oldest first", async () => {
    const paths = await makeRuns("20261122-130000-bbbb", "20261121-090000-aaaa");
    expect(await listRunIds(paths)).toEqual(["20261121-090000-aaaa", "20261122-130000-bbbb"]);
  });

  it("resolves latest (and no argument) to the newest run", async () => {
    const paths = await makeRuns("20261121-090000-aaaa", "20261122-130000-bbbb");
    expect(await resolveRunId(paths, "latest")).toBe("20261122-130000-bbbb");
    expect(await resolveRunId(paths, undefined)).toBe("20261122-130000-bbbb");
  });

  it("resolves an exact id, a unique prefix and a unique suffix", async () => {
    const paths = await makeRuns(
      "20261121-090000-aaaa",
      "20261122-130000-bbbb",
      "20261122-130000-cbbb",
    );
    expect(await resolveRunId(paths, "20261122-130000-bbbb")).toBe("20261122-130000-bbbb");
    expect(await resolveRunId(paths, "20261121")).toBe("20261121-090000-aaaa");
    expect(await resolveRunId(paths, "aaaa")).toBe("20261121-090000-aaaa");
  });

  it("refuses an ambiguous prefix, listing the candidates (a usage error)", async () => {
    const paths = await makeRuns("20261122-130000-aaaa", "20261122-140000-bbbb");
    const error: unknown = await resolveRunId(paths, "20261122").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      'Run "20261122" is ambiguous: 20261122-130000-aaaa, 20261122-140000-bbbb. Give more of the id.',
    );
  });

  it("says when a run is not found (a usage error), or when there are no runs at all", async () => {
    const paths = await makeRuns("20261122-130000-aaaa");
    const error: unknown = await resolveRunId(paths, "zzz").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `Run "zzz" not found in ${paths.runsDir}. List runs with "bosun runs".`,
    );
    const empty = await makePaths();
    await expect(resolveRunId(empty, "latest")).rejects.toThrow(
      /^No runs in .*Start one with "bosun review"\.$/,
    );
    await expect(resolveRunId(empty, "zzz")).rejects.toThrow(
      /not found in .*There are no runs yet; start one with "bosun review"\.$/,
    );
  });
});
