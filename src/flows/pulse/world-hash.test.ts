import { describe, expect, it } from "vitest";
import type { SensorReading } from "../../store/schema/pulse.js";
import { computeWorldHash, type World } from "./world-hash.js";

function ok(name: string, signal: unknown, detail?: unknown): SensorReading {
  return {
    status: "ok",
    name,
    signal: signal as never,
    ...(detail === undefined ? {} : { detail: detail as never }),
    readAtMs: 1,
    durationMs: 2,
  };
}

const WORLD: World = {
  playbook: "Keep main green.",
  goals: [{ id: "ci", text: "CI passes." }],
  readings: [ok("ci", { failing: 0, branch: "main" }, "all good"), ok("queue", 3)],
  openAskIds: ["ask-1"],
};

describe("the world's fingerprint", () => {
  it("stays the same when only details, timings, key order or list order change", () => {
    const same: World = {
      ...WORLD,
      readings: [
        ok("queue", 3),
        { ...ok("ci", { branch: "main", failing: 0 }, "still good"), readAtMs: 99 },
      ],
    };
    expect(computeWorldHash(same)).toBe(computeWorldHash(WORLD));
  });

  it("changes with a signal, the playbook, a goal or the open asks", () => {
    const base = computeWorldHash(WORLD);
    const changed: World[] = [
      { ...WORLD, readings: [ok("ci", { failing: 1, branch: "main" }), ok("queue", 3)] },
      { ...WORLD, playbook: "Keep main green. Ship on Fridays." },
      { ...WORLD, goals: [{ id: "ci", text: "CI passes in 5 min." }] },
      { ...WORLD, openAskIds: [] },
    ];
    for (const world of changed) expect(computeWorldHash(world)).not.toBe(base);
  });

  it("counts a failing sensor as failing, whatever its message says this time", () => {
    const failing = (error: string): World => ({
      ...WORLD,
      readings: [{ status: "failed", name: "ci", error, readAtMs: 1, durationMs: 1 }],
    });
    expect(computeWorldHash(failing("hung: no answer within 10 s"))).toBe(
      computeWorldHash(failing("exited with code 1")),
    );
    expect(computeWorldHash(failing("x"))).not.toBe(computeWorldHash(WORLD));
  });
});
