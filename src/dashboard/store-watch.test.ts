import { mkdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { startStoreWatch, type StoreChange } from "./store-watch.js";

const RUN_ID = "20261203-110000-abcd";

/** Live fs.watch handles of this process. */
function countWatchers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "FSEventWrap").length;
}

/** Watches a fresh repository's store, collecting what the page would be told. */
async function startWatching(): Promise<{
  paths: BosunPaths;
  told: StoreChange[];
  until: (change: StoreChange) => Promise<void>;
  close: () => void;
}> {
  const paths = createBosunPaths(await makeTestDir());
  const watch = startStoreWatch(paths);
  onTestFinished(() => watch.close());
  const told: StoreChange[] = [];
  watch.subscribe((change) => told.push(change));
  return {
    paths,
    told,
    until: async (change) => {
      await waitFor(`"${change}"`, () => (told.includes(change) ? true : undefined));
    },
    close: () => watch.close(),
  };
}

describe("startStoreWatch", () => {
  it("tells of a run made with .bosun/runs itself, and again once its run.json is there", async () => {
    const { paths, told, until } = await startWatching();
    // The runs folder and the run's folder in one go: no change names the run.
    mkdirSync(paths.runDir(RUN_ID), { recursive: true });
    await until("runs");
    told.length = 0;
    await writeFile(paths.runFile(RUN_ID), "{}");
    await until("runs");
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
});
