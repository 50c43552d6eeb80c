/**
 * The pulse's daemon through the built CLI, its brain a fixture harness that prints the decision
 * the test wrote (and counts its calls): up/down/restart as a pid singleton that stops its
 * workers, also against two ups at once; what wakes it (a goal, an ask and its answer, a
 * schedule, a resume) and what calls no brain (a wake-up that changes nothing, a pause);
 * `bosun _ wait --actionable`; a kill -9 mid-act and the restart after it; `bosun pulse watch`;
 * `bosun pulse init`.
 */
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { readWorkerFile } from "../../src/store/pulse-workers.js";
import { createDecisionId, writeDecisionRecord } from "../../src/store/pulse-store.js";
import { listProcessesWithHome } from "../helpers/process-list.js";
import {
  callContract,
  createPulseWorkspace,
  listProcessesLike,
  readBrainCalls,
  readBrainPrompt,
  readDaemonLog,
  readDecisions,
  readJournal,
  runPulseBosun,
  startBackgroundBosun,
  startPulse,
  waitForBeatEnd,
  waitForDecision,
  waitForJournalLine,
  waitForLogLine,
  writeBrainReply,
  type PulseWorkspace,
} from "../helpers/pulse-daemon.js";
import { getBosunPaths } from "../helpers/review-repo.js";
import { assertBosunBuilt, expectNoInternalError } from "../helpers/run-bosun.js";
import { isPidRunning } from "../helpers/testdir.js";
import { waitFor } from "../helpers/wait-for.js";

const cleanups: Array<() => Promise<void>> = [];

beforeAll(assertBosunBuilt);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function createWorkspace(
  pulse?: Parameters<typeof createPulseWorkspace>[0],
): Promise<PulseWorkspace> {
  const ws = await createPulseWorkspace(pulse);
  cleanups.push(ws.cleanup);
  return ws;
}

/** Waits until the daemon has taken its first beat (daemon.json names it). */
function waitForFirstBeat(ws: PulseWorkspace): Promise<string> {
  return waitForLogLine(ws, /decided |no decision/);
}

/** Starts worker "sleeper" through the contract; returns its agent's child, up once it really works. */
async function startSleeper(ws: PulseWorkspace): Promise<number> {
  const started = await callContract(ws, [
    "worker",
    "start",
    "sleeper",
    "--prompt",
    "HANG around.",
    "--no-worktree",
  ]);
  expect(started.exitCode, started.stderr).toBe(0);
  return waitFor("the worker's agent to start its child", async () =>
    existsSync(join(ws.repo, "sleeper.pid"))
      ? Number((await readFile(join(ws.repo, "sleeper.pid"), "utf8")).trim()) || undefined
      : undefined,
  );
}

describe("bosun pulse up|status|restart|down", () => {
  it("starts one detached daemon, refuses a second, restarts it as one, and stops it with its worker", async () => {
    const ws = await createWorkspace();
    const pid = await startPulse(ws);
    // `up` has returned; the daemon lives on without it.
    expect(isPidRunning(pid)).toBe(true);

    const again = await runPulseBosun(ws, ["pulse", "up"]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`process ${pid}`);
    expectNoInternalError(again);

    const status = await runPulseBosun(ws, ["--json", "pulse", "status"]);
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ daemon: { isRunning: true, pid } });

    const restarted = await runPulseBosun(ws, ["pulse", "restart"]);
    expect(restarted.exitCode, restarted.stderr).toBe(0);
    const newPid = Number(/Pulse up \(process (\d+)\)/.exec(restarted.stdout)?.[1]);
    expect(newPid).not.toBe(pid);
    expect(isPidRunning(pid)).toBe(false);
    expect(isPidRunning(newPid)).toBe(true);
    expect(await listProcessesLike(ws, "pulse daemon")).toEqual([
      expect.stringMatching(new RegExp(`^${newPid}: `)),
    ]);

    const sleeperPid = await startSleeper(ws);
    const paths = getBosunPaths(ws.repo);

    const down = await runPulseBosun(ws, ["pulse", "down"]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain(`process ${newPid} stopped`);
    expect(isPidRunning(newPid)).toBe(false);
    expect((await readWorkerFile(paths, "sleeper"))?.status).toBe("killed");
    await waitFor("the worker's child to end", () => (isPidRunning(sleeperPid) ? undefined : true));
    await waitFor("no process of the test left", async () =>
      (await listProcessesWithHome(ws.home)).length === 0 ? true : undefined,
    );
    expect((await readDaemonLog(ws)).some((line) => line.endsWith(" pulse down"))).toBe(true);
    const after = await runPulseBosun(ws, ["--json", "pulse", "status"]);
    expect(JSON.parse(after.stdout)).toMatchObject({ daemon: { isRunning: false, pid: null } });
  });

  it("down stops the workers of a daemon killed with -9, which stopped none of them", async () => {
    const ws = await createWorkspace();
    const pid = await startPulse(ws);
    const sleeperPid = await startSleeper(ws);
    process.kill(pid, "SIGKILL");
    await waitFor("the daemon to die", () => (isPidRunning(pid) ? undefined : true));

    const down = await runPulseBosun(ws, ["pulse", "down"]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain("The pulse is not running. Stopped its workers: sleeper.");
    expect((await readWorkerFile(getBosunPaths(ws.repo), "sleeper"))?.status).toBe("killed");
    await waitFor("the worker's child to end", () => (isPidRunning(sleeperPid) ? undefined : true));
    await waitFor("no process of the test left", async () =>
      (await listProcessesWithHome(ws.home)).length === 0 ? true : undefined,
    );
  });

  it("two ups at the same moment start one daemon; the other up says which, without waiting out its timeout", async () => {
    const ws = await createWorkspace();
    const ups = await Promise.all([
      runPulseBosun(ws, ["pulse", "up"]),
      runPulseBosun(ws, ["pulse", "up"]),
    ]);
    const started = ups.filter((up) => up.exitCode === 0);
    const refused = ups.filter((up) => up.exitCode === 1);
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const pid = Number(/process (\d+)/.exec(started[0]?.stdout ?? "")?.[1]);
    expect(refused[0]?.stderr).toContain(`The pulse already runs here (process ${pid}`);
    // Well under the 20 s a start may take.
    expect(refused[0]?.durationMs).toBeLessThan(10_000);
    expect(await listProcessesLike(ws, "pulse daemon")).toEqual([
      expect.stringMatching(new RegExp(`^${pid}: `)),
    ]);
  });
});

describe("what wakes the daemon", () => {
  it("a goal written and an ask answered each wake it to decide; a wake that changes nothing calls no brain", async () => {
    const ws = await createWorkspace();
    await startPulse(ws);
    await waitForFirstBeat(ws);
    expect(await readBrainCalls(ws)).toBe(1);

    await writeBrainReply(ws, { critique: "goal seen", actions: [{ type: "noop" }] });
    const goalAtMs = Date.now();
    const goal = await callContract(ws, ["goal", "write", "green", "Keep CI green."]);
    expect(goal.exitCode).toBe(0);
    expect(await waitForJournalLine(ws, "goal seen")).toContain("the world changed");
    // Debounced by half a second, then one beat: a few seconds even on a busy machine.
    expect(Date.now() - goalAtMs).toBeLessThan(10_000);
    expect(await readBrainCalls(ws)).toBe(2);

    // An ask opened is a change too; the answer to it another.
    await writeBrainReply(ws, { critique: "ask seen", actions: [{ type: "noop" }] });
    const asked = await callContract(ws, ["ask", "Which color?", "--timeout", "1"]);
    expect(asked.exitCode).toBe(124);
    const askId = (asked.json["ask"] as { id: string }).id;
    await waitForJournalLine(ws, "ask seen");
    await writeBrainReply(ws, { critique: "answer seen", actions: [{ type: "noop" }] });
    expect((await callContract(ws, ["answer", askId, "blue"])).exitCode).toBe(0);
    await waitForBeatEnd(ws, await waitForJournalLine(ws, "answer seen"));
    const calls = await readBrainCalls(ws);
    expect(calls).toBe(4);

    // The same goal written again: the daemon wakes, finds the world as it was, calls no brain.
    const logLines = (await readDaemonLog(ws)).length;
    await callContract(ws, ["goal", "write", "green", "Keep CI green."]);
    await waitForLogLine(ws, /woken: goals\//, logLines);
    expect(await waitForLogLine(ws, /decided |no decision/, logLines)).toMatch(
      /no decision: nothing changed$/,
    );
    expect(await readBrainCalls(ws)).toBe(calls);
  });

  it("a schedule coming due wakes it with no file changed; paused, it decides nothing until resumed", async () => {
    const ws = await createWorkspace();
    await startPulse(ws);
    await waitForBeatEnd(ws, await waitForJournalLine(ws, "decided (first beat"));

    await writeBrainReply(ws, { critique: "reminded", actions: [{ type: "noop" }] });
    const scheduled = await callContract(ws, [
      "schedule",
      "write",
      "remind",
      "--in",
      "1",
      "--note",
      "look again",
    ]);
    expect(scheduled.exitCode).toBe(0);
    expect(await waitForJournalLine(ws, "reminded")).toContain("schedule remind fired");
    expect(await readBrainCalls(ws)).toBe(2);

    expect((await runPulseBosun(ws, ["pulse", "pause"])).exitCode).toBe(0);
    await waitForLogLine(ws, /paused \(sensed/);
    await writeBrainReply(ws, { critique: "resumed", actions: [{ type: "noop" }] });
    const logLines = (await readDaemonLog(ws)).length;
    await callContract(ws, ["goal", "write", "later", "Decide me after the pause."]);
    await waitForLogLine(ws, /woken: goals\//, logLines);
    expect(await waitForLogLine(ws, /decided |no decision|paused/, logLines)).toMatch(/paused/);
    expect(await readBrainCalls(ws)).toBe(2);
    expect((await runPulseBosun(ws, ["pulse", "resume"])).exitCode).toBe(0);
    await waitForJournalLine(ws, "resumed");
    expect(await readBrainCalls(ws)).toBe(3);
  });
});

describe("bosun _ wait --actionable", () => {
  it("returns at once for an open ask, returns when a held decision appears, exits 3 once the daemon is down", async () => {
    const ws = await createWorkspace();
    await startPulse(ws);
    await waitForFirstBeat(ws);

    const asked = await callContract(ws, ["ask", "Deploy today?", "--timeout", "1"]);
    const askId = (asked.json["ask"] as { id: string }).id;
    const atOnce = await callContract(ws, ["wait", "--actionable"]);
    expect(atOnce.exitCode).toBe(0);
    expect(atOnce.json).toMatchObject({
      reason: "actionable",
      openAsks: [{ id: askId }],
      isDaemonRunning: true,
    });
    // With --new, the ask already relayed does not wake it again: it times out (124).
    const notNew = await callContract(ws, ["wait", "--actionable", "--new", "--timeout", "1"]);
    expect(notNew.exitCode).toBe(124);
    expect(notNew.json).toMatchObject({ reason: "timeout", openAsks: [{ id: askId }] });
    await writeBrainReply(ws, { critique: "answered", actions: [{ type: "noop" }] });
    await callContract(ws, ["answer", askId, "no"]);
    await waitForJournalLine(ws, "answered");

    // Nothing actionable now: the wait blocks until the brain's command is held for a human.
    const waiting = startBackgroundBosun(ws, ["_", "wait", "--actionable"]);
    await waiting.waitForStderr("waiting for something actionable");
    await writeBrainReply(ws, {
      critique: "wants a command",
      actions: [{ type: "run_command", command: "git gc", reason: "tidy" }],
    });
    await callContract(ws, ["goal", "write", "tidy", "Keep the repository small."]);
    const held = await waiting.ended;
    expect(held.exitCode).toBe(0);
    const heldJson = JSON.parse(held.stdout) as Record<string, unknown>;
    expect(heldJson).toMatchObject({
      reason: "actionable",
      heldDecision: {
        critique: "wants a command",
        actions: [{ status: "awaiting", action: { type: "run_command" } }],
      },
    });
    const decisionId = (heldJson["heldDecision"] as { id: string }).id;
    // The rejection wakes the daemon (its ask is answered): the brain then lets it be.
    await writeBrainReply(ws, { critique: "let it be", actions: [{ type: "noop" }] });
    const rejected = await callContract(ws, ["decision", "reject", decisionId]);
    expect(rejected.json).toMatchObject({ decision: { actions: [{ status: "rejected" }] } });

    expect((await runPulseBosun(ws, ["pulse", "down"])).exitCode).toBe(0);
    const down = await callContract(ws, ["wait", "--actionable"]);
    expect(down.exitCode, JSON.stringify(down.json)).toBe(3);
    expect(down.json).toMatchObject({ reason: "daemon-down", isDaemonRunning: false });
  });

  it("exits 3 when the daemon is killed with -9 while it waits", async () => {
    const ws = await createWorkspace();
    const pid = await startPulse(ws);
    await waitForFirstBeat(ws);
    const waiting = startBackgroundBosun(ws, ["_", "wait", "--actionable"]);
    await waiting.waitForStderr("waiting for something actionable");
    const killedAtMs = Date.now();
    process.kill(pid, "SIGKILL");
    const ended = await waiting.ended;
    expect(ended.exitCode).toBe(3);
    expect(JSON.parse(ended.stdout)).toMatchObject({
      reason: "daemon-down",
      isDaemonRunning: false,
    });
    // No file changes when a process dies by -9: the wait's liveness probe (1 s) finds it.
    expect(Date.now() - killedAtMs).toBeLessThan(10_000);
  });
});

describe("bosun _ run -- CMD", () => {
  it("runs an allow-listed command at once, its output kept, and holds any other for a human", async () => {
    const ws = await createWorkspace({ allow: ["echo"] });
    const ran = await callContract(ws, ["run", "--", "echo", "hello"]);
    expect(ran.exitCode, ran.stderr).toBe(0);
    expectNoInternalError(ran);
    expect(ran.json).toMatchObject({
      decision: { source: "human", actions: [{ status: "done", result: "exit 0: hello" }] },
    });
    const decisionId = (ran.json["decision"] as { id: string }).id;
    const log = join(getBosunPaths(ws.repo).pulse.decisionsDir, decisionId, "action-1.log");
    expect(await readFile(log, "utf8")).toBe("hello\n");

    const held = await callContract(ws, ["run", "--", "git", "gc"]);
    expect(held.exitCode).toBe(0);
    expect(held.json).toMatchObject({ decision: { actions: [{ status: "awaiting" }] } });
    const waited = await callContract(ws, ["wait", "--actionable"]);
    expect(waited.json).toMatchObject({
      reason: "actionable",
      heldDecision: { id: (held.json["decision"] as { id: string }).id },
    });
  });
});

describe("the daemon killed with -9 mid-act", () => {
  it("marks the half-done command interrupted, stops it, never runs it again, and tells the brain", async () => {
    // Allow-listed, so it runs unasked; the script sits in the repository, where commands run.
    const command = "sh act.sh";
    const ws = await createWorkspace({ allow: [command] });
    const outFile = join(ws.repo, "out.txt");
    const goFile = join(ws.repo, "go");
    await writeFile(
      join(ws.repo, "act.sh"),
      "echo ran >> out.txt\nwhile [ ! -e go ]; do sleep 0.1; done\n",
    );
    await writeBrainReply(ws, {
      critique: "run the slow command",
      actions: [{ type: "run_command", command, reason: "the test's move" }],
    });
    const pid = await startPulse(ws);
    await waitFor("the command to have started", async () =>
      existsSync(outFile) && (await readFile(outFile, "utf8")) !== "" ? true : undefined,
    );
    const started = await waitForDecision(ws, "run the slow command");
    expect(started.actions[0]?.status).toBe("started");
    process.kill(pid, "SIGKILL");
    await waitFor("the daemon to die", () => (isPidRunning(pid) ? undefined : true));

    await writeBrainReply(ws, { critique: "after the crash", actions: [{ type: "noop" }] });
    await startPulse(ws);
    const interrupted = await waitForJournalLine(ws, "INTERRUPTED");
    expect(interrupted).toContain(`${started.id} #1 run \`${command}\` was interrupted`);
    const record = await waitForDecision(ws, "run the slow command");
    expect(record.actions[0]).toMatchObject({
      status: "interrupted",
      // Nothing outlives the pulse that started it: the orphan was found by its pid file.
      error: expect.stringContaining("its command was still running and was stopped") as unknown,
    });
    expect(await listProcessesLike(ws, "act.sh")).toEqual([]);
    const next = await waitForDecision(ws, "after the crash");
    expect(await readBrainPrompt(ws, next.id)).toContain(
      `${started.id} #1 run \`${command}\` was interrupted half-done`,
    );
    // Nothing ran it a second time.
    await writeFile(goFile, "");
    expect(await readFile(outFile, "utf8")).toBe("ran\n");
    expect((await readJournal(ws)).filter((line) => line.includes("INTERRUPTED"))).toHaveLength(1);
  });

  it("runs a repeatable move left started (a goal write) again, to done", async () => {
    const ws = await createWorkspace();
    const paths = getBosunPaths(ws.repo);
    const id = createDecisionId();
    // What a daemon killed between marking the move started and writing the goal leaves.
    await writeDecisionRecord(paths, {
      version: 1,
      id,
      createdAt: new Date().toISOString(),
      source: "brain",
      worldHash: "",
      critique: "write a goal",
      actions: [
        {
          index: 1,
          action: { type: "write_goal", id: "ship", text: "Ship the release." },
          gate: "run",
          gateReason: "safe",
          status: "started",
          startedAt: new Date().toISOString(),
        },
      ],
    });
    await startPulse(ws);
    const done = await waitForDecision(ws, "write a goal", (record) =>
      record.actions.every((item) => item.status === "done"),
    );
    expect(done.actions[0]?.result).toBe("goal ship written");
    expect(await readFile(paths.pulse.goalFile("ship"), "utf8")).toContain("Ship the release.");
    expect(await waitForJournalLine(ws, `${id} #1 write goal ship — done`)).toBeTruthy();
    expect((await readJournal(ws)).some((line) => line.includes("INTERRUPTED"))).toBe(false);
  });
});

describe("bosun pulse watch", () => {
  it("prints the daemon's log and journal lines as they grow", async () => {
    const ws = await createWorkspace();
    await startPulse(ws);
    await waitForFirstBeat(ws);
    const seen: string[] = [];
    const watch = startBackgroundBosun(ws, ["pulse", "watch"], (line) => seen.push(line));
    await waitFor("the log so far", () =>
      seen.some((line) => line.startsWith("log  ") && line.includes("pulse up")) ? true : undefined,
    );
    await writeBrainReply(ws, { critique: "watched move", actions: [{ type: "noop" }] });
    await callContract(ws, ["goal", "write", "watched", "Be watched."]);
    await waitFor("the new move in the watch", () =>
      seen.some((line) => line.startsWith("move ") && line.includes("watched move"))
        ? true
        : undefined,
    );
    expect(seen.some((line) => line.startsWith("log  ") && line.includes("woken: goals/"))).toBe(
      true,
    );
    watch.handle.kill();
    await watch.ended;
    // A watch stops no agents, and says so.
    const stderr = await readFile(watch.stderrFile, "utf8");
    expect(stderr).toContain("Stopping…");
    expect(stderr).not.toContain("agents");
  });
});

describe("bosun pulse init", () => {
  it("writes the starter files and a setup ask that wakes a client waiting on asks", async () => {
    const ws = await createWorkspace();
    const waiting = startBackgroundBosun(ws, ["_", "wait", "--only-asks"]);
    await waiting.waitForStderr("waiting for asks");
    const init = await runPulseBosun(ws, ["--json", "pulse", "init"]);
    expect(init.exitCode, init.stderr).toBe(0);
    const made = JSON.parse(init.stdout) as { made: string[]; setupAskId: string };
    expect(made.made).toEqual([
      ".bosun/pulse/PLAYBOOK.md",
      ".bosun/pulse/goals/setup.md",
      ".bosun/pulse/sensors/git-head",
      `ask ${made.setupAskId}`,
    ]);
    const paths = getBosunPaths(ws.repo);
    expect((await stat(join(paths.pulse.sensorsDir, "git-head"))).mode & 0o111).not.toBe(0);

    const woken = await waiting.ended;
    expect(woken.exitCode).toBe(0);
    expect(JSON.parse(woken.stdout)).toMatchObject({
      changes: [{ kind: "ask.opened", ask: { id: made.setupAskId, runId: "pulse" } }],
    });
    // A client that starts waiting later finds it at once, daemon or not.
    const actionable = await callContract(ws, ["wait", "--actionable"]);
    expect(actionable.exitCode).toBe(0);
    expect(actionable.json).toMatchObject({
      reason: "actionable",
      openAsks: [{ id: made.setupAskId }],
      isDaemonRunning: false,
    });
    // Init again keeps what is there and asks nothing new.
    const again = await runPulseBosun(ws, ["--json", "pulse", "init"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ made: [], setupAskId: made.setupAskId });
    expect(await readDecisions(ws)).toEqual([]);
  });
});
