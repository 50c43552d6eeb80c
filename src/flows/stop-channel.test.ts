import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { CancelledError } from "../errors.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { acquireRunLock } from "../store/run-lock.js";
import { readStopRequest, writeStopRequest } from "../store/stop-request.js";
import type { StopRequester } from "../store/schema/stop-request.js";
import {
  SIGNAL_PAUSE_REASON,
  StopRequestedError,
  driveWithStopChannel,
  getPauseReason,
  isStopRequestedReason,
  openStopChannel,
} from "./stop-channel.js";

/** A repository's paths with run `runId`'s lock taken by this process (released after the test). */
async function makeHeldRun(runId = "r1"): Promise<BosunPaths> {
  const paths = createBosunPaths(await makeTestDir());
  await mkdir(paths.runDir(runId), { recursive: true });
  const lock = await acquireRunLock(paths.lockFile(runId), `Run ${runId}`);
  onTestFinished(() => lock.release());
  return paths;
}

function writeRequest(
  paths: BosunPaths,
  runId: string,
  options: { by?: StopRequester; pid?: number; requestedAt?: string } = {},
): Promise<void> {
  return writeStopRequest(paths, runId, {
    version: 1,
    requestedAt: options.requestedAt ?? new Date().toISOString(),
    pid: options.pid ?? process.pid,
    ...(options.by === undefined ? {} : { by: options.by }),
  });
}

/** Resolves once `signal` is aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

describe("openStopChannel", () => {
  it("aborts the run's own signal on its stop request, with who asked, and not the caller's", async () => {
    const paths = await makeHeldRun();
    const caller = new AbortController();
    const warnings: string[] = [];
    const channel = await openStopChannel(paths, "r1", {
      signal: caller.signal,
      onWarning: (message) => warnings.push(message),
    });
    expect(channel.signal.aborted).toBe(false);
    await writeRequest(paths, "r1", { by: "dashboard" });
    await aborted(channel.signal);
    expect(caller.signal.aborted).toBe(false);
    expect(channel.signal.reason).toBeInstanceOf(StopRequestedError);
    expect(channel.signal.reason).toBeInstanceOf(CancelledError);
    expect(getPauseReason(channel.signal)).toBe("stop requested from the dashboard");
    // Answered once the run has paused: the request is gone before the lock is let go.
    await channel.close();
    expect(existsSync(paths.stopRequestFile("r1"))).toBe(false);
    expect(warnings).toEqual([]);
  });

  it("stops only the run the request names, of the runs one process drives", async () => {
    const paths = await makeHeldRun("r1");
    await mkdir(paths.runDir("r2"), { recursive: true });
    const lock2 = await acquireRunLock(paths.lockFile("r2"), "Run r2");
    onTestFinished(() => lock2.release());
    const caller = new AbortController();
    const first = await openStopChannel(paths, "r1", {
      signal: caller.signal,
      onWarning: () => {},
    });
    const second = await openStopChannel(paths, "r2", {
      signal: caller.signal,
      onWarning: () => {},
    });
    await writeRequest(paths, "r2", { by: "cli" });
    await aborted(second.signal);
    expect(getPauseReason(second.signal)).toBe("stop requested with bosun stop");
    expect(first.signal.aborted).toBe(false);
    await Promise.all([first.close(), second.close()]);
  });

  it("follows the caller's signal, whose stop is a signal's (Ctrl-C)", async () => {
    const paths = await makeHeldRun();
    const caller = new AbortController();
    const channel = await openStopChannel(paths, "r1", {
      signal: caller.signal,
      onWarning: () => {},
    });
    caller.abort();
    expect(channel.signal.aborted).toBe(true);
    expect(getPauseReason(channel.signal)).toBe(SIGNAL_PAUSE_REASON);
    await channel.close();
    // A caller that is a surface stopping its own run says so with its reason.
    const surface = new AbortController();
    surface.abort(new StopRequestedError("monitor"));
    const stopped = await openStopChannel(paths, "r1", {
      signal: surface.signal,
      onWarning: () => {},
    });
    expect(getPauseReason(stopped.signal)).toBe("stop requested from the monitor");
    await stopped.close();
  });

  it("removes a request left from before the lock was taken, or for another process, and runs on", async () => {
    for (const stale of [
      { requestedAt: new Date(Date.now() - 60_000).toISOString() },
      { pid: process.pid + 100_000 },
    ]) {
      const paths = await makeHeldRun();
      await writeRequest(paths, "r1", stale);
      const channel = await openStopChannel(paths, "r1", { onWarning: () => {} });
      expect(channel.signal.aborted).toBe(false);
      expect(await readStopRequest(paths, "r1")).toBeNull();
      await channel.close();
    }
  });

  it("takes a request written after the lock was taken but before the channel opened", async () => {
    const paths = await makeHeldRun();
    await writeRequest(paths, "r1", { by: "monitor" });
    const channel = await openStopChannel(paths, "r1", { onWarning: () => {} });
    expect(channel.signal.aborted).toBe(true);
    expect(getPauseReason(channel.signal)).toBe("stop requested from the monitor");
    await channel.close();
  });

  it("never takes a damaged request for a stop: it says so and removes it", async () => {
    const paths = await makeHeldRun();
    const warnings: string[] = [];
    const channel = await openStopChannel(paths, "r1", {
      onWarning: (message) => warnings.push(message),
    });
    await writeFile(paths.stopRequestFile("r1"), "{not json");
    await waitFor("the warning", () => (warnings.length > 0 ? true : undefined));
    expect(warnings[0]).toContain(`Invalid ${paths.stopRequestFile("r1")}`);
    expect(warnings[0]).toContain("not taken as a stop request");
    expect(channel.signal.aborted).toBe(false);
    expect(existsSync(paths.stopRequestFile("r1"))).toBe(false);
    await channel.close();
  });
});

describe("driveWithStopChannel", () => {
  it("drives with the run's signal, and closes the channel however the drive ends", async () => {
    const paths = await makeHeldRun();
    const events: unknown[] = [];
    const reason = await driveWithStopChannel(
      paths,
      "r1",
      { onEvent: (event) => events.push(event) },
      async (signal) => {
        await writeRequest(paths, "r1", { by: "cli" });
        await aborted(signal);
        return getPauseReason(signal);
      },
    );
    expect(reason).toBe("stop requested with bosun stop");
    expect(isStopRequestedReason(reason)).toBe(true);
    expect(isStopRequestedReason(SIGNAL_PAUSE_REASON)).toBe(false);
    expect(existsSync(paths.stopRequestFile("r1"))).toBe(false);
    await expect(
      driveWithStopChannel(paths, "r1", { onEvent: () => {} }, () =>
        Promise.reject(new Error("boom")),
      ),
    ).rejects.toThrow("boom");
    expect(events).toEqual([]);
  });
});
