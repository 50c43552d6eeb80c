import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { acquireRunLock, isProcessAlive } from "./run-lock.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Starts a process that stays alive until the test ends; returns its pid. */
function makeLiveProcess(): number {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  cleanups.push(() => child.kill("SIGKILL"));
  if (child.pid === undefined) throw new Error("spawn failed");
  return child.pid;
}

/** Runs a process to completion and returns its (now dead, reaped) pid. */
async function makeDeadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  if (child.pid === undefined) throw new Error("spawn failed");
  return child.pid;
}

describe("acquireRunLock", () => {
  it("writes our pid into a new lock file and release() removes it", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    const lock = await acquireRunLock(file, "Run r1");
    expect(await readFile(file, "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
    await expect(readFile(file, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a lock held by a live process, naming its pid and the file", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    const holder = makeLiveProcess();
    await writeFile(file, `${holder}\n`);
    const error: unknown = await acquireRunLock(file, "Run r1").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toBe(
      `Run r1 is locked by process ${holder} (${file}). Wait for it to finish or stop it first.`,
    );
    expect(await readFile(file, "utf8")).toBe(`${holder}\n`);
  });

  it("refuses a second writer in the same process", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    const lock = await acquireRunLock(file, "Run r1");
    await expect(acquireRunLock(file, "Run r1")).rejects.toThrow(
      `locked by process ${process.pid}`,
    );
    await lock.release();
    const again = await acquireRunLock(file, "Run r1");
    await again.release();
  });

  it("takes over a lock holding our own pid that this process never took (pid reused after a crash)", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    await writeFile(file, `${process.pid}\n`);
    const lock = await acquireRunLock(file, "Run r1");
    expect(await readFile(file, "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
  });

  it("takes over a stale lock left by a dead process", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    const dead = await makeDeadPid();
    expect(isProcessAlive(dead)).toBe(false);
    await writeFile(file, `${dead}\n`);
    const lock = await acquireRunLock(file, "Run r1");
    expect(await readFile(file, "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
  });

  it("takes over a lock file holding garbage", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    await writeFile(file, "not a pid");
    const lock = await acquireRunLock(file, "Run r1");
    expect(await readFile(file, "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
  });

  it("release() leaves a lock that another process has since taken", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    const lock = await acquireRunLock(file, "Run r1");
    const other = makeLiveProcess();
    await writeFile(file, `${other}\n`);
    await lock.release();
    expect(await readFile(file, "utf8")).toBe(`${other}\n`);
  });
});

describe("isProcessAlive", () => {
  it("is true for this process and false for a reaped one", async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(await makeDeadPid())).toBe(false);
  });
});
