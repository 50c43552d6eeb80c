import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { AgentError, AgentNotFoundError, CancelledError } from "../errors.js";
import { getLiveChildPids, startProcess } from "../proc/run-process.js";
import { FAKE_AGENTS_DIR } from "../../test/helpers/run-bosun.js";
import { isPidRunning, makeTestDir, waitForPidExit } from "../../test/helpers/testdir.js";
import { withTimeoutLongEnough } from "../../test/helpers/wait-for.js";
import type { AgentEvent } from "./agent-event.js";
import { isTransient } from "./attempt.js";
import { dispatch, killOrphanedAgent, type DispatchRequest } from "./dispatch.js";
import { resolveHarness, type ResolvedHarness } from "./harnesses.js";

/**
 * A tiny agent CLI speaking the offline parser's format (AgentEvent JSON lines). FAKE_MODE picks
 * its behaviour; FAKE_COUNTER names a file counting its spawns; the prompt arrives on stdin.
 */
const FAKE_AGENT = `
import { existsSync, readFileSync, writeFileSync } from "node:fs";
const env = process.env;
const counter = env.FAKE_COUNTER;
const spawnNumber = counter && existsSync(counter) ? Number(readFileSync(counter, "utf8")) + 1 : 1;
if (counter) writeFileSync(counter, String(spawnNumber));
const emit = (event) => process.stdout.write(JSON.stringify(event) + "\\n");
const prompt = readFileSync(0, "utf8");
const mode = env.FAKE_MODE === "flaky" ? (spawnNumber === 1 ? "http503" : "ok") : env.FAKE_MODE;
switch (mode) {
  case "ok": {
    emit({ type: "session", sessionId: "sess-" + spawnNumber, model: env.FAKE_MODEL ?? "m1" });
    emit({ type: "text", text: "working" });
    emit({ type: "tool.use", tool: "edit", summary: "math.js" });
    emit({ type: "file.edit", path: "math.js", kind: "update" });
    emit({ type: "file.edit", path: process.cwd() + "/math.js", kind: "update" });
    const usage = JSON.parse(env.FAKE_USAGE ?? '{"inputTokens":10,"cachedInputTokens":0,"outputTokens":5}');
    emit({ type: "usage", usage, isCumulative: true, ...(env.FAKE_COST ? { costUsd: Number(env.FAKE_COST) } : {}) });
    emit({ type: "final", text: "done: " + prompt.trim(), isError: false });
    break;
  }
  case "http503":
    process.stderr.write("API Error: HTTP 503 Service Unavailable\\n");
    process.exit(1);
  case "auth":
    process.stderr.write("Error: 401 unauthorized (invalid x-api-key)\\n");
    process.exit(1);
  case "nofinal":
    emit({ type: "text", text: "I stopped early" });
    break;
  case "hang":
    emit({ type: "text", text: "spawn-id " + env.BOSUN_SPAWN_ID });
    emit({ type: "text", text: "ready" });
    setInterval(() => {}, 1000);
    break;
  default:
    process.stderr.write("unknown FAKE_MODE " + mode + "\\n");
    process.exit(9);
}
`;

afterEach(() => {
  expect(getLiveChildPids()).toEqual([]);
});

/** Writes the fake agent and resolves it as a custom-template harness. */
async function makeFakeHarness(
  dir: string,
  options: { isFinalRequired?: boolean; model?: string } = {},
): Promise<ResolvedHarness> {
  const script = path.join(dir, "fake-agent.mjs");
  await writeFile(script, FAKE_AGENT);
  const resolved = resolveHarness("fake", {
    fake: {
      template: `"${process.execPath}" "${script}"`,
      parser: "offline",
      ...(options.model === undefined ? {} : { model: options.model }),
    },
  });
  return options.isFinalRequired === true
    ? { ...resolved, spec: { ...resolved.spec, isFinalRequired: true } }
    : resolved;
}

async function makeRequest(
  overrides: Partial<DispatchRequest> & { mode: string; extraEnv?: Record<string, string> },
): Promise<DispatchRequest & { counterFile: string; dir: string }> {
  const dir = await makeTestDir();
  const counterFile = path.join(dir, "spawns");
  const { mode, extraEnv, ...rest } = overrides;
  return {
    dir,
    counterFile,
    harness: await makeFakeHarness(dir),
    prompt: "add sum()\n",
    cwd: dir,
    logDir: path.join(dir, "round-1"),
    // Only a safety net here: long enough for a busy machine, so it never decides a test.
    timeoutMs: 30_000,
    graceMs: 500,
    env: { FAKE_MODE: mode, FAKE_COUNTER: counterFile, ...extraEnv },
    ...rest,
  };
}

describe("dispatch", () => {
  it("returns final text, session, model, usage and the agent's edits; keeps prompt and logs", async () => {
    const request = await makeRequest({ mode: "ok" });
    const events: AgentEvent[] = [];
    const result = await dispatch({ ...request, onEvent: (event) => events.push(event) });
    expect(result).toMatchObject({
      exitCode: 0,
      sessionId: "sess-1",
      model: "m1",
      finalText: "done: add sum()",
      spawns: 1,
      toolUses: 1,
      fileEdits: ["math.js"],
      tokens: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5 },
    });
    expect(events.map((event) => event.type)).toEqual([
      "session",
      "text",
      "tool.use",
      "file.edit",
      "file.edit",
      "usage",
      "final",
    ]);
    expect(await readFile(path.join(request.logDir, "prompt.md"), "utf8")).toBe("add sum()\n");
    expect(await readFile(path.join(request.logDir, "agent.log"), "utf8")).toContain(
      '"type":"final"',
    );
    await expect(readFile(path.join(request.logDir, "agent.pid"), "utf8")).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("uses the cost the agent reports, not an estimate", async () => {
    const request = await makeRequest({ mode: "ok", extraEnv: { FAKE_COST: "0.0123" } });
    const result = await dispatch({
      ...request,
      prices: { m1: { inputPerMTok: 1000, outputPerMTok: 1000 } },
    });
    expect(result).toMatchObject({ costUsd: 0.0123, isCostEstimated: false, warnings: [] });
  });

  it("estimates cost from the price table when the agent reports only tokens", async () => {
    const usage = { inputTokens: 1_000_000, cachedInputTokens: 500_000, outputTokens: 100_000 };
    const request = await makeRequest({
      mode: "ok",
      extraEnv: { FAKE_USAGE: JSON.stringify(usage) },
    });
    const result = await dispatch({
      ...request,
      prices: { m1: { inputPerMTok: 2, cachedInputPerMTok: 1, outputPerMTok: 10 } },
    });
    // 0.5M uncached × $2 + 0.5M cached × $1 + 0.1M out × $10
    expect(result).toMatchObject({ costUsd: 2.5, isCostEstimated: true, warnings: [] });
  });

  it("warns and counts 0 when there is no price for the model", async () => {
    const request = await makeRequest({ mode: "ok" });
    const result = await dispatch({ ...request, prices: {} });
    expect(result.costUsd).toBe(0);
    expect(result.warnings).toEqual([
      'No price for model "m1" of fake; cost counted as 0. Set prices.<model> in bosun.yaml.',
    ]);
  });

  it("retries a transient failure (HTTP 503) after the injected sleep, then succeeds", async () => {
    const request = await makeRequest({
      mode: "flaky",
      retry: { retries: 3, baseMs: 1000, capMs: 5000 },
    });
    const sleeps: number[] = [];
    const retries: Array<{ attempt: number; delayMs: number; message: string }> = [];
    const result = await dispatch({
      ...request,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      onRetry: (info) => retries.push(info),
    });
    expect(result.spawns).toBe(2);
    expect(result.sessionId).toBe("sess-2");
    expect(sleeps).toEqual([1000]);
    expect(retries).toEqual([
      { attempt: 1, delayMs: 1000, message: expect.stringContaining("HTTP 503") as string },
    ]);
    expect(await readFile(request.counterFile, "utf8")).toBe("2");
  });

  it("gives up on a transient failure once the retries are spent, with a doubling, capped delay", async () => {
    const request = await makeRequest({
      mode: "http503",
      retry: { retries: 3, baseMs: 1000, capMs: 3000 },
    });
    const sleeps: number[] = [];
    const error: unknown = await dispatch({
      ...request,
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).isPermanent).toBe(false);
    expect((error as Error).message).toBe(
      "fake exited with code 1: API Error: HTTP 503 Service Unavailable",
    );
    expect(sleeps).toEqual([1000, 2000, 3000]);
    expect(await readFile(request.counterFile, "utf8")).toBe("4");
  });

  it("does not retry a permanent failure (401 unauthorized)", async () => {
    const request = await makeRequest({ mode: "auth", retry: { retries: 3, baseMs: 1, capMs: 1 } });
    let sleeps = 0;
    const error: unknown = await dispatch({
      ...request,
      sleep: () => (sleeps++, Promise.resolve()),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).isPermanent).toBe(true);
    expect((error as Error).message).toContain("401 unauthorized");
    expect(sleeps).toBe(0);
    expect(await readFile(request.counterFile, "utf8")).toBe("1");
  });

  it("fails an exit 0 without a final event when the harness requires one", async () => {
    const request = await makeRequest({ mode: "nofinal" });
    await expect(
      dispatch({
        ...request,
        harness: await makeFakeHarness(request.dir, { isFinalRequired: true }),
      }),
    ).rejects.toThrow("fake ended without a result (interrupted or crashed); see agent.log.");
    const lenient = await dispatch(request);
    expect(lenient.finalText).toBe("I stopped early");
  });

  it("turns a missing binary into AgentNotFoundError", async () => {
    const request = await makeRequest({ mode: "ok" });
    const harness = resolveHarness("ghost", {
      ghost: { template: "bosun-no-such-agent-xyz {{prompt_file}}" },
    });
    const error: unknown = await dispatch({
      ...request,
      harness,
      retry: { retries: 2, baseMs: 0, capMs: 0 },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentNotFoundError);
    expect((error as Error).message).toBe(
      '"bosun-no-such-agent-xyz" not found on PATH (install it or set agents.ghost.command in bosun.yaml)',
    );
  });

  it("kills a hung agent at the timeout and does not retry it", async () => {
    // The fake counts its spawn first thing; no count means the timeout beat Node's start-up.
    const { error, timeoutMs, counterFile } = await withTimeoutLongEnough(
      "the hung fake agent",
      async (timeoutMs) => {
        const request = await makeRequest({
          mode: "hang",
          timeoutMs,
          retry: { retries: 2, baseMs: 0, capMs: 0 },
        });
        const error: unknown = await dispatch(request).catch((caught: unknown) => caught);
        return existsSync(request.counterFile)
          ? { error, timeoutMs, counterFile: request.counterFile }
          : undefined;
      },
      { firstMs: 300, maxMs: 20_000 },
    );
    expect(error).toBeInstanceOf(AgentError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^fake timed out after ${(timeoutMs / 1000).toFixed(1)}s; its process group was killed`,
      ),
    );
    expect(await readFile(counterFile, "utf8")).toBe("1");
  });

  it("kills what the agent's tools detached (setsid) when the agent exits", async () => {
    const dir = await makeTestDir();
    const harness = resolveHarness("detach", {
      detach: {
        template: `"${process.execPath}" "${path.join(FAKE_AGENTS_DIR, "fake-detach.mjs")}" exit`,
        parser: "plain",
      },
    });
    const texts: string[] = [];
    await dispatch({
      harness,
      prompt: "work",
      cwd: dir,
      logDir: path.join(dir, "log"),
      timeoutMs: 0,
      graceMs: 30_000,
      onEvent: (event) => {
        if (event.type === "text") texts.push(event.text);
      },
    });
    const grandchild = Number(/grandchild (\d+)/.exec(texts.join("\n"))?.[1]);
    onTestFinished(() => killQuietly(grandchild));
    expect(grandchild).toBeGreaterThan(0);
    expect(isPidRunning(grandchild)).toBe(false);
  });

  it("stops the agent's group on abort and throws CancelledError", async () => {
    const request = await makeRequest({ mode: "hang" });
    const controller = new AbortController();
    const onEvent = (event: AgentEvent): void => {
      if (event.type === "text" && event.text === "ready") controller.abort();
    };
    await expect(
      dispatch({ ...request, signal: controller.signal, onEvent }),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("isTransient", () => {
  it.each([
    ["API Error: HTTP 503 Service Unavailable", true],
    ["429 Too Many Requests", true],
    ["rate limit exceeded", true],
    ["rate_limit_error", true],
    ["Overloaded", true],
    ["529 overloaded_error", true],
    ["read ECONNRESET", true],
    ["connect ECONNREFUSED 127.0.0.1:443", true],
    ["getaddrinfo EAI_AGAIN api.anthropic.com", true],
    ["socket hang up", true],
    ["Request timed out", true],
    ["stream disconnected; reconnecting", true],
    ["401 unauthorized", false],
    ["403 Forbidden", false],
    ["400 invalid_request_error: prompt is too long", false],
    ["model not found: gpt-9", false],
    ["exited with code 5003", false],
  ])("%j → %s", (message, expected) => {
    expect(isTransient(message)).toBe(expected);
  });
});

describe("killOrphanedAgent", () => {
  it("ends the live process group named in agent.pid with TERM and removes the file", async () => {
    const dir = await makeTestDir();
    const handle = startProcess({
      command: process.execPath,
      args: [
        "-e",
        `const c = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }); console.log(c.pid); setInterval(() => {}, 1000)`,
      ],
      cwd: dir,
    });
    const lines = handle.lines();
    const grandchild = Number((await lines.next()).value);
    await writeFile(path.join(dir, "agent.pid"), `${handle.pid}\n`);
    expect(await killOrphanedAgent(dir, 30_000)).toBe(true);
    for await (const _line of lines) {
      // Drain until the killed group closes stdout.
    }
    const result = await handle.result;
    expect(result.signal).toBe("SIGTERM");
    expect(isPidRunning(handle.pid)).toBe(false);
    expect(await waitForPidExit(grandchild)).toBe(true);
    await expect(readFile(path.join(dir, "agent.pid"), "utf8")).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("can find an orphan's detached tools: agent.pid names the spawn id the agent's tools inherit", async () => {
    const request = await makeRequest({ mode: "hang" });
    const controller = new AbortController();
    let pidFileText = "";
    let inherited = "";
    const error = await dispatch({
      ...request,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type !== "text") return;
        if (event.text.startsWith("spawn-id ")) inherited = event.text.slice("spawn-id ".length);
        if (event.text === "ready") {
          pidFileText = readFileSync(path.join(request.logDir, "agent.pid"), "utf8");
          controller.abort();
        }
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CancelledError);
    const [pid, startTime, spawnId] = pidFileText.trim().split(" ");
    expect(Number(pid)).toBeGreaterThan(0);
    expect(startTime).toMatch(/^\d+$/);
    expect(spawnId).toMatch(/^[0-9a-f]{16}$/);
    expect(inherited.split(" ").at(-1)).toBe(spawnId);
  });

  it("returns false without a pid file, or when the group is already gone", async () => {
    const dir = await makeTestDir();
    expect(await killOrphanedAgent(dir)).toBe(false);
    const handle = startProcess({ command: process.execPath, args: ["-e", ""], cwd: dir });
    await handle.result;
    await writeFile(path.join(dir, "agent.pid"), `${handle.pid}\n`);
    expect(await killOrphanedAgent(dir)).toBe(false);
    await writeFile(path.join(dir, "agent.pid"), "garbage");
    expect(await killOrphanedAgent(dir)).toBe(false);
  });
});

describe("dispatch failure hints", () => {
  it("explains Claude Code's refusal to run as root", async () => {
    const dir = await makeTestDir();
    const agent = path.join(dir, "root-refusal.mjs");
    await writeFile(
      agent,
      'process.stderr.write("--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\\n"); process.exit(1);\n',
    );
    const harness = resolveHarness("fake", {
      fake: { template: `${process.execPath} ${agent}`, parser: "plain" },
    });
    await expect(
      dispatch({
        harness,
        prompt: "hi",
        cwd: dir,
        logDir: path.join(dir, "log"),
        timeoutMs: 10_000,
      }),
    ).rejects.toThrow(
      /root\/sudo privileges.*set IS_SANDBOX=1 if this machine is a throwaway sandbox/,
    );
  });
});

/** A process a failed test left behind must not outlive the test run. */
function killQuietly(pid: number): void {
  try {
    if (pid > 0) process.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}
