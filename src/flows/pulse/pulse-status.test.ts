import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makePulseEnv, writeHeldDecision } from "../../../test/helpers/pulse-held.js";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { PulseStatusSchema } from "./pulse-status-schema.js";
import { getDaemonState, readPulseStatus } from "./pulse-status.js";

describe("readPulseStatus", () => {
  it("reads a pulse that never ran: no daemon, no decision, nothing read yet", async () => {
    const env = makePulseEnv(await makeTestDir());
    const status = await readPulseStatus(env);
    expect(PulseStatusSchema.parse(status)).toEqual(status);
    expect(status).toMatchObject({
      daemon: { isRunning: false, pid: null, isStale: false },
      isPaused: false,
      beats: 0,
      readings: [],
      goals: [],
      heldDecision: null,
      workers: [],
      journalTail: [],
    });
  });

  it("describes every move of the held decision, as the journal says it, within the contract's schema", async () => {
    const env = makePulseEnv(await makeTestDir());
    await writeHeldDecision(env);
    await writeFile(env.paths.pulse.pausedFile, "paused\n");
    const status = await readPulseStatus(env, { journalLines: 1 });
    expect(PulseStatusSchema.safeParse(status).success).toBe(true);
    expect(status.heldDecision?.actions.map((item) => [item.description, item.status])).toEqual([
      ["delete old-a.txt", "awaiting"],
      ["delete old-b.txt", "awaiting"],
      ["write goal tidy", "done"],
    ]);
    expect(status.isPaused).toBe(true);
    expect(status.journalTail).toHaveLength(1);
    expect(status.openAsks.map((ask) => ask.options)).toEqual([["approve", "reject"]]);
  });
});

describe("getDaemonState", () => {
  it("says stopped, running, paused, or stale (old code wins over paused)", () => {
    const daemon = (isRunning: boolean, isStale: boolean) => ({
      isRunning,
      isStale,
      pid: isRunning ? 1 : null,
      startedAt: null,
      lastBeatAt: null,
      lastBeat: null,
      nextBeatAt: null,
    });
    expect(getDaemonState({ daemon: daemon(false, false), isPaused: true })).toBe("stopped");
    expect(getDaemonState({ daemon: daemon(true, false), isPaused: false })).toBe("running");
    expect(getDaemonState({ daemon: daemon(true, false), isPaused: true })).toBe("paused");
    expect(getDaemonState({ daemon: daemon(true, true), isPaused: true })).toBe("stale");
  });
});
