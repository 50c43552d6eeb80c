import { describe, expect, it } from "vitest";
import { CancelledError } from "../errors.js";
import { buildRunIndex } from "../store/run-index.js";
import type { RunEvent } from "../store/schema/events.js";
import { createHarnessPauses, restoreHarnessPauses } from "./harness-pause.js";
import { AgentRateLimitError } from "./rate-limit.js";

describe("createHarnessPauses: how long a pause lasts", () => {
  it("backs off exponentially with equal jitter when the provider gives no reset time", () => {
    let nowMs = 1_000_000;
    let random = 0;
    const pauses = createHarnessPauses({
      baseMs: 1_000,
      capMs: 3_000,
      now: () => nowMs,
      random: () => random,
    });
    // Half the backoff at least, all of it at most: 1 s, 2 s, then the 3 s cap.
    const first = pauses.pause("claude", { reason: "429" }).pause.until.getTime() - nowMs;
    expect(first).toBe(500);
    nowMs += first;
    random = 0.5;
    const second = pauses.pause("claude", { reason: "429" }).pause.until.getTime() - nowMs;
    expect(second).toBe(1_500);
    nowMs += second;
    random = 1;
    const third = pauses.pause("claude", { reason: "429" }).pause.until.getTime() - nowMs;
    expect(third).toBe(3_000);
    nowMs += third;
    expect(pauses.pause("claude", { reason: "429" }).pause.until.getTime() - nowMs).toBe(3_000);
    // A success starts the backoff small again.
    nowMs += 3_000;
    pauses.clearBackoff("claude");
    random = 0;
    expect(pauses.pause("claude", { reason: "429" }).pause.until.getTime() - nowMs).toBe(500);
  });

  it("lets a report during a pause join it, and a later reset time extend it", () => {
    const nowMs = 1_000_000;
    const pauses = createHarnessPauses({ baseMs: 1_000, now: () => nowMs, random: () => 0 });
    const first = pauses.pause("codex", { reason: "first 429" });
    expect(first.isNew).toBe(true);
    // Calls that started before the pause come back limited too: they join, the backoff stays.
    const joined = pauses.pause("codex", { reason: "second 429" });
    expect(joined).toEqual({ pause: first.pause, isNew: false });
    expect(pauses.pause("codex", { reason: "early", resetAtMs: nowMs + 100 }).isNew).toBe(false);
    const extended = pauses.pause("codex", { reason: "resets later", resetAtMs: nowMs + 60_000 });
    expect(extended).toEqual({
      pause: { harness: "codex", until: new Date(nowMs + 60_000), reason: "resets later" },
      isNew: true,
    });
    expect(pauses.getPause("codex")).toEqual(extended.pause);
    expect(pauses.getPause("claude")).toBeUndefined();
  });

  it("forgets a pause once it is over", () => {
    let nowMs = 1_000_000;
    const pauses = createHarnessPauses({ now: () => nowMs });
    pauses.pause("claude", { reason: "limit", resetAtMs: nowMs + 5_000 });
    expect(pauses.getPause("claude")).toBeDefined();
    nowMs += 5_000;
    expect(pauses.getPause("claude")).toBeUndefined();
  });
});

describe("createHarnessPauses: waiting", () => {
  it("returns at once when the harness is not paused", async () => {
    await expect(createHarnessPauses().waitForResume("claude")).resolves.toBeUndefined();
  });

  it("waits until the pause ends, and for an extension made while waiting", async () => {
    const pauses = createHarnessPauses();
    const firstUntilMs = Date.now() + 100;
    pauses.pause("claude", { reason: "limit", resetAtMs: firstUntilMs });
    let extendedUntilMs = 0;
    const waiting = pauses.waitForResume("claude").then(() => Date.now());
    // A second waiter that arrives later extends the pause; the first must wait for that too.
    setTimeout(() => {
      extendedUntilMs = Date.now() + 150;
      pauses.pause("claude", { reason: "limit again", resetAtMs: extendedUntilMs });
    }, 20);
    const resumedAtMs = await waiting;
    expect(extendedUntilMs).toBeGreaterThan(firstUntilMs);
    expect(resumedAtMs).toBeGreaterThanOrEqual(extendedUntilMs);
    expect(pauses.getPause("claude")).toBeUndefined();
  });

  it("ends the wait with CancelledError as soon as the signal aborts", async () => {
    const pauses = createHarnessPauses();
    pauses.pause("claude", { reason: "limit", resetAtMs: Date.now() + 60_000 });
    const controller = new AbortController();
    const waiting = pauses.waitForResume("claude", controller.signal);
    const abortedAtMs = Date.now();
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - abortedAtMs).toBeLessThan(1_000);
    // An already aborted signal never waits.
    await expect(pauses.waitForResume("claude", controller.signal)).rejects.toThrow(
      "claude cancelled while paused by a provider limit.",
    );
  });

  it("does not wait out a pause longer than maxWaitMs: it says when the limit resets", async () => {
    const nowMs = Date.UTC(2026, 0, 15, 12, 0);
    const pauses = createHarnessPauses({ maxWaitMs: 3_600_000, now: () => nowMs });
    pauses.pause("claude", {
      reason: "You've hit your weekly limit",
      resetAtMs: nowMs + 2 * 86_400_000,
    });
    const error: unknown = await pauses.waitForResume("claude").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentRateLimitError);
    expect(error).toMatchObject({ resetAtMs: nowMs + 2 * 86_400_000, isPermanent: false });
    expect((error as Error).message).toBe(
      "claude is paused until 2026-01-17T12:00:00.000Z by a provider limit (You've hit your weekly limit), more than 1 h away. Continue the run after that time, or give this step another harness.",
    );
  });
});

describe("restoreHarnessPauses: pauses a resumed run's journal recorded", () => {
  /** A journal of `harness.paused` events, indexed as a resumed run's store does. */
  function indexPauses(...pauses: Array<{ harness: string; until: number; reason: string }>) {
    const events: RunEvent[] = pauses.map((pause, index) => ({
      type: "harness.paused",
      harness: pause.harness,
      until: new Date(pause.until).toISOString(),
      reason: pause.reason,
      seq: index + 1,
      ts: new Date(0).toISOString(),
    }));
    return buildRunIndex(events).pausedHarnesses.values();
  }

  it("seeds every pause still ahead, with its end and message, and drops those over", () => {
    const nowMs = Date.UTC(2026, 0, 15, 12, 0);
    const pauses = createHarnessPauses({ now: () => nowMs });
    const restored = restoreHarnessPauses(
      pauses,
      indexPauses(
        { harness: "claude", until: nowMs + 60_000, reason: "429 first" },
        { harness: "codex", until: nowMs - 1_000, reason: "over" },
        // The harness's last pause is the one that holds.
        { harness: "claude", until: nowMs + 120_000, reason: "429 again" },
      ),
    );
    const claude = { harness: "claude", until: new Date(nowMs + 120_000), reason: "429 again" };
    expect(restored).toEqual([claude]);
    expect(pauses.getPause("claude")).toEqual(claude);
    expect(pauses.getPause("codex")).toBeUndefined();
  });

  it("makes a dispatch on a restored harness wait until the recorded end", async () => {
    const pauses = createHarnessPauses();
    const untilMs = Date.now() + 150;
    restoreHarnessPauses(pauses, indexPauses({ harness: "claude", until: untilMs, reason: "429" }));
    const resumedAtMs = await pauses.waitForResume("claude").then(() => Date.now());
    expect(resumedAtMs).toBeGreaterThanOrEqual(untilMs);
    await expect(pauses.waitForResume("codex")).resolves.toBeUndefined();
  });
});
