import { spawn } from "node:child_process";
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { isProcessAlive, readOwnIdentity } from "../proc/liveness.js";
import { readStartTime } from "../proc/proc-scan.js";
import { acquireRunLock, readLiveLockHolder, type TakeoverStep } from "./run-lock.js";

/** What a run lock taken by this process holds: `<pid> <start time>`. */
const OUR_LOCK = `${process.pid} ${readOwnIdentity().startTime ?? "-"}\n`;

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
  it("writes our pid and start time into a new lock file and release() removes it", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    const lock = await acquireRunLock(file, "Run r1");
    expect(await readFile(file, "utf8")).toMatch(new RegExp(`^${process.pid} \\d+\\n$`));
    expect(await readFile(file, "utf8")).toBe(OUR_LOCK);
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
    expect(await readFile(file, "utf8")).toBe(OUR_LOCK);
    await lock.release();
  });

  it("takes over a stale lock left by a dead process", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    const dead = await makeDeadPid();
    expect(isProcessAlive(dead)).toBe(false);
    await writeFile(file, `${dead}\n`);
    const lock = await acquireRunLock(file, "Run r1");
    expect(await readFile(file, "utf8")).toBe(OUR_LOCK);
    await lock.release();
  });

  it("takes over a lock file holding garbage", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    await writeFile(file, "not a pid");
    const lock = await acquireRunLock(file, "Run r1");
    expect(await readFile(file, "utf8")).toBe(OUR_LOCK);
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

  it("refuses a live holder in the current format, and takes over one whose pid was reused", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    const holder = makeLiveProcess();
    const startTime = readStartTime(holder);
    expect(startTime).toBeDefined();
    await writeFile(file, `${holder} ${startTime}\n`);
    await expect(acquireRunLock(file, "Run r1")).rejects.toThrow(`locked by process ${holder}`);
    expect(await readLiveLockHolder(file)).toBe(holder);

    // The same pid with another start time: the holder died and its pid went to a new process.
    await writeFile(file, `${holder} 1\n`);
    expect(await readLiveLockHolder(file)).toBeUndefined();
    const lock = await acquireRunLock(file, "Run r1");
    expect(await readFile(file, "utf8")).toBe(OUR_LOCK);
    await lock.release();
  });
});

/** A promise and the function that settles it, to hold an acquirer at a takeover step. */
function makeGate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A takeover hook that stops at `step`, says so, and waits for `resume`. */
function makePause(step: TakeoverStep, reached: () => void, resume: Promise<void>) {
  return async (at: TakeoverStep): Promise<void> => {
    if (at !== step) return;
    reached();
    await resume;
  };
}

describe("taking over a stale lock", () => {
  it("leaves it to one of two acquirers that both found the same dead holder", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    await writeFile(file, `${await makeDeadPid()}\n`);
    const reached = makeGate();
    const resume = makeGate();
    // B finds the dead holder and is held just before it takes the lock over...
    const second = acquireRunLock(file, "Run r1", {
      onTakeover: makePause("stale-found", reached.open, resume.promise),
    }).catch((error: unknown) => error);
    await reached.promise;
    // ...while A finds the same dead holder and takes the lock over first.
    const first = await acquireRunLock(file, "Run r1");
    resume.open();

    const error = await second;
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toContain(`Run r1 is locked by process ${process.pid}`);
    // A's fresh lock is still in place, and still A's: release() removes it.
    expect(await readFile(file, "utf8")).toBe(OUR_LOCK);
    expect(await readLiveLockHolder(file)).toBe(process.pid);
    await first.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("says so when a third acquirer links its lock while a live one is set aside", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "lock");
    await writeFile(file, `${await makeDeadPid()}\n`);
    const foundStale = makeGate();
    const afterStale = makeGate();
    const movedAside = makeGate();
    const afterMove = makeGate();
    const second = acquireRunLock(file, "Run r1", {
      onTakeover: async (step) => {
        const [reached, resume] =
          step === "stale-found" ? [foundStale, afterStale] : [movedAside, afterMove];
        reached.open();
        await resume.promise;
      },
    }).catch((error: unknown) => error);
    await foundStale.promise;
    const first = await acquireRunLock(file, "Run r1");
    afterStale.open();
    // B has moved A's fresh lock aside; C finds no lock at all and links its own.
    await movedAside.promise;
    const third = await acquireRunLock(file, "Run r1");
    afterMove.open();

    const error = await second;
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(/was taken by two processes at once/);
    await third.release();
    await first.release();
    expect(await readdir(dir)).toEqual([]);
  });
});
