/**
 * Proves the scripted mock model servers: routing and error handling over plain HTTP, and real
 * tool loops of the installed Claude Code and Codex CLIs that edit files in a temp git repo.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLAUDE_API_ERROR,
  CLAUDE_EDIT,
  CODEX_EDIT,
  CODEX_TURN_FAILED,
  runScenario,
  type ScenarioRun,
} from "./agent-scenarios.js";
import { startAnthropicMock } from "./anthropic-mock.js";
import type { MockScript, MockServer } from "./mock-script.js";
import { startResponsesMock } from "./openai-responses-mock.js";

const CLI_TIMEOUT_MS = 15_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function startMock(start: (script: MockScript) => Promise<MockServer>, script: MockScript) {
  const mock = await start(script);
  cleanups.push(() => mock.close());
  return mock;
}

async function runTracked(...args: Parameters<typeof runScenario>): Promise<ScenarioRun> {
  const scenario = await runScenario(...args);
  cleanups.push(() => scenario.cleanup());
  return scenario;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** The `data:` payloads of an SSE body. */
function parseSse(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice("data: ".length)) as Record<string, unknown>);
}

function countKind(requests: ScenarioRun["requests"], kind: string): number {
  return requests.filter((request) => request.kind === kind).length;
}

function findEvent(run: ScenarioRun, type: string): Record<string, unknown> | undefined {
  return run.run.events.find((event) => event["type"] === type);
}

const GREETING_SCRIPT: MockScript = {
  conversations: [
    {
      name: "greet",
      match: (prompt) => prompt.startsWith("greet"),
      turns: [
        { text: "hi", toolCalls: [{ name: "Bash", input: { command: "ls" } }] },
        (ctx) => ({ text: `cwd=${ctx.cwd ?? "none"} turn=${ctx.turnIndex}` }),
      ],
    },
  ],
};

describe("anthropic mock", () => {
  it("answers the HEAD warm-up and records it as a probe", async () => {
    const mock = await startMock(startAnthropicMock, GREETING_SCRIPT);
    const response = await fetch(`${mock.url}/`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(mock.requests.map((r) => r.kind)).toEqual(["probe"]);
  });

  it("streams tool_use with stop_reason tool_use for the first turn", async () => {
    const mock = await startMock(startAnthropicMock, GREETING_SCRIPT);
    const body = {
      stream: true,
      tools: [{ name: "Bash" }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>ctx</system-reminder>" },
            { type: "text", text: "greet me" },
          ],
        },
      ],
    };
    const { status, text } = await postJson(`${mock.url}/v1/messages?beta=true`, body);
    expect(status).toBe(200);
    const events = parseSse(text);
    expect(events.map((e) => e["type"])).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[5]).toMatchObject({
      delta: { type: "input_json_delta", partial_json: '{"command":"ls"}' },
    });
    expect(events[7]).toMatchObject({
      delta: { stop_reason: "tool_use" },
      usage: { output_tokens: 25 },
    });
    expect(mock.requests[0]).toMatchObject({
      kind: "turn",
      prompt: "greet me",
      turnIndex: 0,
      conversation: "greet",
    });
  });

  it("picks the turn from the assistant messages in the history and finds the cwd", async () => {
    const mock = await startMock(startAnthropicMock, GREETING_SCRIPT);
    const body = {
      system: [{ type: "text", text: "Env:\n - Primary working directory: /repo/x\n" }],
      tools: [{ name: "Bash" }],
      messages: [
        { role: "user", content: "greet me" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] },
      ],
    };
    const { text } = await postJson(`${mock.url}/v1/messages`, body);
    expect(JSON.parse(text)).toMatchObject({
      content: [{ type: "text", text: "cwd=/repo/x turn=1" }],
      stop_reason: "end_turn",
    });
  });

  it("counts a conversation's turns from the latest prompt when asked (a resumed session)", async () => {
    const mock = await startMock(startAnthropicMock, {
      conversations: [
        {
          name: "resumed",
          match: (prompt) => prompt === "go on",
          isCountedFromPrompt: true,
          turns: [(ctx) => ({ text: `turn=${ctx.turnIndex} since=${ctx.promptTurnIndex}` })],
        },
      ],
    });
    const body = {
      tools: [{ name: "Bash" }],
      messages: [
        { role: "user", content: "start" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] },
        { role: "assistant", content: [{ type: "text", text: "started" }] },
        { role: "user", content: [{ type: "text", text: "go on" }] },
      ],
    };
    const { text } = await postJson(`${mock.url}/v1/messages`, body);
    expect(JSON.parse(text)).toMatchObject({ content: [{ type: "text", text: "turn=2 since=0" }] });
    expect(mock.requests[0]).toMatchObject({ turnIndex: 2, promptTurnIndex: 0, prompt: "go on" });
  });

  it("sends a scripted 429 as a rate_limit_error with its headers", async () => {
    const mock = await startMock(startAnthropicMock, {
      conversations: [
        {
          name: "limited",
          match: () => true,
          turns: [{ httpStatus: 429, message: "slow down", headers: { "retry-after": "7" } }],
        },
      ],
    });
    const response = await fetch(`${mock.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        tools: [{ name: "Bash" }],
        messages: [{ role: "user", content: "go" }],
      }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.json()).toMatchObject({
      type: "error",
      error: { type: "rate_limit_error", message: "slow down" },
    });
    expect(mock.requests[0]?.kind).toBe("error");
  });

  it("answers side calls without tools with a title and no turn", async () => {
    const mock = await startMock(startAnthropicMock, GREETING_SCRIPT);
    const { text } = await postJson(`${mock.url}/v1/messages`, {
      messages: [{ role: "user", content: "greet" }],
    });
    expect(JSON.parse(text)).toMatchObject({
      content: [{ type: "text", text: '{"title":"Mock title"}' }],
    });
    expect(mock.requests[0]?.kind).toBe("side");
  });

  it("answers 400 with a clear message when no conversation matches", async () => {
    const mock = await startMock(startAnthropicMock, GREETING_SCRIPT);
    const { status, text } = await postJson(`${mock.url}/v1/messages`, {
      tools: [{ name: "Bash" }],
      messages: [{ role: "user", content: "something else" }],
    });
    expect(status).toBe(400);
    expect(text).toContain('no conversation matches prompt \\"something else\\"');
    expect(mock.unmatched).toEqual(["something else"]);
  });
});

describe("responses mock", () => {
  const environment = {
    type: "message",
    role: "user",
    content: [
      {
        type: "input_text",
        text: "<environment_context>\n  <cwd>/repo/y</cwd>\n</environment_context>",
      },
    ],
  };

  it("streams function_call and custom_tool_call items from string inputs", async () => {
    const mock = await startMock(startResponsesMock, {
      conversations: [
        {
          name: "patch",
          match: () => true,
          turns: [
            {
              toolCalls: [
                { name: "exec_command", input: { cmd: "ls" } },
                { name: "apply_patch", input: "*** Begin Patch\n*** End Patch\n" },
              ],
            },
          ],
        },
      ],
    });
    const { text } = await postJson(`${mock.url}/v1/responses`, {
      stream: true,
      tools: [{ type: "function", name: "exec_command" }],
      input: [
        environment,
        { type: "message", role: "user", content: [{ type: "input_text", text: "patch it" }] },
      ],
    });
    const done = parseSse(text).filter((e) => e["type"] === "response.output_item.done");
    expect(done.map((e) => e["item"])).toMatchObject([
      { type: "function_call", name: "exec_command", arguments: '{"cmd":"ls"}' },
      { type: "custom_tool_call", name: "apply_patch", input: "*** Begin Patch\n*** End Patch\n" },
    ]);
    expect(mock.requests[0]).toMatchObject({
      kind: "turn",
      prompt: "patch it",
      cwd: "/repo/y",
      turnIndex: 0,
    });
  });

  it("counts each run of model items as one turn and says done past the script", async () => {
    const mock = await startMock(startResponsesMock, GREETING_SCRIPT);
    const call = (id: string) => ({
      type: "function_call",
      call_id: id,
      name: "exec_command",
      arguments: "{}",
    });
    const output = (id: string) => ({ type: "function_call_output", call_id: id, output: "ok" });
    const { text } = await postJson(`${mock.url}/v1/responses`, {
      tools: [{ type: "function", name: "exec_command" }],
      input: [
        environment,
        { type: "message", role: "user", content: [{ type: "input_text", text: "greet" }] },
        call("a"),
        call("b"),
        output("a"),
        output("b"),
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "x" }] },
        call("c"),
        output("c"),
      ],
    });
    expect(JSON.parse(text)).toMatchObject({
      output: [{ type: "message", content: [{ text: "done" }] }],
    });
    expect(mock.requests[0]?.turnIndex).toBe(2);
  });

  it("counts a conversation's turns from the latest prompt when asked (a resumed thread)", async () => {
    const mock = await startMock(startResponsesMock, {
      conversations: [
        {
          name: "resumed",
          match: (prompt) => prompt === "go on",
          isCountedFromPrompt: true,
          turns: [
            { toolCalls: [{ name: "exec_command", input: { cmd: "ls" } }] },
            (ctx) => ({ text: `turn=${ctx.turnIndex} since=${ctx.promptTurnIndex}` }),
          ],
        },
      ],
    });
    const user = (text: string) => ({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text }],
    });
    const { text } = await postJson(`${mock.url}/v1/responses`, {
      tools: [{ type: "function", name: "exec_command" }],
      input: [
        environment,
        user("start"),
        { type: "function_call", call_id: "a", name: "exec_command", arguments: "{}" },
        { type: "function_call_output", call_id: "a", output: "ok" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "x" }] },
        environment,
        user("go on"),
        { type: "function_call", call_id: "b", name: "exec_command", arguments: "{}" },
        { type: "function_call_output", call_id: "b", output: "ok" },
      ],
    });
    expect(JSON.parse(text)).toMatchObject({
      output: [{ type: "message", content: [{ text: "turn=3 since=1" }] }],
    });
    expect(mock.requests[0]).toMatchObject({ turnIndex: 3, promptTurnIndex: 1, prompt: "go on" });
  });

  it("sends a scripted HTTP error", async () => {
    const mock = await startMock(startResponsesMock, {
      conversations: [
        { name: "fail", match: () => true, turns: [{ httpStatus: 500, message: "boom" }] },
      ],
    });
    const { status, text } = await postJson(`${mock.url}/v1/responses`, {
      tools: [{ type: "function", name: "exec_command" }],
      input: [{ type: "message", role: "user", content: "go" }],
    });
    expect(status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ error: { message: "boom" } });
    expect(mock.requests[0]?.kind).toBe("error");
  });
});

describe("real Claude Code against the anthropic mock", () => {
  it(
    "creates, edits and lists a file with Write, Edit and Bash",
    { timeout: CLI_TIMEOUT_MS },
    async () => {
      const scenario = await runTracked(CLAUDE_EDIT);
      expect(scenario.run.exitCode, scenario.run.stderrTail).toBe(0);
      expect(await readFile(join(scenario.repo, "hello.txt"), "utf8")).toBe("hello mock\n");
      expect(countKind(scenario.requests, "turn")).toBe(4);
      expect(scenario.requests.find((r) => r.kind === "turn")?.cwd).toBe(scenario.repo);
      expect(scenario.unmatched).toEqual([]);
      expect(findEvent(scenario, "result")).toMatchObject({
        subtype: "success",
        is_error: false,
        num_turns: 4,
        result: "Created hello.txt and changed its greeting.",
      });
      const toolResults = scenario.run.events.filter((e) => e["type"] === "user");
      expect(JSON.stringify(toolResults.at(-1))).toContain("hello.txt");
    },
  );

  it(
    "exits 1 with an is_error result when the API answers 400",
    { timeout: CLI_TIMEOUT_MS },
    async () => {
      const scenario = await runTracked(CLAUDE_API_ERROR);
      expect(scenario.run.exitCode).toBe(1);
      expect(countKind(scenario.requests, "error")).toBe(1);
      expect(findEvent(scenario, "result")).toMatchObject({
        subtype: "success",
        is_error: true,
        api_error_status: 400,
        result: "API Error: 400 mock bad request",
      });
    },
  );
});

describe("real Codex against the responses mock", () => {
  it(
    "writes with exec_command and edits with a freeform apply_patch",
    { timeout: CLI_TIMEOUT_MS },
    async () => {
      const scenario = await runTracked(CODEX_EDIT);
      expect(scenario.run.exitCode, scenario.run.stderrTail).toBe(0);
      expect(await readFile(join(scenario.repo, "hello.txt"), "utf8")).toBe("hello mock\n");
      expect(await readFile(join(scenario.repo, "patched.txt"), "utf8")).toBe(
        "patched by apply_patch\n",
      );
      expect(countKind(scenario.requests, "turn")).toBe(4);
      expect(scenario.requests.find((r) => r.kind === "turn")?.cwd).toBe(scenario.repo);
      expect(scenario.unmatched).toEqual([]);
      const fileChange = scenario.run.events.find(
        (e) => e["type"] === "item.completed" && JSON.stringify(e).includes('"file_change"'),
      );
      expect(fileChange).toMatchObject({
        item: { changes: [{ kind: "update" }, { kind: "add" }], status: "completed" },
      });
      expect(findEvent(scenario, "turn.completed")).toMatchObject({
        usage: { input_tokens: 270, output_tokens: 105 },
      });
    },
  );

  it(
    "emits turn.failed and exits 1 when the API answers 400",
    { timeout: CLI_TIMEOUT_MS },
    async () => {
      const scenario = await runTracked(CODEX_TURN_FAILED);
      expect(scenario.run.exitCode).toBe(1);
      expect(countKind(scenario.requests, "error")).toBe(1);
      expect(findEvent(scenario, "turn.failed")).toMatchObject({
        error: { message: expect.stringContaining("mock bad request") as unknown },
      });
    },
  );
});
