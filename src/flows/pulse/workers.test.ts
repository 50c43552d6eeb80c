import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { StateError, UsageError } from "../../errors.js";
import { formatProcessIdentity, readOwnIdentity } from "../../proc/liveness.js";
import { createBosunPaths, type BosunPaths } from "../../store/paths.js";
import { getWorkerFiles, readWorkerFile, writeWorkerFile } from "../../store/pulse-workers.js";
import { DEFAULT_CONFIG, type Config } from "../../store/schema/config.js";
import type { WorkerFile, WorkerStatus } from "../../store/schema/pulse-worker.js";
import { readWorkerTells, startWorker, takeWorkerTells, writeWorkerTell } from "./workers.js";

const CONFIG: Config = { ...DEFAULT_CONFIG, pulse: { ...DEFAULT_CONFIG.pulse, worker: "offline" } };
/** A host that does nothing: `sh -c 'exit 0' sh --root … _ worker-host ID`. */
const NOOP_HOST = ["/bin/sh", "-c", "exit 0", "sh"];

function makeWorker(id: string, status: WorkerStatus): WorkerFile {
  return {
    version: 1,
    id,
    prompt: "do it",
    harness: "offline",
    verifyTimeoutSec: 60,
    cwd: "/repo",
    status,
    startedAt: new Date().toISOString(),
    deliveredTellIds: [],
    costUsd: 0,
  };
}

/** A worker whose host.pid names this very process: alive. */
async function writeLiveWorker(paths: BosunPaths, id: string, status: WorkerStatus): Promise<void> {
  const files = getWorkerFiles(paths, id);
  await mkdir(files.dir, { recursive: true });
  await writeWorkerFile(paths, makeWorker(id, status));
  await writeFile(files.hostPidFile, `${formatProcessIdentity(readOwnIdentity())}\n`);
}

describe("starting a worker", () => {
  it("writes worker.json, works in the folder itself outside git, and records its host's pid", async () => {
    const paths = createBosunPaths(await makeTestDir());
    const worker = await startWorker(
      paths,
      CONFIG,
      { id: "w1", prompt: "Write done.txt.", verify: "test -f done.txt" },
      { bosunArgv: NOOP_HOST },
    );
    expect(worker).toMatchObject({
      status: "starting",
      harness: "offline",
      cwd: paths.root,
      verify: "test -f done.txt",
      verifyTimeoutSec: CONFIG.dispatch.timeoutSec,
    });
    expect(worker.worktree).toBeUndefined();
    expect(await readWorkerFile(paths, "w1")).toEqual(worker);
    const files = getWorkerFiles(paths, "w1");
    expect(await readFile(files.hostPidFile, "utf8")).toMatch(/^\d+ \S+\n$/);
  });

  it("refuses a bad id, an unknown harness and an id whose worker still runs; an ended one may start again", async () => {
    const paths = createBosunPaths(await makeTestDir());
    const start = (id: string, harness?: string): Promise<WorkerFile> =>
      startWorker(paths, CONFIG, { id, prompt: "go", harness }, { bosunArgv: NOOP_HOST });
    await expect(start("../up")).rejects.toThrow(UsageError);
    await expect(start("w1", "no-such-agent")).rejects.toThrow(/Unknown harness "no-such-agent"/);
    await writeLiveWorker(paths, "busy", "running");
    await expect(start("busy")).rejects.toThrow(StateError);
    await expect(start("busy")).rejects.toThrow(/already running .*bosun _ worker kill busy/);
    await writeLiveWorker(paths, "over", "done");
    expect((await start("over")).status).toBe("starting");
  });

  it("records a host that cannot start as failed, and drops an earlier host's pid file", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await writeLiveWorker(paths, "w1", "failed");
    await expect(
      startWorker(paths, CONFIG, { id: "w1", prompt: "go" }, { bosunArgv: ["/no/such/node"] }),
    ).rejects.toThrow(/Worker w1 could not start/);
    expect(await readWorkerFile(paths, "w1")).toMatchObject({
      status: "failed",
      reason: expect.stringContaining("its host process could not start") as unknown,
    });
    expect(existsSync(getWorkerFiles(paths, "w1").hostPidFile)).toBe(false);
  });
});

describe("telling a worker", () => {
  it("hands each message over once: what the worker took by `bosun _ told` is not given again", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await writeLiveWorker(paths, "w1", "running");
    await writeLiveWorker(paths, "w2", "running");
    const first = await writeWorkerTell(paths, "w1", "use port 4000", "test");
    await writeWorkerTell(paths, "w2", "not for w1", "test");
    expect((await takeWorkerTells(paths, "w1")).map((tell) => tell.id)).toEqual([first.id]);
    expect(await takeWorkerTells(paths, "w1")).toEqual([]);
    // What the host's follow-up would give: nothing left for w1, w2's still there.
    expect(await readWorkerTells(paths, "w1")).toEqual([]);
    expect((await readWorkerTells(paths, "w2")).map((tell) => tell.text)).toEqual(["not for w1"]);
    await expect(takeWorkerTells(paths, "nobody")).rejects.toThrow();
  });
});
