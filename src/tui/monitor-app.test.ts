import { render } from "ink-testing-library";
import { createElement } from "react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import {
  REVIEW_CREATED,
  TEAM_CREATED,
  TEST_RUN_ID,
  makeEvents,
  makeWorkerStarted,
} from "../../test/helpers/tui-events.js";
import type { RunEventInput } from "../store/schema/events.js";
import { MonitorApp, type MonitorController } from "./monitor-app.js";
import {
  applyJournalEvent,
  createMonitorModel,
  selectAgent,
  type MonitorModel,
} from "./monitor-model.js";

// ink draws only the last frame where CI is set (is-in-ci, read when ink loads), and colours
// follow CI too: these tests watch frames change, as a human at a terminal does.
vi.hoisted(() => {
  Reflect.deleteProperty(process.env, "CI");
});

/** A controller over a model built from `inputs`, recording the actions asked of it. */
function makeController(inputs: readonly RunEventInput[]): MonitorController & {
  calls: string[];
  push(input: RunEventInput): void;
} {
  const model: MonitorModel = createMonitorModel(TEST_RUN_ID);
  const events = makeEvents(inputs);
  for (const event of events) applyJournalEvent(model, event);
  let seq = events.length;
  const listeners = new Set<() => void>();
  const calls: string[] = [];
  return {
    model,
    calls,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    selectAgent(key) {
      calls.push(`select ${key}`);
      selectAgent(model, key);
      for (const listener of listeners) listener();
    },
    answer(askId, answer) {
      calls.push(`answer ${askId} ${answer}`);
      return Promise.resolve();
    },
    tell(taskId, text) {
      calls.push(`tell ${taskId ?? "(run)"} ${text}`);
      return Promise.resolve();
    },
    stop() {
      calls.push("stop");
      return Promise.resolve();
    },
    close() {
      calls.push("close");
      return Promise.resolve();
    },
    push(input) {
      seq += 1;
      const [event] = makeEvents([input]);
      if (event === undefined) return;
      applyJournalEvent(model, { ...event, seq });
      for (const listener of listeners) listener();
    },
  };
}

/** Renders the monitor; unmounted when the test ends. */
function renderMonitor(
  controller: MonitorController,
  options: { isColor?: boolean; columns?: number } = {},
) {
  const app = render(
    createElement(MonitorApp, {
      controller,
      theme: { isColor: options.isColor ?? false },
      columns: options.columns ?? 100,
      rows: 40,
    }),
  );
  onTestFinished(() => app.unmount());
  return app;
}

/**
 * How long a frame or a call may take to show: ink throttles its drawing (about 30 frames a
 * second), and a busy machine adds more. Waiting ends as soon as it shows.
 */
const WAIT_DEADLINE_MS = 5_000;

/** Waits for the frame to show `text`. */
async function waitForFrame(app: ReturnType<typeof render>, text: string): Promise<string> {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  while (Date.now() < deadline) {
    const frame = app.lastFrame() ?? "";
    if (frame.includes(text)) return frame;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`the frame never showed ${JSON.stringify(text)}:\n${app.lastFrame() ?? ""}`);
}

/** Waits for the controller to be asked `call`. */
async function waitForCall(calls: readonly string[], call: string): Promise<void> {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  while (Date.now() < deadline && !calls.includes(call))
    await new Promise((resolve) => setTimeout(resolve, 5));
  expect(calls).toContain(call);
}

const ASK: RunEventInput = {
  type: "ask.created",
  askId: `ask-${TEST_RUN_ID}-r1`,
  taskId: "T-001",
  round: 1,
  question: "The reviewer still wants changes. More rounds?",
};

describe("MonitorApp", () => {
  it("shows an agent silent past five minutes as stalled", async () => {
    const controller = makeController([REVIEW_CREATED, makeWorkerStarted("T-001")]);
    const lane = controller.model.agentsByKey.get("T-001:worker");
    if (lane === undefined) throw new Error("the worker's lane should exist");
    lane.lastActivityMs = Date.now() - 400_000;
    const app = renderMonitor(controller);
    expect(await waitForFrame(app, "T-001  worker")).toContain(
      "T-001  worker  offline  stalled  r1  idle 6m",
    );
  });

  it("shows the run, its agent at work, and events appended later", async () => {
    const controller = makeController([
      REVIEW_CREATED,
      { type: "round.started", taskId: "T-001", round: 1, head: "a".repeat(40) },
      makeWorkerStarted("T-001"),
    ]);
    const app = renderMonitor(controller);
    const frame = await waitForFrame(app, "Add a greeting");
    expect(frame).toContain(`bosun monitor · ${TEST_RUN_ID} · review · running`);
    expect(frame).toContain("T-001  worker  offline  working  r1  idle");
    expect(frame).toContain("read-only");
    controller.push({
      type: "gate.completed",
      taskId: "T-001",
      round: 1,
      name: "report",
      passed: true,
      detail: "ok",
    });
    expect(await waitForFrame(app, "gate report ✓")).toContain("round 1  report ✓  at work");
  });

  it("answers the selected ask with its option's number", async () => {
    const controller = makeController([REVIEW_CREATED, ASK]);
    controller.model.asks
      .get(`ask-${TEST_RUN_ID}-r1`)
      ?.options.push(
        { key: "more", label: "grant more rounds" },
        { key: "abort", label: "cancel the run" },
      );
    const app = renderMonitor(controller);
    await waitForFrame(app, "More rounds?");
    app.stdin.write("a");
    await waitForFrame(app, "1  more: grant more rounds");
    app.stdin.write("2");
    await waitForFrame(app, "answering");
    expect(controller.calls).toEqual([`answer ask-${TEST_RUN_ID}-r1 abort`]);
  });

  it("answers in typed words, and Esc cancels an answer", async () => {
    const controller = makeController([REVIEW_CREATED, ASK]);
    const app = renderMonitor(controller);
    await waitForFrame(app, "answer in your own words");
    app.stdin.write("a");
    await waitForFrame(app, "Enter sends");
    app.stdin.write("\u001B");
    await waitForFrame(app, "? help");
    app.stdin.write("a");
    await waitForFrame(app, "Enter sends");
    for (const char of "go on") app.stdin.write(char);
    await waitForFrame(app, "> go on");
    app.stdin.write("\r");
    await waitForFrame(app, "answering");
    expect(controller.calls).toEqual([`answer ask-${TEST_RUN_ID}-r1 go on`]);
  });

  it("tells the selected agent's task with t: typed words, Enter sends, Esc cancels", async () => {
    const controller = makeController([
      TEAM_CREATED,
      makeWorkerStarted("a"),
      makeWorkerStarted("b"),
    ]);
    const app = renderMonitor(controller);
    expect(await waitForFrame(app, "› b  worker")).toContain("t tell the worker");
    app.stdin.write("t");
    await waitForFrame(app, "tell b's worker");
    app.stdin.write("x");
    await waitForFrame(app, "> x");
    app.stdin.write("\u001B");
    await waitForFrame(app, "nothing told");
    app.stdin.write("j");
    await waitForFrame(app, "› a  worker");
    app.stdin.write("t");
    await waitForFrame(app, "tell a's worker");
    // Digits are words here (no options to pick).
    for (const char of "use port 8080") app.stdin.write(char);
    await waitForFrame(app, "> use port 8080");
    app.stdin.write("\r");
    await waitForFrame(app, "telling a's worker");
    expect(controller.calls).toEqual(["select a:worker", "tell a use port 8080"]);
    app.stdin.write("?");
    await waitForFrame(app, "tell the selected agent's task's worker something");
  });

  it("approves a gated plan with p, and stops the run only after y", async () => {
    const controller = makeController([
      TEAM_CREATED,
      { type: "run.resumed", pid: 1 },
      { type: "ask.created", askId: `ask-${TEST_RUN_ID}-plan`, question: "Approve the plan?" },
    ]);
    controller.model.process = { kind: "other", pid: 4242 };
    const app = renderMonitor(controller);
    await waitForFrame(app, "Approve the plan?");
    app.stdin.write("p");
    await waitForFrame(app, "live · process 4242");
    app.stdin.write("s");
    await waitForFrame(app, "stop this run? y to stop");
    app.stdin.write("n");
    await waitForFrame(app, "not stopped");
    app.stdin.write("s");
    await waitForFrame(app, "stop this run?");
    app.stdin.write("y");
    await waitForFrame(app, "stopping the run");
    expect(controller.calls).toEqual([`answer ask-${TEST_RUN_ID}-plan approve`, "stop"]);
  });

  it("refuses to stop a run no process works on (read-only)", async () => {
    const controller = makeController([REVIEW_CREATED]);
    const app = renderMonitor(controller);
    await waitForFrame(app, "Add a greeting");
    app.stdin.write("s");
    await waitForFrame(app, "read-only: no process is working on this run");
    expect(controller.calls).toEqual([]);
  });

  it("moves the selected agent with j and k, shows help on ?, and quits on q", async () => {
    const controller = makeController([
      TEAM_CREATED,
      makeWorkerStarted("a"),
      makeWorkerStarted("b"),
    ]);
    const app = renderMonitor(controller);
    await waitForFrame(app, "› b  worker");
    app.stdin.write("j");
    await waitForFrame(app, "› a  worker");
    app.stdin.write("?");
    await waitForFrame(app, "select the agent whose output is shown");
    app.stdin.write("?");
    await waitForFrame(app, "agents (2 working)");
    app.stdin.write("q");
    await waitForCall(controller.calls, "close");
    expect(controller.calls).toEqual(["select a:worker", "close"]);
  });

  it("shows the spend against the cap, without colour codes when colour is off", async () => {
    const costly: RunEventInput = {
      type: "dispatch.completed",
      taskId: "a",
      round: 1,
      seat: "worker",
      harness: "offline",
      attempt: 1,
      exitCode: 0,
      costUsd: 9.7,
      isCostEstimated: false,
      tokens: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 },
      durationMs: 1,
      spawns: 1,
    };
    const plain = renderMonitor(makeController([TEAM_CREATED, makeWorkerStarted("a"), costly]));
    expect(await waitForFrame(plain, "cost $9.70 of $10.00 (97%)")).not.toContain("\u001B[");
  });

  it("drops the less useful columns on a narrow terminal", async () => {
    const controller = makeController([TEAM_CREATED, makeWorkerStarted("a")]);
    const wide = renderMonitor(controller, { columns: 100 });
    expect(await waitForFrame(wide, "a  worker")).toContain("a  worker  offline  working");
    const narrow = renderMonitor(controller, { columns: 50 });
    const frame = await waitForFrame(narrow, "a  worker");
    expect(frame).toContain("a  worker  working");
    expect(Math.max(...frame.split("\n").map((line) => line.length))).toBeLessThanOrEqual(50);
  });
});
