import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { acquireRunLock } from "../store/run-lock.js";
import { readStopRequest } from "../store/stop-request.js";
import { getPauseReason, openStopChannel } from "./stop-channel.js";
import { stopRun } from "./stop-run.js";

async function makePaths(): Promise<BosunPaths> {
  const paths = createBosunPaths(await makeTestDir());
  await mkdir(paths.runDir("r1"), { recursive: true });
  return paths;
}

describe("stopRun", () => {
  it("says there is nothing to stop when no live process holds the run", async () => {
    const paths = await makePaths();
    expect(await stopRun(paths, "r1")).toEqual({ kind: "not_running" });
    expect(existsSync(paths.stopRequestFile("r1"))).toBe(false);
  });

  it("asks the holder to stop the run and waits until it lets go, without a signal", async () => {
    const paths = await makePaths();
    const lock = await acquireRunLock(paths.lockFile("r1"), "Run r1");
    const channel = await openStopChannel(paths, "r1", { onWarning: () => {} });
    // The holder's drive: on its run's signal it records its pause, closes, lets go.
    let pauseReason = "";
    channel.signal.addEventListener("abort", () => {
      pauseReason = getPauseReason(channel.signal);
      void channel.close().then(() => lock.release());
    });
    const requested: number[] = [];
    const signalled: number[] = [];
    const result = await stopRun(paths, "r1", {
      by: "dashboard",
      onRequested: (pid) => requested.push(pid),
      onSignalled: (pid) => signalled.push(pid),
      requestWaitMs: 10_000,
    });
    expect(result).toMatchObject({ kind: "stopped", pid: process.pid, isSignalled: false });
    expect(requested).toEqual([process.pid]);
    expect(signalled).toEqual([]);
    expect(pauseReason).toBe("stop requested from the dashboard");
    expect(await readStopRequest(paths, "r1")).toBeNull();
  });

  it("sends SIGTERM to a holder that does not answer the request in time, and says so", async () => {
    const paths = await makePaths();
    const lockFile = paths.lockFile("r1");
    // An older bosun: it holds the run, knows nothing of requests, and lets go on SIGTERM.
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `process.on("SIGTERM", () => { require("fs").rmSync(${JSON.stringify(lockFile)}); process.exit(0); });
         console.log("ready"); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    onTestFinished(() => {
      holder.kill("SIGKILL");
    });
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    const pid = holder.pid ?? 0;
    await writeFile(lockFile, `${pid} -\n`);
    const signalled: number[] = [];
    const startedMs = Date.now();
    const result = await stopRun(paths, "r1", {
      by: "cli",
      requestWaitMs: 300,
      onSignalled: (signalledPid) => signalled.push(signalledPid),
    });
    expect(result).toMatchObject({ kind: "stopped", pid, isSignalled: true });
    expect(signalled).toEqual([pid]);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(300);
    // The holder never read it: the stopper removes its own request.
    expect(await readStopRequest(paths, "r1")).toBeNull();
  });

  it("is a StateError saying how to kill a holder that outlives the signal too", async () => {
    const paths = await makePaths();
    const holder = spawn(
      process.execPath,
      ["-e", `process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000);`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    onTestFinished(() => {
      holder.kill("SIGKILL");
    });
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    const pid = holder.pid ?? 0;
    await writeFile(paths.lockFile("r1"), `${pid} -\n`);
    await expect(stopRun(paths, "r1", { requestWaitMs: 100, waitMs: 200 })).rejects.toThrow(
      `kill -9 ${pid}`,
    );
  });
});
