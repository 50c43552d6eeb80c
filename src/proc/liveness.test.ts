import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  formatProcessIdentity,
  isPidReused,
  isProcessAlive,
  isSameLiveProcess,
  parseProcessIdentity,
  readOwnIdentity,
} from "./liveness.js";
import { readStartTime } from "./proc-scan.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Runs a process to completion and returns its (now dead, reaped) pid. */
async function makeDeadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  if (child.pid === undefined) throw new Error("spawn failed");
  return child.pid;
}

/**
 * A zombie: a child that exits under a shell which has exec'd `sleep`, and so never reaps it.
 * Returns the zombie's pid.
 */
async function makeZombiePid(): Promise<number> {
  const parent = spawn("/bin/sh", ["-c", "sh -c 'echo $$' & exec sleep 60"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  cleanups.push(() => parent.kill("SIGKILL"));
  const pid = await new Promise<number>((resolve) =>
    parent.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim()))),
  );
  for (let waited = 0; waited < 5000; waited += 20) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return pid;
    } catch {
      // Not there yet or gone: keep polling.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`process ${pid} never became a zombie`);
}

describe("isProcessAlive", () => {
  it("is true for this process and false for a reaped one", async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(await makeDeadPid())).toBe(false);
  });

  it("is false for a zombie: dead, only not reaped (a killed bosun under a pid 1 that never reaps)", async () => {
    const zombie = await makeZombiePid();
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(isProcessAlive(zombie)).toBe(false);
  });
});

describe("isSameLiveProcess", () => {
  it("needs the pid alive and, when both are known, the same start time", async () => {
    const own = readOwnIdentity();
    expect(own.startTime).toMatch(/^\d+$/);
    expect(isSameLiveProcess(own)).toBe(true);
    // An old record without a start time: the pid alone decides.
    expect(isSameLiveProcess({ pid: process.pid })).toBe(true);
    // The pid now belongs to a process started at another time: a different process.
    const reused = { pid: process.pid, startTime: "1" };
    expect(isPidReused(reused)).toBe(true);
    expect(isSameLiveProcess(reused)).toBe(false);
    const dead = await makeDeadPid();
    expect(isSameLiveProcess({ pid: dead })).toBe(false);
    // A free pid is not "reused": its group may still hold processes to end (pid-file.ts).
    expect(isPidReused({ pid: dead, startTime: "1" })).toBe(false);
    expect(readStartTime(dead)).toBeUndefined();
  });
});

describe("formatProcessIdentity and parseProcessIdentity", () => {
  it("round-trip pid and start time, and read the older pid-only text", () => {
    expect(formatProcessIdentity({ pid: 42, startTime: "9000" })).toBe("42 9000");
    expect(formatProcessIdentity({ pid: 42 })).toBe("42 -");
    expect(parseProcessIdentity("42 9000\n")).toEqual({ pid: 42, startTime: "9000" });
    expect(parseProcessIdentity("42 - spawn-id\n")).toEqual({ pid: 42, startTime: undefined });
    expect(parseProcessIdentity("42\n")).toEqual({ pid: 42, startTime: undefined });
  });

  it("names no process for text without a pid", () => {
    for (const text of ["", "not a pid", "0 1", "-3 1", "12abc 1", "99999999999999999999"])
      expect(parseProcessIdentity(text)).toBeUndefined();
  });
});
