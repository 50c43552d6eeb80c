import { mkdirSync, renameSync, watch as watchRaw, writeFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { StateError } from "../errors.js";
import { watchDirectory, type DirectoryWatch } from "./watch-dir.js";

/** What a watch told: a name, `"*"` for the whole folder, or `"error: …"`. */
type Told = string;

/** Live fs.watch handles of this process. */
function countWatchers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "FSEventWrap").length;
}

async function waitForWatchers(count: number): Promise<void> {
  await waitFor(`${count} live watchers`, () => (countWatchers() === count ? true : undefined));
}

/** Watches `dir`, collecting what is told; closed when the test ends. */
function startWatching(
  dir: string,
  signal?: AbortSignal,
): { watch: DirectoryWatch; told: Told[]; until: (what: Told) => Promise<void> } {
  const told: Told[] = [];
  const watch = watchDirectory(dir, {
    onChange: (name) => told.push(name ?? "*"),
    onError: (error) => told.push(`error: ${error.message}`),
    ...(signal === undefined ? {} : { signal }),
  });
  onTestFinished(() => watch.close());
  return {
    watch,
    told,
    until: async (what) => {
      await waitFor(`"${what}" to be told`, () => (told.includes(what) ? true : undefined));
    },
  };
}

/** Lets a watch deliver what it has seen: inotify's queue is read, then one more turn passes. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe("watchDirectory", () => {
  it("tells each entry of an existing folder by name as it is made, written or removed", async () => {
    const dir = await makeTestDir();
    const { watch, told, until } = startWatching(dir);
    expect(watch.isPresent).toBe(true);
    await writeFile(path.join(dir, "a.json"), "{}");
    await until("a.json");
    await rm(path.join(dir, "a.json"));
    await writeFile(path.join(dir, "b.json"), "{}");
    await until("b.json");
    expect(told.filter((name) => name !== "a.json" && name !== "b.json")).toEqual([]);
  });

  it("tells a file renamed into the folder (an atomic write), each name once per burst", async () => {
    const dir = await makeTestDir();
    const { told, until } = startWatching(dir);
    // One burst, all in the kernel's queue before the watch reads it: the temp file alone is
    // made, written and renamed away (three events), the answer renamed in (one).
    writeFileSync(path.join(dir, "a.json.tmp"), "{}");
    renameSync(path.join(dir, "a.json.tmp"), path.join(dir, "a.json"));
    await until("a.json");
    await settle();
    expect(told).toEqual(["a.json.tmp", "a.json"]);
  });

  it("waits for a folder several levels down, then tells it appeared and its entries by name", async () => {
    const root = await makeTestDir();
    const dir = path.join(root, ".bosun", "asks", "answers");
    const { watch, told, until } = startWatching(dir);
    expect(watch.isPresent).toBe(false);
    await mkdir(path.join(root, ".bosun"));
    await settle();
    // A folder on the way is not the folder: nothing to read yet.
    expect(told).toEqual([]);
    await mkdir(dir, { recursive: true });
    await until("*");
    expect(watch.isPresent).toBe(true);
    writeFileSync(path.join(dir, "q1.json"), "{}");
    await until("q1.json");
    await settle();
    expect(told).toEqual(["*", "q1.json"]);
  });

  it("follows a folder removed and made again, telling both and the new folder's entries", async () => {
    const root = await makeTestDir();
    const dir = path.join(root, "runs");
    await mkdir(dir);
    const { watch, told, until } = startWatching(dir);
    await rm(dir, { recursive: true });
    await until("*");
    expect(watch.isPresent).toBe(false);
    told.length = 0;
    await mkdir(dir);
    await until("*");
    expect(watch.isPresent).toBe(true);
    await writeFile(path.join(dir, "run.json"), "{}");
    await until("run.json");
  });

  it("follows a folder replaced by another one renamed over its path", async () => {
    const root = await makeTestDir();
    const dir = path.join(root, "asks");
    await mkdir(dir);
    await mkdir(path.join(root, "asks.new"));
    const { told, until } = startWatching(dir);
    await rm(dir, { recursive: true });
    await rename(path.join(root, "asks.new"), dir);
    await until("*");
    told.length = 0;
    await writeFile(path.join(dir, "q2.json"), "{}");
    await until("q2.json");
  });

  it("says when a file is where the folder should be: at the start, or once it appears", async () => {
    const root = await makeTestDir({ runs: "not a folder" });
    expect(() => watchDirectory(path.join(root, "runs", "x"), NO_LISTENER)).toThrow(StateError);
    expect(() => watchDirectory(path.join(root, "runs"), NO_LISTENER)).toThrow(
      `${path.join(root, "runs")} is not a directory. Move it aside`,
    );

    const before = countWatchers();
    const { told } = startWatching(path.join(root, "asks"));
    await writeFile(path.join(root, "asks"), "not a folder either");
    await waitFor("an error", () => (told[0]?.startsWith("error: ") === true ? true : undefined));
    expect(told).toEqual([
      expect.stringContaining(`${path.join(root, "asks")} is not a directory`),
    ]);
    // Failed means closed: nothing is watched or told any more.
    await waitForWatchers(before);
    await rm(path.join(root, "asks"));
    await mkdir(path.join(root, "asks"));
    await settle();
    expect(told).toHaveLength(1);
  });

  it("closes cleanly: its watcher is gone and a change already seen is not told", async () => {
    const dir = await makeTestDir();
    const before = countWatchers();
    const { watch, told, until } = startWatching(path.join(dir, "not", "yet"));
    expect(countWatchers()).toBe(before + 1);
    mkdirSync(path.join(dir, "not", "yet"), { recursive: true });
    await until("*");
    // A second watcher of the folder, started after the watch's own: libuv hands an inotify
    // event to a folder's watchers in the order they started, so the watch has seen the change
    // (and not yet told it, which waits for the end of the turn) when this one closes it.
    const probe = watchRaw(path.join(dir, "not", "yet"), () => watch.close());
    writeFileSync(path.join(dir, "not", "yet", "a"), "");
    await waitForWatchers(before + 1);
    probe.close();
    await settle();
    expect(told).toEqual(["*"]);
    await waitForWatchers(before);
  });

  it("closes when its signal aborts, and watches nothing for one aborted already", async () => {
    const dir = await makeTestDir();
    const before = countWatchers();
    const controller = new AbortController();
    const { watch } = startWatching(dir, controller.signal);
    expect(countWatchers()).toBe(before + 1);
    controller.abort();
    await waitForWatchers(before);
    expect(watch.isPresent).toBe(false);

    const aborted = startWatching(dir, AbortSignal.abort());
    expect(countWatchers()).toBe(before);
    await writeFile(path.join(dir, "a"), "");
    await settle();
    expect(aborted.told).toEqual([]);
  });
});

const NO_LISTENER = { onChange: () => undefined, onError: () => undefined };
