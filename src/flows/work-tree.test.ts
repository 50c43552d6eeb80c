import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { isPidRunning, makeTestDir, waitForPidExit } from "../../test/helpers/testdir.js";
import { writePidFileSync } from "../proc/pid-file.js";
import { startProcess } from "../proc/run-process.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { acquireRunLock, readLiveLockHolder } from "../store/run-lock.js";
import { DEFAULT_CONFIG } from "../store/schema/config.js";
import type { BosunEvent } from "./events.js";
import { acquireWorkTree, killAbandonedLeftovers } from "./work-tree.js";

const DEAD_RUN = "20260101-000000-dead";
const LIVE_RUN = "20260101-000000-1111";
const NEW_RUN = "20260101-000000-2222";

/**
 * Gives run `runId` a round whose verify command is still running (a sleeper in its own group,
 * with its pid file), as a bosun killed mid-verify leaves it. Returns the sleeper's pid.
 */
async function makeLeftover(paths: BosunPaths, runId: string): Promise<number> {
  const roundDir = paths.roundDir(runId, "T-1", 1);
  await mkdir(roundDir, { recursive: true });
  const sleeper = startProcess({
    command: "/bin/sh",
    args: ["-c", "sleep 300"],
    cwd: roundDir,
    graceMs: 100,
  });
  onTestFinished(() => {
    try {
      process.kill(-sleeper.pid, "SIGKILL");
    } catch {
      // Already ended, as the test wants.
    }
  });
  writePidFileSync(path.join(roundDir, "verify.pid"), sleeper.pid);
  return sleeper.pid;
}

async function makeRepo(): Promise<{ paths: BosunPaths; events: BosunEvent[] }> {
  const paths = createBosunPaths(await makeTestDir());
  await mkdir(paths.runsDir, { recursive: true });
  return { paths, events: [] };
}

describe("acquireWorkTree", () => {
  it("takes the tree and ends what an abandoned run left running, not what a live run runs", async () => {
    const { paths, events } = await makeRepo();
    const orphan = await makeLeftover(paths, DEAD_RUN);
    // pid 2^22 + 1 is above Linux's pid limit: the dead run's writer is gone.
    await writeFile(paths.lockFile(DEAD_RUN), "4194305 1\n");
    const working = await makeLeftover(paths, LIVE_RUN);
    const live = await acquireRunLock(paths.lockFile(LIVE_RUN), `Run ${LIVE_RUN}`);

    const options = { paths, config: DEFAULT_CONFIG, onEvent: (e: BosunEvent) => events.push(e) };
    const lock = await acquireWorkTree(options, NEW_RUN);

    expect(await waitForPidExit(orphan)).toBe(true);
    expect(isPidRunning(working)).toBe(true);
    expect(events).toEqual([
      {
        type: "warning",
        runId: NEW_RUN,
        message: `Killed processes left running by an earlier bosun process that was killed (${paths.roundDir(DEAD_RUN, "T-1", 1)}).`,
      },
    ]);
    // Its leftovers are gone, so the dead run's stale lock is too: the next start skips it.
    expect(await readdir(paths.runDir(DEAD_RUN))).not.toContain("lock");
    await lock.release();
    await live.release();
  });
});

describe("killAbandonedLeftovers", () => {
  it("leaves alone a run whose writer holds its lock again (resumed since it was found dead)", async () => {
    const { paths, events } = await makeRepo();
    const working = await makeLeftover(paths, LIVE_RUN);
    const resumed = await acquireRunLock(paths.lockFile(LIVE_RUN), `Run ${LIVE_RUN}`);
    const options = { paths, config: DEFAULT_CONFIG, onEvent: (e: BosunEvent) => events.push(e) };

    await killAbandonedLeftovers(options, [LIVE_RUN], NEW_RUN);

    expect(isPidRunning(working)).toBe(true);
    expect(events).toEqual([]);
    expect(await readLiveLockHolder(paths.lockFile(LIVE_RUN))).toBe(process.pid);
    await resumed.release();
  });
});
