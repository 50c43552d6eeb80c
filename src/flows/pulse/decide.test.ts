import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AgentBudgetSpentError } from "../../agents/attempt.js";
import {
  dispatch,
  type AgentRunner,
  type DispatchRequest,
  type DispatchResult,
} from "../../agents/dispatch.js";
import { createHarnessPauses, type HarnessPause } from "../../agents/harness-pause.js";
import { resolveHarness } from "../../agents/harnesses.js";
import { AgentRateLimitError } from "../../agents/rate-limit.js";
import { AgentError, CancelledError } from "../../errors.js";
import { getLiveChildPids } from "../../proc/run-process.js";
import { makeDispatchResult } from "../../../test/helpers/dispatch-result.js";
import { FAKE_AGENTS_DIR } from "../../../test/helpers/run-bosun.js";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import type { BrainWorld } from "./brain-prompt.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import { decide, resolveBrainHarness, type DecideInput } from "./decide.js";

afterEach(() => {
  expect(getLiveChildPids()).toEqual([]);
});

const WORLD: BrainWorld = {
  playbook: "Keep CI green.",
  goals: [{ id: "ci-green", text: "CI passes on main." }],
  readings: [{ status: "ok", name: "ci", signal: "red", readAtMs: 1, durationMs: 2 }],
  changes: ["sensor ci: green -> red"],
  asks: [],
  workers: [],
  journalTail: [],
  firedSchedules: [],
  nowIso: "2026-12-03T14:00:00.000Z",
};

const DECISION = {
  critique: "CI went red on main.",
  actions: [{ type: "start_run", flow: "review", request: "Fix the failing test on main." }],
  next_interval_s: 600,
};

/** A runner that answers each call with the next reply (or throws it), recording the requests. */
function makeRunner(replies: Array<string | Error>): {
  runner: AgentRunner;
  requests: DispatchRequest[];
} {
  const requests: DispatchRequest[] = [];
  const runner: AgentRunner = (request) => {
    requests.push(request);
    const reply = replies[requests.length - 1];
    if (reply === undefined) throw new Error(`no reply scripted for call ${requests.length}`);
    if (reply instanceof Error) return Promise.reject(reply);
    const result: DispatchResult = {
      ...makeDispatchResult(0.01),
      finalText: reply,
      model: "brain-model",
    };
    return Promise.resolve(result);
  };
  return { runner, requests };
}

function makeInput(runner: AgentRunner, overrides: Partial<DecideInput> = {}): DecideInput {
  return {
    harness: resolveHarness("claude", {}),
    runner,
    world: WORLD,
    maxActions: 1,
    cwd: "/repo",
    logDir: "/repo/.bosun/pulse/decisions/D-1/brain",
    timeoutMs: 60_000,
    ...overrides,
  };
}

describe("decide", () => {
  it("returns the checked decision of a valid first reply, with what the call cost", async () => {
    const { runner, requests } = makeRunner([`Here is my decision:\n${JSON.stringify(DECISION)}`]);
    const result = await decide(makeInput(runner));
    expect(result).toMatchObject({ ok: true, decision: DECISION });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.prompt.startsWith("# The pulse's constitution")).toBe(true);
    expect(request?.cwd).toBe("/repo");
    expect(request?.logDir).toBe("/repo/.bosun/pulse/decisions/D-1/brain");
    expect(request?.retry?.retries).toBe(0);
    // Claude Code must not sleep out a 429 inside the brain's call.
    expect(request?.env?.["CLAUDE_CODE_MAX_RETRIES"]).toBe("0");
    const bytes = Buffer.byteLength(request?.prompt ?? "", "utf8");
    expect(result.call).toMatchObject({
      harness: "claude",
      model: "brain-model",
      promptBytes: bytes,
      promptTokens: Math.ceil(bytes / 4),
      inputTokens: 10,
      outputTokens: 5,
      costUsd: 0.01,
      attempts: 1,
      logDir: "/repo/.bosun/pulse/decisions/D-1/brain",
    });
    expect(result.call.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("re-prompts once with the exact error after an invalid reply, then takes the valid one", async () => {
    const bad = JSON.stringify({ critique: "Two moves.", actions: [{ type: "rm_rf", path: "/" }] });
    const { runner, requests } = makeRunner([bad, JSON.stringify(DECISION)]);
    const result = await decide(makeInput(runner));
    expect(result).toMatchObject({ ok: true, decision: DECISION, call: { attempts: 2 } });
    expect(result.call.costUsd).toBe(0.02);
    expect(result.call.inputTokens).toBe(20);
    expect(requests.map((r) => r.logDir)).toEqual([
      "/repo/.bosun/pulse/decisions/D-1/brain",
      "/repo/.bosun/pulse/decisions/D-1/brain/attempt-2",
    ]);
    const second = requests[1]?.prompt ?? "";
    expect(second.startsWith(requests[0]?.prompt ?? "-")).toBe(true);
    expect(second).toContain("# Your previous reply was rejected");
    expect(second).toMatch(/the reply is not a decision in the format above: actions\.0\.type/);
    // What it sent is quoted back as untrusted data.
    expect(second).toContain(`<data source="previous-reply" trust="untrusted">\n${bad}\n</data>`);
  });

  it("quotes a JSON syntax error with its place", async () => {
    const { runner, requests } = makeRunner(['{"critique": "x", actions: []}', "still not JSON"]);
    const result = await decide(makeInput(runner));
    expect(result).toMatchObject({ ok: false, reason: "invalid", call: { attempts: 2 } });
    expect(requests[1]?.prompt).toMatch(
      /not valid JSON at line 1, column 19: expected a property name/,
    );
    if (result.ok) throw new Error("expected a failure");
    expect(result.error).toMatch(/not a valid decision twice.*no JSON object/);
  });

  it("gives up after a second invalid reply: invalid, two attempts, never a third", async () => {
    const tooMany = JSON.stringify({
      critique: "Two moves.",
      actions: [{ type: "noop" }, { type: "noop" }],
    });
    const { runner, requests } = makeRunner([tooMany, tooMany, JSON.stringify(DECISION)]);
    const result = await decide(makeInput(runner));
    expect(requests).toHaveLength(2);
    expect(result).toMatchObject({ ok: false, reason: "invalid", call: { attempts: 2 } });
    if (result.ok) throw new Error("expected a failure");
    expect(result.error).toMatch(/actions: Too big/i);
    // The same moves pass when the loop allows two per beat.
    const { runner: two } = makeRunner([tooMany]);
    expect(await decide(makeInput(two, { maxActions: 2 }))).toMatchObject({ ok: true });
  });

  it("reports a runner that throws as failed, with what it spent", async () => {
    const { runner } = makeRunner([new AgentError("claude exited with code 1: boom")]);
    const result = await decide(makeInput(runner));
    expect(result).toMatchObject({
      ok: false,
      reason: "failed",
      error: "claude exited with code 1: boom",
      call: { attempts: 1, costUsd: 0 },
    });
    const spent = new AgentBudgetSpentError("capped", { costUsd: 0.5 });
    const capped = await decide(makeInput(makeRunner([spent]).runner));
    expect(capped).toMatchObject({ ok: false, reason: "failed", call: { costUsd: 0.5 } });
  });

  it("lets a cancellation through: the daemon going down is no brain failure", async () => {
    const { runner } = makeRunner([new CancelledError("claude cancelled.")]);
    await expect(decide(makeInput(runner))).rejects.toBeInstanceOf(CancelledError);
  });

  it("returns a rate limit at once with its reset, and pauses the harness for the daemon", async () => {
    const resetAtMs = Date.now() + 3_600_000;
    const limit = new AgentRateLimitError("API Error: 429 rate_limit_error", { resetAtMs });
    const { runner, requests } = makeRunner([limit]);
    const pauses = createHarnessPauses();
    const journaled: HarnessPause[] = [];
    const result = await decide(
      makeInput(runner, { pauses, onPause: (pause) => void journaled.push(pause) }),
    );
    expect(result).toMatchObject({ ok: false, reason: "rate_limited", resetAtMs });
    expect(pauses.getPause("claude")?.until.getTime()).toBe(resetAtMs);
    expect(journaled).toHaveLength(1);
    // While the pause lasts, the brain is not called at all.
    const again = await decide(makeInput(runner, { pauses }));
    expect(again).toMatchObject({ ok: false, reason: "rate_limited", resetAtMs });
    if (again.ok) throw new Error("expected a failure");
    expect(again.error).toMatch(/claude is paused until .* sensing goes on/);
    expect(requests).toHaveLength(1);
  });

  it("keeps config's own CLAUDE_CODE_MAX_RETRIES, and the caller's env wins over both", async () => {
    const { runner, requests } = makeRunner([JSON.stringify(DECISION), JSON.stringify(DECISION)]);
    const configured = resolveHarness("claude", {
      claude: { env: { CLAUDE_CODE_MAX_RETRIES: "3" } },
    });
    await decide(makeInput(runner, { harness: configured }));
    expect(requests[0]?.env?.["CLAUDE_CODE_MAX_RETRIES"]).toBeUndefined();
    await decide(makeInput(runner, { env: { CLAUDE_CODE_MAX_RETRIES: "1", BOSUN_ROLE: "brain" } }));
    expect(requests[1]?.env).toEqual({
      CLAUDE_CODE_MAX_RETRIES: "1",
      BOSUN_ROLE: "brain",
      // The brain's CLI is marked as the pulse's own: nothing it runs may approve a held move.
      BOSUN_PULSE_BRAIN: "1",
    });
  });
});

describe("decide through the real dispatch", () => {
  it("comes back from a provider limit without waiting for its reset", async () => {
    const dir = await makeTestDir();
    const script = path.join(FAKE_AGENTS_DIR, "fake-rate-limit.mjs");
    const harness = resolveHarness("fake", {
      fake: { template: `"${process.execPath}" "${script}"`, parser: "offline" },
    });
    const pauses = createHarnessPauses();
    const startedAt = Date.now();
    const result = await decide({
      harness,
      runner: dispatch,
      world: WORLD,
      maxActions: 1,
      cwd: dir,
      logDir: path.join(dir, "brain"),
      timeoutMs: 30_000,
      graceMs: 500,
      pauses,
      env: {
        FAKE_COUNTER: path.join(dir, "spawns"),
        FAKE_LIMITED_SPAWNS: "5",
        FAKE_LIMIT_MESSAGE: "API Error: 429 rate_limit_error; resets at {reset}",
        FAKE_RESET_MS: "600000",
      },
    });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(result).toMatchObject({ ok: false, reason: "rate_limited" });
    if (result.ok) throw new Error("expected a rate limit");
    // The reset the message gave (ISO, to the millisecond), 10 minutes out.
    expect(result.resetAtMs).toBeGreaterThan(startedAt + 590_000);
    expect(pauses.getPause("fake")?.until.getTime()).toBe(result.resetAtMs);
  });
});

describe("the brain's harness", () => {
  it("is read-only where its CLI allows: Claude Code without writing tools, Codex in its read-only sandbox, pi with its reading tools", () => {
    const claude = resolveBrainHarness({
      ...DEFAULT_CONFIG,
      pulse: { ...DEFAULT_CONFIG.pulse, brain: "claude", brainModel: "sonnet" },
    });
    expect(claude.model).toBe("sonnet");
    expect(claude.extraArgs).toEqual([
      "--disallowedTools",
      "Bash,Edit,Write,MultiEdit,NotebookEdit",
    ]);
    const codex = resolveBrainHarness({
      ...DEFAULT_CONFIG,
      pulse: { ...DEFAULT_CONFIG.pulse, brain: "codex" },
    });
    expect(codex.spec.headlessArgs).toContain("read-only");
    expect(codex.spec.headlessArgs).not.toContain("--dangerously-bypass-approvals-and-sandbox");
    expect(codex.spec.resumeArgs).not.toContain("--dangerously-bypass-approvals-and-sandbox");
    const pi = resolveBrainHarness({
      ...DEFAULT_CONFIG,
      agents: { pi: { args: ["--tools", "read,bash"] } },
      pulse: { ...DEFAULT_CONFIG.pulse, brain: "pi" },
    });
    // After the user's own --tools, so the reading tools are the ones pi keeps.
    expect(pi.extraArgs).toEqual(["--tools", "read,bash", "--tools", "read,grep,find,ls"]);
  });
});
