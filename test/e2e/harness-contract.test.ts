/**
 * The version-pinned adapter contract: bosun's `dispatch()` drives the installed Claude Code, Codex
 * and pi CLIs against the scripted mock model servers and must read their streams as documented.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentEvent } from "../../src/agents/agent-event.js";
import { parseClaudeLine } from "../../src/agents/claude/parse.js";
import { parseCodexLine } from "../../src/agents/codex/parse.js";
import { parsePiLine } from "../../src/agents/pi/parse.js";
import { dispatch, type DispatchRequest, type DispatchResult } from "../../src/agents/dispatch.js";
import { resolveHarness, type ResolvedHarness } from "../../src/agents/harnesses.js";
import { resolveBrainHarness } from "../../src/flows/pulse/decide.js";
import { AgentError } from "../../src/errors.js";
import { runProcess } from "../../src/proc/run-process.js";
import { DEFAULT_CONFIG } from "../../src/store/schema/config.js";
import {
  CLAUDE_BIN,
  CODEX_BIN,
  PI_BIN,
  PI_MODEL,
  createClaudeEnv,
  createCodexEnv,
  createPiEnv,
  createTempDir,
  createTempGitRepo,
} from "../helpers/agent-env.js";
import {
  CLAUDE_API_ERROR,
  CLAUDE_EDIT,
  CODEX_EDIT,
  CODEX_TURN_FAILED,
  PI_API_ERROR,
  PI_EDIT,
  PI_TEXT,
  type Scenario,
} from "../mocks/agent-scenarios.js";
import { startAnthropicMock } from "../mocks/anthropic-mock.js";
import { asArray, asRecord } from "../mocks/mock-http.js";
import type { MockServer } from "../mocks/mock-script.js";
import { startResponsesMock } from "../mocks/openai-responses-mock.js";

/** The CLI versions this adapter suite was verified against; bump them only after re-running it. */
const CLAUDE_VERSION = "2.1.197";
const CODEX_VERSION = "0.169.0";
const CODEX_MODEL = "gpt-5.5";
const PI_VERSION = "0.73.1";
const DISPATCH_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 30_000;

/**
 * Variables in the developer's shell that would point a CLI at other config or credentials;
 * dispatch() builds the agent env on top of process.env, so they are removed for these tests.
 */
const LEAKY_ENV = [
  "ANTHROPIC_AUTH_TOKEN",
  "ANTHROPIC_MODEL",
  "CLAUDE_CONFIG_DIR",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "CODEX_HOME",
  "CODEX_API_KEY",
  "OPENAI_BASE_URL",
  "PI_CODING_AGENT_DIR",
  "XDG_CONFIG_HOME",
];

const cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  for (const name of LEAKY_ENV) vi.stubEnv(name, undefined);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** One dispatch against a fresh mock, repo and HOME; the outcome is either a result or an error. */
interface ContractRun {
  result?: DispatchResult;
  error?: unknown;
  events: AgentEvent[];
  mock: MockServer;
  repo: string;
  logDir: string;
}

async function runContract(
  scenario: Scenario,
  adjust: (harness: ResolvedHarness) => ResolvedHarness = (harness) => harness,
): Promise<ContractRun> {
  const repo = await createTempGitRepo();
  const home = await createTempDir("bosun-home-");
  const logDir = await createTempDir("bosun-logs-");
  const isCodex = scenario.agent === "codex";
  const mock = await (isCodex ? startResponsesMock : startAnthropicMock)(scenario.script);
  cleanups.push(async () => {
    await mock.close();
    await Promise.all([repo, home, logDir].map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const { env, harness: resolved } = await setUpAgent(scenario.agent, mock.url, home);
  const harness = adjust(resolved);
  const events: AgentEvent[] = [];
  const request: DispatchRequest = {
    harness,
    prompt: scenario.prompt,
    cwd: repo,
    logDir,
    timeoutMs: DISPATCH_TIMEOUT_MS,
    graceMs: 1_000,
    env,
    retry: { retries: 0, baseMs: 0, capMs: 0 },
    prices: DEFAULT_CONFIG.prices,
    onEvent: (event) => events.push(event),
  };
  try {
    return { result: await dispatch(request), events, mock, repo, logDir };
  } catch (error) {
    return { error, events, mock, repo, logDir };
  }
}

async function setUpAgent(agent: Scenario["agent"], mockUrl: string, home: string) {
  switch (agent) {
    case "claude":
      return {
        env: createClaudeEnv({ mockUrl, home }),
        harness: resolveHarness("claude", { claude: { command: CLAUDE_BIN } }),
      };
    case "codex":
      return {
        env: await createCodexEnv({ mockUrl, home }),
        // No model here: Codex's own config.toml names it, and bosun must price by that one.
        harness: resolveHarness("codex", { codex: { command: CODEX_BIN } }),
      };
    case "pi":
      return {
        env: await createPiEnv({ mockUrl, home }),
        harness: resolveHarness("pi", { pi: { command: PI_BIN, model: PI_MODEL } }),
      };
  }
}

/** The first message of the first model request, as JSON text, exactly as the CLI sent it. */
function getFirstMessageJson(mock: MockServer): string {
  const body = asRecord(mock.requests.find((request) => request.kind !== "probe")?.body);
  return JSON.stringify(asArray(body?.["messages"])[0]);
}

function getResult(run: ContractRun): DispatchResult {
  if (run.result === undefined) throw new Error(`dispatch failed: ${String(run.error)}`);
  return run.result;
}

function getAgentError(run: ContractRun): AgentError {
  if (!(run.error instanceof AgentError)) {
    throw new Error(
      `expected an AgentError, got ${run.result === undefined ? String(run.error) : "a result"}`,
    );
  }
  return run.error;
}

function ofType<T extends AgentEvent["type"]>(
  events: readonly AgentEvent[],
  type: T,
): Array<Extract<AgentEvent, { type: T }>> {
  return events.filter((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
}

/** agent.log re-parsed with the vendor parser must give exactly the events dispatch reported. */
/** One session id (a UUID) reported once and returned, and exactly these tool calls, in order. */
function expectSessionAndTools(run: ContractRun, result: DispatchResult, tools: string[]): void {
  const session = ofType(run.events, "session");
  expect(session).toHaveLength(1);
  expect(session[0]?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  expect(result.sessionId).toBe(session[0]?.sessionId);
  expect(ofType(run.events, "tool.use").map((event) => event.tool)).toEqual(tools);
  expect(result.toolUses).toBe(tools.length);
}

async function expectLogReplaysEvents(run: ContractRun, parse: (line: string) => AgentEvent[]) {
  const log = await readFile(join(run.logDir, "agent.log"), "utf8");
  const lines = log.split("\n").filter((line) => line !== "");
  expect(lines.flatMap(parse)).toEqual(run.events);
  return lines;
}

async function readVersion(bin: string): Promise<string> {
  const result = await runProcess({
    command: bin,
    args: ["--version"],
    cwd: process.cwd(),
    env: { PI_OFFLINE: "1" },
    // pi loads a large bundle: seconds on a busy machine.
    timeoutMs: 30_000,
  });
  // pi prints its version on stderr.
  return result.stdout.trim() || result.stderrTail.trim();
}

describe(`claude-code ${CLAUDE_VERSION} adapter contract`, () => {
  it("is the installed version", { timeout: TEST_TIMEOUT_MS }, async () => {
    expect(await readVersion(CLAUDE_BIN)).toContain(CLAUDE_VERSION);
  });

  it(
    "reports session, tool uses, file edits, usage, reported cost and the final text",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const run = await runContract(CLAUDE_EDIT);
      const result = getResult(run);
      expectSessionAndTools(run, result, ["Write", "Edit", "Bash"]);
      // Claude reports the path as the tool input gave it: absolute for Write, relative for Edit.
      const helloPath = join(run.repo, "hello.txt");
      expect(ofType(run.events, "file.edit")).toEqual([
        { type: "file.edit", path: helloPath, kind: "add" },
        { type: "file.edit", path: "hello.txt", kind: "update" },
      ]);
      expect(result.fileEdits).toEqual(["hello.txt"]);
      expect(await readFile(helloPath, "utf8")).toBe("hello mock\n");
      expect(ofType(run.events, "tool.result").every((event) => !event.isError)).toBe(true);
      expect(result.tokens.inputTokens).toBeGreaterThan(0);
      expect(result.tokens.outputTokens).toBeGreaterThan(0);
      expect(result.costUsd).toBeGreaterThan(0);
      expect(result.isCostEstimated).toBe(false);
      expect(result.finalText).toBe("Created hello.txt and changed its greeting.");
      expect(ofType(run.events, "final")).toEqual([
        { type: "final", text: "Created hello.txt and changed its greeting.", isError: false },
      ]);
      expect(result).toMatchObject({ exitCode: 0, spawns: 1, warnings: [] });
      expect(run.mock.unmatched).toEqual([]);
      const lines = await expectLogReplaysEvents(run, parseClaudeLine);
      expect(lines[0]).toContain(`"session_id":"${result.sessionId}"`);
      expect(lines.at(-1)).toContain('"type":"result"');
    },
  );

  it(
    "fails with a clear AgentError when the API answers 400",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const run = await runContract(CLAUDE_API_ERROR);
      const error = getAgentError(run);
      expect(error.message).toBe("claude exited with code 1: API Error: 400 mock bad request");
      expect(error.isPermanent).toBe(true);
      expect(run.mock.requests.filter((request) => request.kind === "error")).toHaveLength(1);
      expect(ofType(run.events, "final")).toEqual([
        { type: "final", text: "API Error: 400 mock bad request", isError: true },
      ]);
      const lines = await expectLogReplaysEvents(run, parseClaudeLine);
      expect(lines.at(-1)).toContain('"is_error":true');
    },
  );
});

describe(`codex ${CODEX_VERSION} adapter contract`, () => {
  it("is the installed version", { timeout: TEST_TIMEOUT_MS }, async () => {
    expect(await readVersion(CODEX_BIN)).toContain(CODEX_VERSION);
  });

  it(
    "reports thread id, tool uses, file edits, usage, an estimated cost and the last text",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const run = await runContract(CODEX_EDIT);
      const result = getResult(run);
      expectSessionAndTools(run, result, ["shell", "apply_patch", "shell"]);
      expect(ofType(run.events, "file.edit")).toEqual([
        { type: "file.edit", path: join(run.repo, "hello.txt"), kind: "update" },
        { type: "file.edit", path: join(run.repo, "patched.txt"), kind: "add" },
      ]);
      expect(result.fileEdits).toEqual(["hello.txt", "patched.txt"]);
      expect(await readFile(join(run.repo, "hello.txt"), "utf8")).toBe("hello mock\n");
      expect(ofType(run.events, "tool.result").every((event) => !event.isError)).toBe(true);
      // Codex reports no cost: bosun estimates it from the turn's tokens and the price table.
      expect(result.tokens.inputTokens).toBeGreaterThan(0);
      expect(result.tokens.outputTokens).toBeGreaterThan(0);
      const price = DEFAULT_CONFIG.prices[CODEX_MODEL];
      if (price === undefined) throw new Error(`no default price for ${CODEX_MODEL}`);
      const { inputTokens, cachedInputTokens, outputTokens } = result.tokens;
      const expectedUsd =
        ((inputTokens - cachedInputTokens) * price.inputPerMTok +
          cachedInputTokens * (price.cachedInputPerMTok ?? price.inputPerMTok) +
          outputTokens * price.outputPerMTok) /
        1e6;
      expect(result.costUsd).toBeGreaterThan(0);
      // bosun rounds costs to the micro-dollar.
      expect(result.costUsd).toBeCloseTo(Math.round(expectedUsd * 1e6) / 1e6, 9);
      expect(result.isCostEstimated).toBe(true);
      expect(result.finalText).toBe("Created hello.txt and changed its greeting.");
      expect(ofType(run.events, "text").at(-1)?.text).toBe(result.finalText);
      expect(ofType(run.events, "final")).toEqual([]);
      expect(result).toMatchObject({ exitCode: 0, spawns: 1, warnings: [] });
      // bosun read the model from Codex's config, and it is the one that reached the wire (so the
      // price table applies to what was really used).
      expect(result.model).toBe(CODEX_MODEL);
      expect(run.mock.requests.find((request) => request.kind === "turn")?.body).toMatchObject({
        model: CODEX_MODEL,
      });
      expect(run.mock.unmatched).toEqual([]);
      const lines = await expectLogReplaysEvents(run, parseCodexLine);
      expect(lines[0]).toBe(`{"type":"thread.started","thread_id":"${result.sessionId}"}`);
      expect(lines.at(-1)).toContain('"type":"turn.completed"');
    },
  );

  it(
    "fails with a clear AgentError when the API answers 400",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const run = await runContract(CODEX_TURN_FAILED);
      const error = getAgentError(run);
      expect(error.message).toBe(
        "codex exited with code 1: mock bad request (invalid_request_error)",
      );
      expect(error.isPermanent).toBe(true);
      expect(run.mock.requests.filter((request) => request.kind === "error")).toHaveLength(1);
      expect(ofType(run.events, "error").at(-1)).toMatchObject({ isFatal: true });
      const lines = await expectLogReplaysEvents(run, parseCodexLine);
      expect(lines.at(-1)).toContain('"type":"turn.failed"');
    },
  );
});

describe(`pi ${PI_VERSION} adapter contract`, () => {
  it("is the installed version", { timeout: TEST_TIMEOUT_MS }, async () => {
    expect(await readVersion(PI_BIN)).toContain(PI_VERSION);
  });

  it(
    "as the pulse's brain, offers the model its reading tools alone",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const brain = resolveBrainHarness({
        ...DEFAULT_CONFIG,
        agents: { pi: { command: PI_BIN, model: PI_MODEL } },
        pulse: { ...DEFAULT_CONFIG.pulse, brain: "pi" },
      });
      const run = await runContract(PI_TEXT, (harness) => ({
        ...harness,
        extraArgs: brain.extraArgs,
      }));
      expect(getResult(run).finalText).toContain("noop");
      const body = asRecord(run.mock.requests.find((request) => request.kind !== "probe")?.body);
      const tools = asArray(body?.["tools"]).map((tool) => asRecord(tool)?.["name"]);
      expect(tools.sort()).toEqual(["find", "grep", "ls", "read"]);
      // The same CLI offers its writing tools when it runs as a worker.
      const worker = await runContract(PI_TEXT);
      const workerBody = asRecord(
        worker.mock.requests.find((request) => request.kind !== "probe")?.body,
      );
      expect(asArray(workerBody?.["tools"]).map((tool) => asRecord(tool)?.["name"])).toContain(
        "bash",
      );
    },
  );

  it(
    "reports session, tool uses, file edits, usage, reported cost and the final text",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const run = await runContract(PI_EDIT);
      const result = getResult(run);
      expectSessionAndTools(run, result, ["write", "edit", "bash"]);
      // pi's end event has no path, so bosun reports the tool input's (relative) path as an update.
      expect(ofType(run.events, "file.edit")).toEqual([
        { type: "file.edit", path: "hello.txt", kind: "update" },
        { type: "file.edit", path: "hello.txt", kind: "update" },
      ]);
      expect(result.fileEdits).toEqual(["hello.txt"]);
      expect(await readFile(join(run.repo, "hello.txt"), "utf8")).toBe("hello mock\n");
      expect(ofType(run.events, "tool.result").every((event) => !event.isError)).toBe(true);
      expect(ofType(run.events, "tool.result").at(-1)?.output).toBe("README.md\nhello.txt\n");
      // Four turns: 3 x 50 + 120 input and 3 x 25 + 30 output tokens.
      expect(result.tokens.inputTokens).toBe(270);
      expect(result.tokens.outputTokens).toBe(105);
      // pi prices the turns itself from models.json ($3 / $15 per MTok).
      expect(result.costUsd).toBeCloseTo((270 * 3 + 105 * 15) / 1e6, 9);
      expect(result.isCostEstimated).toBe(false);
      expect(result.finalText).toBe("Created hello.txt and changed its greeting.");
      expect(ofType(run.events, "final")).toEqual([
        { type: "final", text: "Created hello.txt and changed its greeting.", isError: false },
      ]);
      expect(result).toMatchObject({ exitCode: 0, spawns: 1, warnings: [] });
      // The prompt arrives through the `@prompt_file` argument, which pi wraps in a <file> block.
      const promptFile = join(run.logDir, "prompt.md");
      expect(getFirstMessageJson(run.mock)).toContain(
        JSON.stringify(`<file name="${promptFile}">\n${PI_EDIT.prompt}\n</file>\n`),
      );
      expect(run.mock.requests.find((request) => request.kind === "turn")).toMatchObject({
        body: { model: PI_MODEL.slice("mock/".length) },
        cwd: run.repo,
      });
      expect(run.mock.unmatched).toEqual([]);
      const lines = await expectLogReplaysEvents(run, parsePiLine);
      expect(lines[0]).toContain(`"type":"session","version":3,"id":"${result.sessionId}"`);
      expect(lines.at(-1)).toContain('"type":"agent_end"');
    },
  );

  it(
    "fails with a clear AgentError when the API answers 400, though pi exits 0",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const run = await runContract(PI_API_ERROR);
      const error = getAgentError(run);
      const apiError =
        '400 {"type":"error","error":{"type":"invalid_request_error","message":"mock bad request"}}';
      // pi exits 0; bosun fails the run on the assistant message's stopReason "error".
      expect(error.message).toBe(`pi reported an error: ${apiError}`);
      expect(error.isPermanent).toBe(true);
      expect(run.mock.requests.filter((request) => request.kind === "error")).toHaveLength(1);
      expect(ofType(run.events, "error").at(-1)).toMatchObject({ isFatal: true });
      expect(ofType(run.events, "final")).toEqual([
        { type: "final", text: apiError, isError: true },
      ]);
      const lines = await expectLogReplaysEvents(run, parsePiLine);
      expect(lines.at(-1)).toContain('"type":"agent_end"');
      expect(lines.at(-1)).toContain('"stopReason":"error"');
    },
  );
});
