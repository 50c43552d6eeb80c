import { spawnSync } from "node:child_process";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { writeAsk } from "../../human/asks.js";
import { formatProcessIdentity, readOwnIdentity } from "../../proc/liveness.js";
import { createBosunPaths, type BosunPaths } from "../../store/paths.js";
import { getWorkerFiles, writeWorkerFile } from "../../store/pulse-workers.js";
import { PULSE_ASK_RUN_ID, type Ask } from "../../store/schema/asks.js";
import type { WorkerFile, WorkerStatus } from "../../store/schema/pulse-worker.js";
import {
  getWorkerHealth,
  listStrandedAsks,
  listWorkers,
  type WorkerObservation,
} from "./worker-health.js";

const NOW_MS = Date.parse("2026-12-03T12:00:00.000Z");
const STUCK_MS = 600_000;

function makeWorker(
  id: string,
  status: WorkerStatus,
  startedAt = "2026-12-03T11:59:00.000Z",
): WorkerFile {
  return {
    version: 1,
    id,
    prompt: "do it",
    harness: "offline",
    verifyTimeoutSec: 60,
    cwd: "/repo",
    status,
    startedAt,
    deliveredTellIds: [],
    costUsd: 0,
  };
}

function makeObservation(
  change: Partial<WorkerObservation> & { worker: WorkerFile },
): WorkerObservation {
  return { isHostAlive: true, lastOutputAtMs: NOW_MS - 1_000, openAskIds: [], ...change };
}

function makeAsk(id: string, workerId: string | undefined): Ask {
  return {
    version: 1,
    id,
    runId: PULSE_ASK_RUN_ID,
    createdAt: "2026-12-03T11:59:30.000Z",
    question: "Which one?",
    options: [],
    context: "",
    ...(workerId === undefined ? {} : { workerId }),
  };
}

/** A pid that surely names no process: one that just exited (and was reaped). */
function readDeadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

async function writeHost(paths: BosunPaths, id: string, pidText: string): Promise<void> {
  const files = getWorkerFiles(paths, id);
  await mkdir(files.dir, { recursive: true });
  await writeFile(files.hostPidFile, `${pidText}\n`);
}

describe("a worker's health", () => {
  const options = { nowMs: NOW_MS, stuckMs: STUCK_MS };

  it("is busy while its host lives and it spoke lately, stuck once silent past the limit", () => {
    const worker = makeWorker("w1", "running", "2026-12-03T11:00:00.000Z");
    expect(getWorkerHealth(makeObservation({ worker }), options)).toBe("busy");
    const silent = makeObservation({ worker, lastOutputAtMs: NOW_MS - STUCK_MS - 1 });
    expect(getWorkerHealth(silent, options)).toBe("stuck");
    // No output yet: silence counts from its start.
    const fresh = makeObservation({
      worker: makeWorker("w1", "running"),
      lastOutputAtMs: undefined,
    });
    expect(getWorkerHealth(fresh, options)).toBe("busy");
    const old = makeWorker("w1", "running", "2026-12-03T11:00:00.000Z");
    expect(
      getWorkerHealth(makeObservation({ worker: old, lastOutputAtMs: undefined }), options),
    ).toBe("stuck");
  });

  it("waits on an ask rather than being stuck, and its verify's silence is not the agent's", () => {
    const silentMs = NOW_MS - STUCK_MS - 1;
    const asking = makeObservation({
      worker: makeWorker("w1", "running"),
      lastOutputAtMs: silentMs,
      openAskIds: ["ask-1"],
    });
    expect(getWorkerHealth(asking, options)).toBe("waiting-ask");
    const verifying = makeObservation({
      worker: makeWorker("w1", "verifying"),
      lastOutputAtMs: silentMs,
    });
    expect(getWorkerHealth(verifying, options)).toBe("busy");
  });

  it("is dead when its host is gone though the file says it runs; an ended one says how it ended", () => {
    const gone = makeObservation({ worker: makeWorker("w1", "running"), isHostAlive: false });
    expect(getWorkerHealth(gone, options)).toBe("dead");
    for (const status of ["done", "failed", "killed"] as const) {
      const ended = makeObservation({ worker: makeWorker("w1", status), isHostAlive: false });
      expect(getWorkerHealth(ended, options)).toBe(status);
    }
  });
});

describe("listing workers and stranded asks", () => {
  it("reads each worker's host from host.pid and its asks from the mailbox; asks of dead, ended or missing workers are stranded", async () => {
    const root = await makeTestDir();
    const paths = createBosunPaths(root);
    const nowMs = Date.now();
    const startedAt = new Date(nowMs - 1_000).toISOString();
    // alive: this very process is its host. dead: a pid that exited. ended: done.
    await writeWorkerFile(paths, makeWorker("alive", "running", startedAt));
    await writeHost(paths, "alive", formatProcessIdentity(readOwnIdentity()));
    await writeWorkerFile(paths, makeWorker("dead", "running", startedAt));
    await writeHost(paths, "dead", `${readDeadPid()} -`);
    await writeWorkerFile(paths, makeWorker("ended", "done", startedAt));
    // agent.log written long ago: "alive" is silent past the limit, but waits on its ask.
    const aliveLog = getWorkerFiles(paths, "alive").agentLogFile;
    await writeFile(aliveLog, "{}\n");
    const longAgo = new Date(nowMs - 2 * STUCK_MS);
    await utimes(aliveLog, longAgo, longAgo);
    await writeAsk(paths, makeAsk("ask-a", "alive"));
    await writeAsk(paths, makeAsk("ask-b", "dead"));
    await writeAsk(paths, makeAsk("ask-c", "ended"));
    await writeAsk(paths, makeAsk("ask-d", "vanished"));
    // Not a worker's: the pulse's own ask, never stranded.
    await writeAsk(paths, makeAsk("ask-e", undefined));

    const options = { nowMs, stuckMs: STUCK_MS };
    const workers = await listWorkers(paths, options);
    expect(workers.map((item) => [item.worker.id, item.health, item.openAskIds])).toEqual([
      ["alive", "waiting-ask", ["ask-a"]],
      ["dead", "dead", ["ask-b"]],
      ["ended", "done", ["ask-c"]],
    ]);
    expect(workers[0]?.lastOutputAtMs).toBeCloseTo(longAgo.getTime(), -3);

    const stranded = await listStrandedAsks(paths, options);
    expect(stranded.map((item) => [item.ask.id, item.workerId, item.workerHealth])).toEqual([
      ["ask-b", "dead", "dead"],
      ["ask-c", "ended", "done"],
      ["ask-d", "vanished", "missing"],
    ]);
  });

  it("counts a worker as starting, not dead, in the moment before its host.pid is written", async () => {
    const root = await makeTestDir();
    const paths = createBosunPaths(root);
    const nowMs = Date.now();
    await writeWorkerFile(paths, makeWorker("new", "starting", new Date(nowMs).toISOString()));
    const [item] = await listWorkers(paths, { nowMs, stuckMs: STUCK_MS });
    expect(item?.health).toBe("busy");
    const [later] = await listWorkers(paths, { nowMs: nowMs + 60_000, stuckMs: STUCK_MS });
    expect(later?.health).toBe("dead");
  });
});
