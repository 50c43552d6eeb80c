import { afterEach, describe, expect, it, vi } from "vitest";
import type { AgentEvent } from "./agent-event.js";
import { createStallWatch, type Stall, type StallLimits } from "./stall-watch.js";

afterEach(() => {
  vi.useRealTimers();
});

/** A watch with the given limits (timers off unless set) and the stalls it reported. */
function makeWatch(limits: Partial<StallLimits>): {
  stalls: Stall[];
  observe: (...events: AgentEvent[]) => void;
  stop: () => void;
} {
  const stalls: Stall[] = [];
  const watch = createStallWatch(
    { stallTimeoutMs: 0, toolCallTimeoutMs: 0, repeatedToolFailures: 0, ...limits },
    (stall) => stalls.push(stall),
  );
  return { stalls, observe: (...events) => watch.observe(events), stop: () => watch.stop() };
}

const use = (summary: string, id?: string): AgentEvent => ({
  type: "tool.use",
  tool: "shell",
  summary,
  ...(id === undefined ? {} : { id }),
});
const failed = (id?: string): AgentEvent => ({
  type: "tool.result",
  isError: true,
  ...(id === undefined ? {} : { id }),
});
const passed = (id?: string): AgentEvent => ({
  type: "tool.result",
  isError: false,
  ...(id === undefined ? {} : { id }),
});

describe("createStallWatch: repeated tool failures", () => {
  it("matches results to their calls by id, also when parallel calls finish out of order", () => {
    const { stalls, observe } = makeWatch({ repeatedToolFailures: 3 });
    observe(use("npm test", "a1"), use("ls", "b1"));
    observe(passed("b1"), failed("a1"));
    observe(use("ls", "b2"), use("npm test", "a2"));
    observe(failed("a2"));
    expect(stalls).toEqual([]);
    observe(passed("b2"));
    // The success of another call breaks the run of failures.
    observe(use("npm test", "a3"), failed("a3"), use("npm test", "a4"), failed("a4"));
    expect(stalls).toEqual([]);
    observe(use("npm test", "a5"), failed("a5"));
    expect(stalls).toMatchObject([{ kind: "tool_failing" }]);
  });

  it("fires once, and not at all while the limit is 0", () => {
    const off = makeWatch({ repeatedToolFailures: 0 });
    for (let n = 0; n < 10; n += 1) off.observe(use("npm test"), failed());
    expect(off.stalls).toEqual([]);
    const on = makeWatch({ repeatedToolFailures: 2 });
    for (let n = 0; n < 10; n += 1) on.observe(use("npm test"), failed());
    expect(on.stalls).toHaveLength(1);
  });

  it("counts a result without an id against the latest open call", () => {
    const { stalls, observe } = makeWatch({ repeatedToolFailures: 2 });
    observe(use("make", "m1"), failed());
    observe(use("make", "m2"), failed("unknown-id"));
    expect(stalls).toMatchObject([
      {
        kind: "tool_failing",
        description: "the same tool call (shell: make) failed 2 times in a row",
      },
    ]);
  });
});

describe("createStallWatch: timers", () => {
  it("uses the tool-call limit while a call is open and the silence limit otherwise", () => {
    vi.useFakeTimers();
    const { stalls, observe } = makeWatch({ stallTimeoutMs: 100, toolCallTimeoutMs: 1_000 });
    observe(use("npm test", "t1"));
    vi.advanceTimersByTime(999);
    expect(stalls).toEqual([]);
    // Output inside the call (a subagent, progress) restarts the call's limit.
    observe({ type: "unknown", raw: "progress" });
    vi.advanceTimersByTime(999);
    expect(stalls).toEqual([]);
    observe(passed("t1"));
    vi.advanceTimersByTime(99);
    expect(stalls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(stalls).toMatchObject([{ kind: "silent", description: "no output for 0.1s" }]);
  });

  it("treats text as the end of every open call", () => {
    vi.useFakeTimers();
    const { stalls, observe } = makeWatch({ stallTimeoutMs: 100, toolCallTimeoutMs: 1_000 });
    observe(use("a", "1"), use("b", "2"));
    observe({ type: "text", text: "Both done." });
    vi.advanceTimersByTime(100);
    expect(stalls).toMatchObject([{ kind: "silent" }]);
  });

  it("names the latest open call when a tool call hangs", () => {
    vi.useFakeTimers();
    const { stalls, observe } = makeWatch({ toolCallTimeoutMs: 20_000 });
    observe(use("npm test", "1"), use(`grep -r ${"x".repeat(200)}`, "2"));
    vi.advanceTimersByTime(20_000);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]?.description).toBe(
      `one tool call (shell: grep -r ${"x".repeat(71)}…) ran for 20s with no output`,
    );
  });

  it("does not fire after stop", () => {
    vi.useFakeTimers();
    const { stalls, stop } = makeWatch({ stallTimeoutMs: 100 });
    stop();
    vi.advanceTimersByTime(1_000);
    expect(stalls).toEqual([]);
  });
});
