import { spawn } from "node:child_process";
import { mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { readOwnIdentity } from "../proc/liveness.js";
import { readStartTime } from "../proc/proc-scan.js";
import { createBosunPaths, type BosunPaths } from "./paths.js";
import { acquireTreeLock, parseTreeLock } from "./tree-lock.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A repository dir with two working trees in it: `main` (holding .bosun/) and `wt`. */
async function makeTrees(): Promise<{ paths: BosunPaths; main: string; wt: string }> {
  const dir = await makeTestDir();
  const main = path.join(dir, "main");
  const wt = path.join(dir, "wt");
  await mkdir(main);
  await mkdir(wt);
  return { paths: createBosunPaths(main), main, wt };
}

/** Starts a process that stays alive until the test ends; returns its pid. */
function makeLiveProcess(): number {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  cleanups.push(() => child.kill("SIGKILL"));
  if (child.pid === undefined) throw new Error("spawn failed");
  return child.pid;
}

async function catchError(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error("expected a rejection");
  return error;
}

describe("acquireTreeLock", () => {
  it("writes who holds the tree as JSON a human can read, and release() removes it", async () => {
    const { paths, main } = await makeTrees();
    const lock = await acquireTreeLock(paths, main, { runId: "20260101-000000-aaaa" });
    expect(lock.file).toBe(paths.treeLockFile(main));
    const text = await readFile(lock.file, "utf8");
    expect(JSON.parse(text)).toEqual({
      version: 1,
      pid: process.pid,
      startTime: readOwnIdentity().startTime,
      runId: "20260101-000000-aaaa",
      cwd: main,
    });
    expect(text).toContain('\n  "runId": "20260101-000000-aaaa",\n');
    await lock.release();
    expect(await readdir(paths.locksDir)).toEqual([]);
  });

  it("refuses a second run in the same tree, naming the run, its process and the tree", async () => {
    const { paths, main } = await makeTrees();
    const lock = await acquireTreeLock(paths, main, { runId: "20260101-000000-aaaa" });
    const error = await catchError(acquireTreeLock(paths, main, { runId: "20260101-000000-bbbb" }));
    expect(error).toBeInstanceOf(StateError);
    expect(error.message).toBe(
      `Run 20260101-000000-aaaa (process ${process.pid}) is still working in ${main}; two runs in one working tree would mix their changes. Wait for it ("bosun status 20260101-000000-aaaa") or stop it first (lock: ${lock.file}).`,
    );
    await lock.release();
  });

  it("lets runs in different trees work at once", async () => {
    const { paths, main, wt } = await makeTrees();
    const first = await acquireTreeLock(paths, main, { runId: "20260101-000000-aaaa" });
    const second = await acquireTreeLock(paths, wt, { runId: "20260101-000000-bbbb" });
    expect(second.file).not.toBe(first.file);
    await second.release();
    await first.release();
  });

  it("finds the one lock of a tree through any spelling of its path (a symlink, '..')", async () => {
    const { paths, main } = await makeTrees();
    const link = path.join(path.dirname(main), "link-to-main");
    await symlink(main, link);
    const lock = await acquireTreeLock(paths, main, { runId: "20260101-000000-aaaa" });
    for (const spelling of [link, path.join(main, "..", "main")]) {
      await expect(acquireTreeLock(paths, spelling)).rejects.toThrow(
        "Run 20260101-000000-aaaa (process",
      );
    }
    await lock.release();
  });

  it("names the process alone when the holder is no run", async () => {
    const { paths, main } = await makeTrees();
    const holder = makeLiveProcess();
    const file = paths.treeLockFile(main);
    await mkdir(paths.locksDir, { recursive: true });
    await writeFile(
      file,
      JSON.stringify({ version: 1, pid: holder, startTime: readStartTime(holder), cwd: main }),
    );
    await expect(acquireTreeLock(paths, main)).rejects.toThrow(
      `Process ${holder} is still working in ${main}; two runs in one working tree would mix their changes. Wait for it or stop it first (lock: ${file}).`,
    );
  });

  it("takes over the lock of a dead holder, of a reused pid, or damaged text", async () => {
    const { paths, main } = await makeTrees();
    const file = paths.treeLockFile(main);
    await mkdir(paths.locksDir, { recursive: true });
    const live = makeLiveProcess();
    const stale = [
      // pid 2^22 + 1 is above Linux's pid limit, so it names no process.
      JSON.stringify({ version: 1, pid: 4194305, runId: "20260101-000000-dead", cwd: main }),
      JSON.stringify({ version: 1, pid: live, startTime: "1", cwd: main }),
      "{ not json",
      JSON.stringify({ version: 1, pid: "42", cwd: main }),
    ];
    for (const text of stale) {
      await writeFile(file, text);
      const lock = await acquireTreeLock(paths, main, { runId: "20260101-000000-aaaa" });
      expect(parseTreeLock(await readFile(file, "utf8"))).toMatchObject({ pid: process.pid });
      await lock.release();
    }
  });

  it("says which path it could not resolve when the tree does not exist", async () => {
    const { paths, main } = await makeTrees();
    await expect(acquireTreeLock(paths, path.join(main, "missing"))).rejects.toThrow(
      `Cannot read ${path.join(main, "missing")}`,
    );
  });
});
