/**
 * The pulse's workers end to end, with the built CLI and a fixture agent (a custom harness) that
 * follows its prompt's own `bosun _ ask` line: a worker that asks, is answered through
 * `bosun _ answer` and is verified done; one whose verify fails; one killed (nothing of it left);
 * one whose host dies (health dead, its open ask stranded). And `bosun _ ask` itself: --timeout
 * exits 124 and --wait picks the same ask up again.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseProcessIdentity } from "../../src/proc/liveness.js";
import { readWorkerFile, getWorkerFiles } from "../../src/store/pulse-workers.js";
import type { WorkerFile } from "../../src/store/schema/pulse-worker.js";
import { createTempDir } from "../helpers/agent-env.js";
import { listProcessesWithHome } from "../helpers/process-list.js";
import { createReviewRepo, getBosunPaths } from "../helpers/review-repo.js";
import {
  assertBosunBuilt,
  createBosunEnv,
  createFakeAgentTemplate,
  runBosun,
} from "../helpers/run-bosun.js";
import { isPidRunning } from "../helpers/testdir.js";
import { waitFor } from "../helpers/wait-for.js";

/** A repository whose pulse workers run the fixture agent, and the env bosun runs with. */
interface Workspace {
  repo: string;
  home: string;
  env: Record<string, string>;
}

/** One `bosun _` call: its exit code and its JSON document. */
interface ContractCall {
  exitCode: number | null;
  json: Record<string, unknown>;
  stderr: string;
}

/** What `bosun _ worker list` prints of one worker. */
interface ListedWorker {
  worker: WorkerFile;
  health: string;
  openAskIds: string[];
}

const cleanups: Array<() => Promise<void>> = [];

beforeAll(assertBosunBuilt);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function createWorkspace(): Promise<Workspace> {
  const home = await createTempDir("bosun-home-");
  const repo = await createReviewRepo({
    pulse: { worker: "fakew" },
    agents: { fakew: { template: createFakeAgentTemplate("fake-pulse-worker.mjs") } },
    dispatch: { graceSec: 1 },
  });
  cleanups.push(async () => {
    // Whatever the outcome, nothing the test started may outlive it.
    for (const line of await listProcessesWithHome(home)) {
      try {
        process.kill(Number(line.split(":")[0]), "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    await rm(repo, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });
  return { repo, home, env: createBosunEnv(home) };
}

async function callBosun(ws: Workspace, args: readonly string[]): Promise<ContractCall> {
  const run = await runBosun(["_", ...args], { cwd: ws.repo, env: ws.env });
  const parsed: unknown = JSON.parse(run.stdout);
  if (typeof parsed !== "object" || parsed === null) throw new Error(`not JSON: ${run.stdout}`);
  return { exitCode: run.exitCode, json: parsed as Record<string, unknown>, stderr: run.stderr };
}

async function listWorkers(
  ws: Workspace,
): Promise<{ workers: ListedWorker[]; strandedAsks: Array<Record<string, unknown>> }> {
  const { json } = await callBosun(ws, ["worker", "list"]);
  return json as unknown as {
    workers: ListedWorker[];
    strandedAsks: Array<Record<string, unknown>>;
  };
}

/** Waits until the worker's own ask is open (its health says waiting-ask); returns the ask id. */
function waitForWorkerAsk(ws: Workspace, id: string): Promise<string> {
  return waitFor(
    `worker ${id}'s ask`,
    async () => {
      const { workers } = await listWorkers(ws);
      const item = workers.find((listed) => listed.worker.id === id);
      return item?.health === "waiting-ask" ? item.openAskIds[0] : undefined;
    },
    { intervalMs: 100 },
  );
}

/** Waits until the worker has ended; returns its worker.json. */
function waitForEnd(ws: Workspace, id: string): Promise<WorkerFile> {
  const paths = getBosunPaths(ws.repo);
  return waitFor(`worker ${id} to end`, async () => {
    const worker = await readWorkerFile(paths, id);
    return worker !== null && ["done", "failed", "killed"].includes(worker.status)
      ? worker
      : undefined;
  });
}

async function readHostPid(ws: Workspace, id: string): Promise<number> {
  const text = await readFile(getWorkerFiles(getBosunPaths(ws.repo), id).hostPidFile, "utf8");
  const identity = parseProcessIdentity(text);
  if (identity === undefined) throw new Error(`no pid in host.pid: ${text}`);
  return identity.pid;
}

/** No process of the test's HOME is left but the ones named (waits a moment for zombies to go). */
function waitForNoProcesses(ws: Workspace): Promise<true> {
  return waitFor("every process of the worker to end", async () =>
    (await listProcessesWithHome(ws.home)).length === 0 ? true : undefined,
  );
}

describe("pulse workers", () => {
  it("a worker asks through bosun _ ask, is answered through bosun _ answer, and is verified done in its own worktree", async () => {
    const ws = await createWorkspace();
    const started = await callBosun(ws, [
      "worker",
      "start",
      "painter",
      "--prompt",
      "ASK the human which color to use, then write it to color.txt.",
      "--verify",
      "grep -qx blue color.txt",
    ]);
    expect(started.exitCode).toBe(0);
    expect(started.json["worker"]).toMatchObject({ status: "starting", harness: "fakew" });

    const askId = await waitForWorkerAsk(ws, "painter");
    const asks = await callBosun(ws, ["asks"]);
    expect(asks.json["asks"]).toEqual([
      expect.objectContaining({
        ask: expect.objectContaining({
          id: askId,
          runId: "pulse",
          workerId: "painter",
          question: "Which color?",
        }) as unknown,
      }),
    ]);
    const answered = await callBosun(ws, ["answer", askId, "blue"]);
    expect(answered.exitCode).toBe(0);

    const worker = await waitForEnd(ws, "painter");
    expect(worker).toMatchObject({
      status: "done",
      exitCode: 0,
      verifyResult: { exitCode: 0, isTimedOut: false },
      worktree: { branch: "bosun/pulse/painter" },
    });
    expect(worker.reason).toContain("verified");
    // The work is in the worker's worktree, not the user's checkout.
    expect(await readFile(join(worker.cwd, "color.txt"), "utf8")).toBe("blue\n");
    expect(existsSync(join(ws.repo, "color.txt"))).toBe(false);
    const { workers, strandedAsks } = await listWorkers(ws);
    expect(workers.map((item) => [item.worker.id, item.health])).toEqual([["painter", "done"]]);
    expect(strandedAsks).toEqual([]);
    await waitForNoProcesses(ws);
  });

  it("a worker whose agent exits 0 but whose verify fails has failed; one without verify is done, unverified", async () => {
    const ws = await createWorkspace();
    await callBosun(ws, [
      "worker",
      "start",
      "liar",
      "--prompt",
      "Write done.txt.",
      "--verify",
      "echo checking; test -f missing.txt",
      "--no-worktree",
    ]);
    await callBosun(ws, ["worker", "start", "plain", "--prompt", "Write done.txt."]);
    const liar = await waitForEnd(ws, "liar");
    expect(liar).toMatchObject({
      status: "failed",
      exitCode: 0,
      cwd: ws.repo,
      verifyResult: { exitCode: 1, isTimedOut: false, outputTail: "checking" },
    });
    expect(liar.worktree).toBeUndefined();
    const plain = await waitForEnd(ws, "plain");
    expect(plain.status).toBe("done");
    expect(plain.verifyResult).toBeUndefined();
    expect(plain.reason).toContain("unverified");
  });

  it("kill stops the host, the agent and what the agent started, and records killed", async () => {
    const ws = await createWorkspace();
    await callBosun(ws, ["worker", "start", "sleeper", "--prompt", "HANG around."]);
    const worker = await readWorkerFile(getBosunPaths(ws.repo), "sleeper");
    const worktree = worker?.worktree?.path ?? "";
    // Under the test's BOSUN_HOME, outside the user's checkout.
    expect(worktree.startsWith(ws.home)).toBe(true);
    const sleeperPid = await waitFor(
      "the agent's child",
      async () =>
        Number((await readFile(join(worktree, "sleeper.pid"), "utf8")).trim()) || undefined,
    );
    // Refused while it runs.
    const again = await callBosun(ws, ["worker", "start", "sleeper", "--prompt", "HANG again."]);
    expect(again.exitCode).toBe(1);
    expect(JSON.stringify(again.json)).toContain("already running");

    const startedMs = Date.now();
    const killed = await callBosun(ws, ["worker", "kill", "sleeper"]);
    expect(killed.exitCode).toBe(0);
    expect(killed.json).toMatchObject({ wasRunning: true, worker: { status: "killed" } });
    // The host stops its agent within the 1 s grace, well before kill's own fallback.
    expect(Date.now() - startedMs).toBeLessThan(6_000);
    await waitFor("the agent's child to end", () => (isPidRunning(sleeperPid) ? undefined : true));
    await waitForNoProcesses(ws);
    const { workers } = await listWorkers(ws);
    expect(workers.map((item) => item.health)).toEqual(["killed"]);
  });

  it("a worker whose host died is dead, and its open ask is stranded until the worker is killed", async () => {
    const ws = await createWorkspace();
    await callBosun(ws, ["worker", "start", "orphan", "--prompt", "ASK for a color."]);
    const askId = await waitForWorkerAsk(ws, "orphan");
    process.kill(await readHostPid(ws, "orphan"), "SIGKILL");

    const { workers, strandedAsks } = await waitFor("the host's death to show", async () => {
      const listed = await listWorkers(ws);
      return listed.workers[0]?.health === "dead" ? listed : undefined;
    });
    expect(workers[0]?.worker.status).toBe("running");
    expect(strandedAsks).toEqual([
      expect.objectContaining({
        workerId: "orphan",
        workerHealth: "dead",
        ask: expect.objectContaining({ id: askId }) as unknown,
      }),
    ]);

    // Its agent (and the agent's `bosun _ ask`) outlived the host: kill ends them from agent.pid.
    const killed = await callBosun(ws, ["worker", "kill", "orphan"]);
    expect(killed.json).toMatchObject({ wasRunning: true, worker: { status: "killed" } });
    await waitForNoProcesses(ws);
  });
});

describe("bosun _ ask", () => {
  it("exits 124 when --timeout passes, leaves the ask open, and --wait takes the answer later", async () => {
    const ws = await createWorkspace();
    const timedOut = await callBosun(ws, ["ask", "Ship it?", "--timeout", "1"]);
    expect(timedOut.exitCode).toBe(124);
    expect(timedOut.json).toMatchObject({
      isTimedOut: true,
      answer: null,
      ask: { runId: "pulse", question: "Ship it?", options: [] },
    });
    const ask = timedOut.json["ask"] as { id: string; workerId?: string };
    // Asked outside any worker: no worker to tag.
    expect(ask.workerId).toBeUndefined();
    expect(timedOut.stderr).toContain(`asked ${ask.id}`);

    await callBosun(ws, ["answer", ask.id, "yes, after lunch"]);
    const waited = await callBosun(ws, ["ask", "--wait", ask.id, "--timeout", "10"]);
    expect(waited.exitCode).toBe(0);
    expect(waited.json).toMatchObject({
      isTimedOut: false,
      answer: { askId: ask.id, answer: "yes, after lunch" },
    });
  });

  it("refuses an option without a key and a question given with --wait", async () => {
    const ws = await createWorkspace();
    const bad = await callBosun(ws, ["ask", "Which?", "--option", ":nothing"]);
    expect(bad.exitCode).toBe(2);
    const both = await callBosun(ws, ["ask", "Which?", "--wait", "ask-1"]);
    expect(both.exitCode).toBe(2);
    expect((await callBosun(ws, ["asks"])).json["asks"]).toEqual([]);
  });
});
