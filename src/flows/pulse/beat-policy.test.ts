import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import { createPulseState } from "../../store/schema/pulse-record.js";
import type { SensorReading } from "../../store/schema/pulse.js";
import {
  HOUR_MS,
  addSpend,
  getBrainBlock,
  getDecideReason,
  getFailureBackoffMs,
  noteSignals,
} from "./beat-policy.js";

const pulse = DEFAULT_CONFIG.pulse;
const NOW = Date.parse("2026-12-03T12:00:00Z");

function reading(name: string, signal: unknown): SensorReading {
  return { status: "ok", name, signal: signal as never, readAtMs: NOW, durationMs: 1 };
}

describe("getDecideReason", () => {
  it("decides on the first beat, a change, a fired schedule, a look back and an old noop — else not", () => {
    const state = createPulseState();
    expect(getDecideReason(state, "h1", [], NOW, pulse)).toBe("first beat");
    state.lastWorldHash = "h1";
    state.lastDecisionAtMs = NOW - 1000;
    state.lastNoopAtMs = NOW - 1000;
    expect(getDecideReason(state, "h1", [], NOW, pulse)).toBeUndefined();
    expect(getDecideReason(state, "h2", [], NOW, pulse)).toBe("the world changed");
    expect(getDecideReason(state, "h1", ["nightly"], NOW, pulse)).toBe("schedule nightly fired");
    state.redecideAtMs = NOW;
    expect(getDecideReason(state, "h1", [], NOW, pulse)).toMatch(/look back/);
    delete state.redecideAtMs;
    state.lastNoopAtMs = NOW - pulse.noopTtlSec * 1000;
    expect(getDecideReason(state, "h1", [], NOW, pulse)).toMatch(/nothing decided for/);
    expect(getDecideReason(state, "h1", [], NOW, { ...pulse, noopTtlSec: 0 })).toBeUndefined();
  });
});

describe("getBrainBlock", () => {
  it("blocks on the hourly call cap, the daily spend cap, a backoff and the provider's quota", () => {
    const state = createPulseState();
    expect(getBrainBlock(state, NOW, pulse)).toBeUndefined();
    state.brainCallTimesMs = [NOW - HOUR_MS - 1, NOW - 10, NOW - 5];
    expect(getBrainBlock(state, NOW, { ...pulse, brainCallsPerHour: 2 })).toMatch(
      /2 of 2 calls in the last hour; sensing goes on/,
    );
    expect(getBrainBlock(state, NOW, { ...pulse, brainCallsPerHour: 3 })).toBeUndefined();
    addSpend(state, 5, NOW);
    expect(getBrainBlock(state, NOW, pulse)).toMatch(/daily budget spent: \$5.00 of \$5.00/);
    expect(getBrainBlock(state, NOW, { ...pulse, budgetUsdPerDay: 0 })).toBeUndefined();
    // The workers' spend counts toward the same cap.
    expect(getBrainBlock(state, NOW, { ...pulse, budgetUsdPerDay: 8 })).toBeUndefined();
    expect(getBrainBlock(state, NOW, { ...pulse, budgetUsdPerDay: 8 }, 3)).toMatch(
      /daily budget spent: \$8.00 of \$8.00/,
    );
    state.backoffUntilMs = NOW + 1;
    state.consecutiveFailures = 2;
    expect(getBrainBlock(state, NOW, pulse)).toMatch(/backing off after 2/);
    state.quotaResetAtMs = NOW + 1;
    expect(getBrainBlock(state, NOW, pulse)).toMatch(/provider's limit resets/);
    expect(getBrainBlock(state, NOW + 1, { ...pulse, budgetUsdPerDay: 0 })).toBeUndefined();
  });
});

describe("addSpend", () => {
  it("sums per UTC day and keeps a week", () => {
    const state = createPulseState();
    for (let day = 0; day < 10; day += 1) addSpend(state, 1, NOW + day * 24 * HOUR_MS);
    addSpend(state, 0.5, NOW + 9 * 24 * HOUR_MS);
    expect(Object.keys(state.spendUsdByDay)).toHaveLength(7);
    expect(state.spendUsdByDay["2026-12-12"]).toBe(1.5);
  });
});

describe("getFailureBackoffMs", () => {
  it("doubles from 30 s and stops at 30 min", () => {
    expect([1, 2, 3].map(getFailureBackoffMs)).toEqual([30_000, 60_000, 120_000]);
    expect(getFailureBackoffMs(20)).toBe(30 * 60_000);
  });
});

describe("noteSignals", () => {
  it("names a sensor whose signal keeps changing, not a steady one, and forgets removed ones", () => {
    const state = createPulseState();
    let flapping: string[] = [];
    for (let beat = 0; beat < 6; beat += 1)
      flapping = noteSignals(state, [reading("flappy", beat % 2), reading("steady", 1)]);
    expect(flapping).toEqual(["flappy"]);
    noteSignals(state, [reading("steady", 1)]);
    expect(Object.keys(state.signalHistory ?? {})).toEqual(["steady"]);
  });
});
