import { mkdirSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { startStoreWatch, type StoreChange, type StoreChangeKind } from "./store-watch.js";

const RUN_ID = "20261203-110000-abcd";

/** Live fs.watch handles of this process. */
function countWatchers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "FSEventWrap").length;
}

/** Watches `paths` (a fresh repository's store unless given), collecting what the page is told. */
async function startWatching(given?: BosunPaths): Promise<{
  paths: BosunPaths;
  told: StoreChange[];
  until: (change: StoreChangeKind, runId?: string) => Promise<void>;
  close: () => void;
}> {
  const paths = given ?? createBosunPaths(await makeTestDir());
  const watch = startStoreWatch(paths);
  onTestFinished(() => watch.close());
  const told: StoreChange[] = [];
  watch.subscribe((change) => told.push(change));
  return {
    paths,
    told,
    until: async (change, runId) => {
      const isTold = (item: StoreChange): boolean =>
        item.change === change && (runId === undefined || item.runId === runId);
      await waitFor(`"${change}" ${runId ?? ""}`, () => (told.some(isTold) ? true : undefined));
    },
    close: () => watch.close(),
  };
}

/** Rewrites a run's run.json as the run's writer does: a temp file renamed over it. */
async function rewriteRunFile(paths: BosunPaths, runId: string, text: string): Promise<void> {
  await writeFile(`${paths.runFile(runId)}.tmp`, text);
  await rename(`${paths.runFile(runId)}.tmp`, paths.runFile(runId));
}

describe("startStoreWatch", () => {
  it("tells of a run made with .bosun/runs itself, and again once its run.json is there", async () => {
    const { paths, told, until } = await startWatching();
    // The runs folder and the run's folder in one go: no change names the run.
    mkdirSync(paths.runDir(RUN_ID), { recursive: true });
    await until("runs");
    told.length = 0;
    await writeFile(paths.runFile(RUN_ID), "{}");
    await until("runs", RUN_ID);
  });

  it("tells of a run's run.json rewritten by another process, naming the run", async () => {
    const paths = createBosunPaths(await makeTestDir());
    mkdirSync(paths.runDir(RUN_ID), { recursive: true });
    await writeFile(paths.runFile(RUN_ID), '{"status":"running"}');
    const { told, until } = await startWatching(paths);
    // A journal append is no change to the list.
    await writeFile(paths.eventsFile(RUN_ID), "{}\n");
    await rewriteRunFile(paths, RUN_ID, '{"status":"running"}');
    await rewriteRunFile(paths, RUN_ID, '{"status":"succeeded"}');
    await until("runs", RUN_ID);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Told per run, never as a change of the list as a whole (one, or two on a slow machine
    // whose writes fell into two coalescing windows).
    expect(told.length).toBeLessThanOrEqual(2);
    for (const change of told) expect(change).toEqual({ change: "runs", runId: RUN_ID });
  });

  it("stops watching a run's folder once it is removed", async () => {
    const paths = createBosunPaths(await makeTestDir());
    mkdirSync(paths.runDir(RUN_ID), { recursive: true });
    await writeFile(paths.runFile(RUN_ID), "{}");
    const before = countWatchers();
    const { until } = await startWatching(paths);
    const watching = countWatchers();
    await rm(paths.runDir(RUN_ID), { recursive: true });
    await until("runs");
    await waitFor("the run's watch to close", () =>
      countWatchers() < watching && countWatchers() > before ? true : undefined,
    );
  });

  it("tells of an ask answered by another process", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await mkdir(paths.answersDir, { recursive: true });
    await writeFile(paths.askFile("q1"), "{}");
    const { until } = await startWatching(paths);
    await writeFile(paths.answerFile("q1"), "{}");
    await until("asks");
  });

  it("tells of an ask opened before .bosun/asks/ existed", async () => {
    const { paths, until } = await startWatching();
    await mkdir(paths.asksDir, { recursive: true });
    await writeFile(paths.askFile("q1"), "{}");
    await until("asks");
  });

  it("closes every watcher", async () => {
    const before = countWatchers();
    const { close } = await startWatching();
    expect(countWatchers()).toBeGreaterThan(before);
    close();
    await waitFor("the watchers to close", () => (countWatchers() === before ? true : undefined));
  });

  it("tells of the pulse's journal, a decision and a worker's state, not of its beat lock", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await mkdir(paths.pulse.decisionsDir, { recursive: true });
    await mkdir(paths.pulse.workersDir, { recursive: true });
    const { told, until } = await startWatching(paths);
    // The loop's lock and a temp file are no news to the page.
    await writeFile(paths.pulse.beatLockFile, "1");
    await writeFile(`${paths.pulse.decisionFile("D-1")}.123.1.ab.tmp`, "{}");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(told).toEqual([]);
    await writeFile(paths.pulse.journalFile, "- a move\n");
    await until("pulse");
    told.length = 0;
    await writeFile(paths.pulse.decisionFile("D-1"), "{}");
    await until("pulse");
    told.length = 0;
    // A worker made after the watch started: its worker.json rewritten later is told too.
    await mkdir(paths.pulse.workerDir("w1"), { recursive: true });
    await until("pulse");
    await new Promise((resolve) => setTimeout(resolve, 100));
    told.length = 0;
    await writeFile(`${paths.pulse.workerDir("w1")}/worker.json`, "{}");
    await until("pulse");
    expect(told.every((change) => change.change === "pulse")).toBe(true);
  });
});
