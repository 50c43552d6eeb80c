import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { getLiveChildPids } from "../proc/run-process.js";
import { FAKE_AGENTS_DIR } from "../../test/helpers/run-bosun.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { withTimeoutLongEnough } from "../../test/helpers/wait-for.js";
import { dispatch, type DispatchRequest, type DispatchResult } from "./dispatch.js";
import { resolveHarness } from "./harnesses.js";
import { AgentStallError } from "./stall-watch.js";

afterEach(() => {
  expect(getLiveChildPids()).toEqual([]);
});

/** A dispatch of test/fixtures/bin/fake-stall.mjs in `mode`; FAKE_MS is its one duration. */
async function makeStallRequest(
  mode: string,
  fakeMs: number,
  overrides: Partial<DispatchRequest> = {},
): Promise<DispatchRequest & { counterFile: string }> {
  const dir = await makeTestDir();
  const counterFile = path.join(dir, "spawns");
  const script = path.join(FAKE_AGENTS_DIR, "fake-stall.mjs");
  return {
    counterFile,
    harness: resolveHarness("fake", {
      fake: { template: `"${process.execPath}" "${script}"`, parser: "offline" },
    }),
    prompt: "work\n",
    cwd: dir,
    logDir: path.join(dir, "log"),
    // Only a safety net: long enough for a busy machine, so it never decides a test.
    timeoutMs: 30_000,
    graceMs: 500,
    env: { FAKE_MODE: mode, FAKE_MS: String(fakeMs), FAKE_COUNTER: counterFile },
    ...overrides,
  };
}

async function catchError(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected the dispatch to fail"),
    (error: unknown) => error,
  );
}

/**
 * Runs a dispatch whose agent stays busy for a few times `stallTimeoutMs` and must not be killed.
 * A silence limit counts from the spawn, so on a busy machine Node's own start-up can outlast a
 * small one: a "silent" stall makes the attempt retry with twice the limit. Code that killed a
 * busy agent fails every attempt, so the test still fails then.
 */
async function runBusyAgent(
  mode: string,
  overrides: (stallTimeoutMs: number) => Partial<DispatchRequest>,
): Promise<DispatchResult> {
  return withTimeoutLongEnough(
    `the ${mode} fake agent`,
    async (stallTimeoutMs) => {
      const request = await makeStallRequest(mode, stallTimeoutMs, overrides(stallTimeoutMs));
      try {
        return await dispatch(request);
      } catch (error) {
        if (error instanceof AgentStallError && error.kind === "silent") return undefined;
        throw error;
      }
    },
    { firstMs: 300, maxMs: 5_000 },
  );
}

describe("dispatch stall detection", () => {
  it("kills an agent silent for stallTimeoutMs, says so, and retries it as transient", async () => {
    const request = await makeStallRequest("silent", 300, {
      stallTimeoutMs: 300,
      retry: { retries: 1, baseMs: 0, capMs: 0 },
    });
    const retries: string[] = [];
    const error = await catchError(
      dispatch({ ...request, onRetry: ({ message }) => retries.push(message) }),
    );
    expect(error).toBeInstanceOf(AgentStallError);
    expect(error).toMatchObject({ kind: "silent", isPermanent: false });
    expect((error as Error).message).toBe(
      "fake stalled: no output for 0.3s; its process group was killed. If it is slow but working, raise dispatch.stallTimeoutSec (0 turns this check off).",
    );
    // Two spawns: under load the limit may end one before it has even counted itself.
    expect(retries).toHaveLength(1);
  });

  it("does not kill a slow agent that keeps printing", async () => {
    const result = await runBusyAgent("chatty", (stallTimeoutMs) => ({ stallTimeoutMs }));
    expect(result.finalText).toBe("done");
  });

  it("kills an agent whose tool call stays open for toolCallTimeoutMs, naming the call", async () => {
    const request = await makeStallRequest("tool-hang", 300, {
      // The silence limit is far off: only the tool-call limit can end this agent in time.
      stallTimeoutMs: 20_000,
      toolCallTimeoutMs: 300,
    });
    const startedAtMs = Date.now();
    const error = await catchError(dispatch(request));
    expect(Date.now() - startedAtMs).toBeLessThan(20_000);
    expect(error).toBeInstanceOf(AgentStallError);
    expect(error).toMatchObject({ kind: "tool_hung", isPermanent: false });
    expect((error as Error).message).toBe(
      "fake stalled: one tool call (shell: npm run serve) ran for 0.3s with no output; its process group was killed. If such a call can take that long, raise dispatch.toolCallTimeoutSec (0 turns this check off).",
    );
  });

  it("lets a tool call be silent for longer than stallTimeoutMs", async () => {
    const result = await runBusyAgent("tool-slow", (stallTimeoutMs) => ({
      stallTimeoutMs,
      toolCallTimeoutMs: 20_000,
    }));
    expect(result.finalText).toBe("done");
  });

  it("kills an agent whose same tool call fails repeatedToolFailures times in a row", async () => {
    const request = await makeStallRequest("tool-thrash", 300, {
      stallTimeoutMs: 20_000,
      toolCallTimeoutMs: 20_000,
      repeatedToolFailures: 4,
      retry: { retries: 1, baseMs: 0, capMs: 0 },
    });
    const error = await catchError(dispatch(request));
    expect(error).toBeInstanceOf(AgentStallError);
    expect(error).toMatchObject({ kind: "tool_failing" });
    expect((error as Error).message).toBe(
      "fake stalled: the same tool call (shell: npm test) failed 4 times in a row; its process group was killed. If retrying it is the right thing to do, raise dispatch.repeatedToolFailures (0 turns this check off).",
    );
    expect(await readFile(request.counterFile, "utf8")).toBe("2");
  });

  it("does not count failures split by a success, another command or other input", async () => {
    const request = await makeStallRequest("tool-mixed", 300, {
      stallTimeoutMs: 20_000,
      repeatedToolFailures: 4,
    });
    expect((await dispatch(request)).finalText).toBe("done");
  });

  it("checks nothing when every limit is 0", async () => {
    const request = await makeStallRequest("tool-thrash", 300, {
      stallTimeoutMs: 0,
      toolCallTimeoutMs: 0,
      repeatedToolFailures: 0,
      timeoutMs: 1_500,
    });
    const error = await catchError(dispatch(request));
    // Only the plain timeout ends it.
    expect((error as Error).message).toMatch(/^fake timed out after 1\.5s/);
  });
});
