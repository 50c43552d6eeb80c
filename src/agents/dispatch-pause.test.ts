import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CancelledError } from "../errors.js";
import { getLiveChildPids } from "../proc/run-process.js";
import { FAKE_AGENTS_DIR } from "../../test/helpers/run-bosun.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { dispatch, MAX_RATE_LIMITED_SPAWNS, type DispatchRequest } from "./dispatch.js";
import { createHarnessPauses, type HarnessPause } from "./harness-pause.js";
import { resolveHarness } from "./harnesses.js";
import { AgentRateLimitError } from "./rate-limit.js";

afterEach(() => {
  expect(getLiveChildPids()).toEqual([]);
});

/** Spawn start times and count of one dispatch of the fake-rate-limit agent. */
interface SpawnFiles {
  spawnLog: string;
  counterFile: string;
}

/**
 * A dispatch of test/fixtures/bin/fake-rate-limit.mjs as harness `name`: its first
 * `limitedSpawns` spawns fail with `message` (`{reset}` = the ISO time `resetMs` from then).
 */
async function makeLimitedRequest(
  name: string,
  options: { limitedSpawns: number; message?: string; resetMs?: number },
  overrides: Partial<DispatchRequest> = {},
): Promise<DispatchRequest & SpawnFiles> {
  const dir = await makeTestDir();
  const spawnLog = path.join(dir, "spawn-times");
  const counterFile = path.join(dir, "spawns");
  const script = path.join(FAKE_AGENTS_DIR, "fake-rate-limit.mjs");
  return {
    spawnLog,
    counterFile,
    harness: resolveHarness(name, {
      [name]: { template: `"${process.execPath}" "${script}"`, parser: "offline" },
    }),
    prompt: "work\n",
    cwd: dir,
    logDir: path.join(dir, "log"),
    timeoutMs: 30_000,
    graceMs: 500,
    env: {
      FAKE_SPAWN_LOG: spawnLog,
      FAKE_COUNTER: counterFile,
      FAKE_LIMITED_SPAWNS: String(options.limitedSpawns),
      FAKE_LIMIT_MESSAGE: options.message ?? "API Error: 429 rate_limit_error",
      FAKE_RESET_MS: String(options.resetMs ?? 0),
    },
    ...overrides,
  };
}

async function readSpawnTimes(files: SpawnFiles): Promise<number[]> {
  if (!existsSync(files.spawnLog)) return [];
  return (await readFile(files.spawnLog, "utf8")).trim().split("\n").map(Number);
}

describe("dispatch under provider limits", () => {
  it("pauses the harness on a 429 until its reset: a concurrent dispatch of it waits too", async () => {
    const pauses = createHarnessPauses();
    const reported: HarnessPause[] = [];
    const first = await makeLimitedRequest(
      "fake",
      {
        limitedSpawns: 1,
        message: "API Error: 429 rate_limit_error; resets at {reset}",
        resetMs: 2_000,
      },
      { pauses, retry: { retries: 1, baseMs: 0, capMs: 0 } },
    );
    const second = await makeLimitedRequest("fake", { limitedSpawns: 0 }, { pauses });
    let secondRun: Promise<unknown> | undefined;
    const firstResult = await dispatch({
      ...first,
      // The second dispatch starts while the pause is on; it must not spawn before the reset.
      onPause: (pause) => {
        reported.push(pause);
        secondRun = dispatch(second);
      },
    });
    await secondRun;
    expect(reported).toEqual([
      {
        harness: "fake",
        until: expect.any(Date) as Date,
        reason: expect.stringContaining("429 rate_limit_error") as string,
      },
    ]);
    const untilMs = reported[0]?.until.getTime() ?? 0;
    const [limitedAtMs = 0, retriedAtMs] = await readSpawnTimes(first);
    // The reset time came from the agent's own message, not from a backoff.
    expect(untilMs).toBe(limitedAtMs + 2_000);
    expect(retriedAtMs).toBeGreaterThanOrEqual(untilMs);
    expect(await readSpawnTimes(second)).toEqual([expect.any(Number)]);
    expect((await readSpawnTimes(second))[0]).toBeGreaterThanOrEqual(untilMs);
    expect(firstResult).toMatchObject({ finalText: "ok on spawn 2", spawns: 2 });
  });

  it("does not hold back another harness, and a dispatch waiting out a pause stops at once on abort", async () => {
    const pauses = createHarnessPauses();
    pauses.pause("fake", { reason: "429", resetAtMs: Date.now() + 60_000 });
    const other = await makeLimitedRequest("other", { limitedSpawns: 0 }, { pauses });
    const controller = new AbortController();
    const waiting = await makeLimitedRequest(
      "fake",
      { limitedSpawns: 0 },
      { pauses, signal: controller.signal },
    );
    const waitingRun = dispatch(waiting).catch((error: unknown) => error);
    const otherResult = await dispatch(other);
    expect(otherResult.finalText).toBe("ok on spawn 1");
    expect(pauses.getPause("fake")).toBeDefined();
    const abortedAtMs = Date.now();
    controller.abort();
    expect(await waitingRun).toBeInstanceOf(CancelledError);
    expect(Date.now() - abortedAtMs).toBeLessThan(1_000);
    expect(await readSpawnTimes(waiting)).toEqual([]);
  });

  it("counts a run of limited spawns as one retry", async () => {
    const pauses = createHarnessPauses({ baseMs: 20, capMs: 40 });
    const retries: number[] = [];
    const request = await makeLimitedRequest(
      "fake",
      { limitedSpawns: 3, message: "429 Too Many Requests" },
      { pauses, retry: { retries: 1, baseMs: 0, capMs: 0 } },
    );
    const result = await dispatch({ ...request, onRetry: ({ attempt }) => retries.push(attempt) });
    expect(result).toMatchObject({ finalText: "ok on spawn 4", spawns: 4 });
    expect(retries).toEqual([1, 2, 3]);
  });

  it("spends no retry it does not have: with retries 0 the limit fails the call, and the pause stays", async () => {
    const pauses = createHarnessPauses();
    const reported: HarnessPause[] = [];
    const request = await makeLimitedRequest(
      "fake",
      {
        limitedSpawns: 1,
        message: "You've hit your session limit · resets {reset}",
        resetMs: 3_600_000,
      },
      { pauses, onPause: (pause) => void reported.push(pause) },
    );
    const error: unknown = await dispatch(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentRateLimitError);
    expect(error).toMatchObject({ isPermanent: false });
    expect((error as AgentRateLimitError).resetAtMs).toBe(reported[0]?.until.getTime());
    expect(pauses.getPause("fake")).toEqual(reported[0]);
    expect(await readFile(request.counterFile, "utf8")).toBe("1");
  });

  it(`gives up after ${MAX_RATE_LIMITED_SPAWNS} limited spawns in a row`, async () => {
    const pauses = createHarnessPauses({ baseMs: 1, capMs: 1 });
    const request = await makeLimitedRequest(
      "fake",
      { limitedSpawns: 100, message: "429 Too Many Requests" },
      { pauses, retry: { retries: 5, baseMs: 0, capMs: 0 } },
    );
    await expect(dispatch(request)).rejects.toBeInstanceOf(AgentRateLimitError);
    expect(await readFile(request.counterFile, "utf8")).toBe(String(MAX_RATE_LIMITED_SPAWNS + 1));
  });
});
