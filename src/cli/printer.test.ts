import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { BosunEvent } from "../flows/events.js";
import { createEventBus } from "../flows/event-bus.js";
import type * as PrinterModule from "./printer.js";

// format.ts decides on colour when it loads, so NO_COLOR must be set before the printer is imported.
let printer: typeof PrinterModule;
beforeAll(async () => {
  vi.stubEnv("NO_COLOR", "1");
  printer = await import("./printer.js");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const RUN_ID = "20261122-120000-ab12";
const BASE = { runId: RUN_ID, ts: "2026-11-22T12:00:00.000Z" };

function makeEvents(): BosunEvent[] {
  return [
    {
      ...BASE,
      seq: 1,
      type: "run.created",
      version: 2,
      flow: "review",
      taskId: "T-001",
      title: "t",
      baseCommit: "c0",
      options: { worker: "claude", reviewer: "codex", maxRounds: 3, verify: "", timeoutSec: 0 },
    },
    { ...BASE, seq: 2, type: "round.started", taskId: "T-001", round: 1, head: "c0" },
    {
      ...BASE,
      seq: 3,
      type: "dispatch.started",
      taskId: "T-001",
      round: 1,
      seat: "worker",
      harness: "claude",
      attempt: 2,
    },
    {
      ...BASE,
      seq: 4,
      type: "dispatch.completed",
      taskId: "T-001",
      round: 1,
      seat: "worker",
      harness: "codex",
      attempt: 1,
      exitCode: 0,
      sessionId: "0199a213-81c0-7800-8aa1-bbab2a035a53",
      costUsd: 0.01234,
      isCostEstimated: true,
      tokens: { inputTokens: 1200, cachedInputTokens: 0, outputTokens: 34 },
      durationMs: 65_400,
      spawns: 1,
    },
    {
      ...BASE,
      seq: 5,
      type: "checkpoint.created",
      taskId: "T-001",
      round: 1,
      commit: "90451fc1c90da7ede428",
      parent: "c0",
      filesChanged: ["a.js", "b.js"],
    },
    {
      ...BASE,
      seq: 6,
      type: "gate.completed",
      taskId: "T-001",
      round: 1,
      name: "verify",
      passed: false,
      detail: "`npm test`\nexited 1",
    },
    {
      ...BASE,
      seq: 7,
      type: "review.completed",
      taskId: "T-001",
      seat: "reviewer",
      round: 1,
      decision: "changes_required",
      blockingIssues: 2,
    },
    {
      ...BASE,
      seq: 8,
      type: "round.completed",
      taskId: "T-001",
      round: 1,
      verdict: "fix",
      fixItems: 2,
    },
    {
      ...BASE,
      seq: 9,
      type: "ask.created",
      askId: "ask-1",
      question: "3 rounds ran without approval",
    },
    {
      ...BASE,
      seq: 10,
      type: "run.completed",
      status: "needs_human",
      reason: "waiting for an answer",
    },
    {
      type: "agent.output",
      taskId: "T-001",
      runId: RUN_ID,
      round: 1,
      seat: "worker",
      event: { type: "tool.use", tool: "Bash", summary: "npm   test" },
    },
    {
      type: "agent.retry",
      taskId: "T-001",
      runId: RUN_ID,
      round: 1,
      seat: "reviewer",
      spawn: 1,
      delayMs: 5000,
      message: "HTTP 503",
    },
    { type: "warning", runId: RUN_ID, message: "The reviewer changed 1 file(s)" },
  ];
}

describe("formatEvent", () => {
  it("prints one plain line per event (no ANSI under NO_COLOR)", () => {
    const lines = makeEvents().map((event) => printer.formatEvent(event, false));
    expect(lines.join("\n")).not.toContain("\u001b");
    expect(lines).toMatchInlineSnapshot(`
      [
        "▶ review 20261122-120000-ab12 · task T-001 · worker claude, reviewer codex, up to 3 round(s)",
        "── round 1",
        "  worker claude re-prompt (attempt 2)…",
        "  worker ✓ 1m05s · $0.0123~ · 1234 tok · session 0199a213-81c",
        "  checkpoint 90451fc · 2 file(s) changed",
        "  gate verify ✗ \`npm test\` exited 1",
        "  review changes_required · 2 blocking issue(s)",
        "  round 1 → fix (2 item(s) to fix)",
        "? ask ask-1: 3 rounds ran without approval",
        "⏸ needs_human waiting for an answer",
        "    worker · Bash npm test",
        "  reviewer retry in 5.0s: HTTP 503",
        "  warning The reviewer changed 1 file(s)",
      ]
    `);
  });

  it("says which session a dispatch resumes", () => {
    const started: BosunEvent = {
      ...BASE,
      seq: 3,
      type: "dispatch.started",
      taskId: "T-001",
      round: 2,
      seat: "worker",
      harness: "claude",
      attempt: 1,
      resumeSessionId: "0199a213-81c4-7000-8000-000000000000",
    };
    expect(printer.formatEvent(started, false)).toBe(
      "  worker claude working, resuming session 0199a213-81c…",
    );
    expect(printer.formatEvent({ ...started, attempt: 2 }, false)).toBe(
      "  worker claude re-prompt (attempt 2), resuming session 0199a213-81c…",
    );
  });

  it("shows a delivered tell as one line naming the task, the round and the message", () => {
    const told: BosunEvent = {
      ...BASE,
      seq: 4,
      type: "tell.delivered",
      taskId: "api",
      round: 2,
      tellId: `tell-${RUN_ID}-20261122120100000-ab12`,
      text: "Keep /v1 working.\nClients still call it.",
      source: "cli",
      sentAt: "2026-11-22T12:01:00.000Z",
    };
    expect(printer.formatEvent(told, false)).toBe(
      "! told the worker of api round 2: Keep /v1 working. Clients still call it.",
    );
  });

  it("shows each agent message as one compact line, in full when verbose", () => {
    const text: BosunEvent = {
      type: "agent.output",
      taskId: "T-001",
      runId: RUN_ID,
      round: 1,
      seat: "worker",
      event: { type: "text", text: "Thinking\nabout it" },
    };
    expect(printer.formatEvent(text, false)).toBe("    worker · Thinking about it");
    expect(printer.formatEvent(text, true)).toBe("    worker · Thinking\n      about it");
    const long: BosunEvent = { ...text, event: { type: "text", text: "x".repeat(300) } };
    expect(printer.formatEvent(long, false)).toHaveLength("    worker · ".length + 100);
    const usage: BosunEvent = {
      type: "agent.output",
      taskId: "T-001",
      runId: RUN_ID,
      round: 1,
      seat: "worker",
      event: {
        type: "usage",
        usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 },
        isCumulative: true,
      },
    };
    expect(printer.formatEvent(usage, false)).toBeUndefined();
    expect(printer.formatEvent(usage, true)).toBe("    worker · tokens 1 in / 1 out");
  });

  it("always shows a failed tool call, and every tool result when verbose", () => {
    const make = (isError: boolean): BosunEvent => ({
      type: "agent.output",
      taskId: "T-001",
      runId: RUN_ID,
      round: 1,
      seat: "worker",
      event: { type: "tool.result", isError, output: "exit 1\nboom" },
    });
    expect(printer.formatEvent(make(true), false)).toBe("    worker · tool failed exit 1 boom");
    expect(printer.formatEvent(make(false), false)).toBeUndefined();
    expect(printer.formatEvent(make(false), true)).toBe("    worker · tool ok exit 1 boom");
  });
});

describe("createPrinter heartbeat", () => {
  const started: BosunEvent = {
    ...BASE,
    seq: 3,
    type: "dispatch.started",
    taskId: "T-001",
    round: 1,
    seat: "worker",
    harness: "claude",
    attempt: 1,
  };

  it("says an agent is still working after a quiet spell, and stops when it finishes", () => {
    vi.useFakeTimers();
    try {
      const lines: string[] = [];
      const print = printer.createPrinter({
        isJson: false,
        isVerbose: false,
        write: (line) => lines.push(line),
        heartbeatMs: 1000,
      });
      print(started);
      vi.advanceTimersByTime(999);
      expect(lines.filter((line) => line.includes("still working"))).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(lines.at(-1)).toBe("  worker claude still working · 1.0s");
      print({
        type: "agent.output",
        taskId: "T-001",
        runId: RUN_ID,
        round: 1,
        seat: "worker",
        event: { type: "text", text: "x" },
      });
      vi.advanceTimersByTime(999);
      expect(lines.filter((line) => line.includes("still working"))).toHaveLength(1);
      print({
        ...BASE,
        seq: 4,
        type: "dispatch.failed",
        taskId: "T-001",
        round: 1,
        seat: "worker",
        harness: "claude",
        message: "boom",
        isPermanent: true,
      });
      vi.advanceTimersByTime(10_000);
      expect(lines.filter((line) => line.includes("still working"))).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("createPrinter text budget", () => {
  it("shows at most 20 agent text lines a second and says how many it skipped", () => {
    let now = 0;
    const lines: string[] = [];
    const print = printer.createPrinter({
      isJson: false,
      isVerbose: false,
      write: (line) => lines.push(line),
      heartbeatMs: 0,
      now: () => now,
    });
    const text = (n: number): BosunEvent => ({
      type: "agent.output",
      taskId: "T-001",
      runId: RUN_ID,
      round: 1,
      seat: "worker",
      event: { type: "text", text: `line ${n}` },
    });
    for (let n = 1; n <= 1000; n += 1) print(text(n));
    expect(lines).toHaveLength(20);
    now = 1000;
    print(text(1001));
    expect(lines.slice(20)).toEqual([
      "    … 980 more line(s) of agent text; all of it is in agent.log",
      "    worker · line 1001",
    ]);
  });
});

describe("createPrinter with task ids (team runs)", () => {
  it("starts each task's lines with its id, and leaves run-level and planner lines alone", () => {
    const lines: string[] = [];
    const print = printer.createPrinter({
      isJson: false,
      isVerbose: false,
      heartbeatMs: 0,
      showTaskIds: true,
      write: (line) => lines.push(line),
    });
    print({ ...BASE, seq: 5, type: "round.started", taskId: "api", round: 2, head: "c1" });
    print({ ...BASE, seq: 6, type: "round.started", taskId: "plan", round: 1, head: "c1" });
    print({ ...BASE, seq: 7, type: "plan.approved", by: "auto" });
    print({
      type: "agent.output",
      runId: RUN_ID,
      taskId: "web",
      round: 1,
      seat: "worker",
      event: { type: "tool.use", tool: "Write", summary: "index.html" },
    });
    expect(lines).toEqual([
      "[api] ── round 2",
      "── round 1",
      "  plan approved",
      "[web] worker · Write index.html",
    ]);
  });
});

describe("subscribePrinter", () => {
  it("makes the printer one subscriber of the invocation's bus, which the flow publishes to", () => {
    const events = createEventBus();
    const seen: BosunEvent[] = [];
    events.subscribe((event) => seen.push(event));
    const onEvent = printer.subscribePrinter({ events, isJson: false, isVerbose: false });
    expect(events.listenerCount).toBe(2);
    const event: BosunEvent = { type: "warning", runId: "r1", message: "hello" };
    const written = captureStderr(() => onEvent(event));
    expect(seen).toEqual([event]);
    expect(written).toContain("hello");
  });
});

function captureStderr(work: () => void): string {
  const original = process.stderr.write.bind(process.stderr);
  let text = "";
  process.stderr.write = (chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  };
  try {
    work();
  } finally {
    process.stderr.write = original;
  }
  return text;
}
