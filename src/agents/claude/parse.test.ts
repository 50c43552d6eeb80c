/** Unit tests for the Claude Code stream-json parser, on lines built from the documented fields. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../agent-event.js";
import { parseClaudeLine } from "./parse.js";

const SESSION_ID = "5f0c8a8e-1111-4222-8333-944455556666";

function makeLine(value: unknown): string {
  return JSON.stringify(value);
}

function makeInit(overrides: Record<string, unknown> = {}): string {
  return makeLine({
    type: "system",
    subtype: "init",
    cwd: "/repo",
    session_id: SESSION_ID,
    tools: ["Bash", "Edit", "Read", "Write"],
    mcp_servers: [],
    model: "claude-opus-4-8[1m]",
    permissionMode: "bypassPermissions",
    apiKeySource: "ANTHROPIC_API_KEY",
    claude_code_version: "2.1.197",
    uuid: "u-1",
    ...overrides,
  });
}

function makeAssistant(content: unknown[], overrides: Record<string, unknown> = {}): string {
  return makeLine({
    type: "assistant",
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-opus-4-8",
      content,
      usage: { input_tokens: 10, output_tokens: 5 },
    },
    parent_tool_use_id: null,
    session_id: SESSION_ID,
    uuid: "u-2",
    ...overrides,
  });
}

function makeToolResult(
  toolUseId: string,
  content: unknown,
  isError?: boolean,
): Record<string, unknown> {
  return {
    type: "tool_result",
    tool_use_id: toolUseId,
    content,
    ...(isError === undefined ? {} : { is_error: isError }),
  };
}

function makeUser(content: unknown, toolUseResult?: unknown): string {
  return makeLine({
    type: "user",
    message: { role: "user", content },
    parent_tool_use_id: null,
    session_id: SESSION_ID,
    uuid: "u-3",
    ...(toolUseResult === undefined ? {} : { tool_use_result: toolUseResult }),
  });
}

function makeResult(overrides: Record<string, unknown> = {}): string {
  return makeLine({
    type: "result",
    subtype: "success",
    is_error: false,
    duration_ms: 1100,
    duration_api_ms: 900,
    num_turns: 4,
    result: "Done: hello.txt now says hello mock.",
    stop_reason: "end_turn",
    session_id: SESSION_ID,
    total_cost_usd: 0.000875,
    usage: {
      input_tokens: 50,
      cache_creation_input_tokens: 20,
      cache_read_input_tokens: 30,
      output_tokens: 25,
    },
    permission_denials: [],
    terminal_reason: "completed",
    ...overrides,
  });
}

describe("parseClaudeLine", () => {
  it("maps system/init to a session with its model", () => {
    expect(parseClaudeLine(makeInit())).toEqual([
      { type: "session", sessionId: SESSION_ID, model: "claude-opus-4-8[1m]" },
    ]);
  });

  it("maps each assistant text and tool_use block, summarising the tool input", () => {
    const line = makeAssistant([
      { type: "thinking", thinking: "plan", signature: "sig" },
      { type: "text", text: "Creating the file." },
      {
        type: "tool_use",
        id: "toolu_1",
        name: "Write",
        input: { file_path: "hello.txt", content: "hi" },
      },
      {
        type: "tool_use",
        id: "toolu_2",
        name: "Bash",
        input: { command: "ls -la", description: "list" },
      },
      { type: "tool_use", id: "toolu_3", name: "TodoWrite", input: { todos: [{ content: "x" }] } },
    ]);
    expect(parseClaudeLine(line)).toEqual([
      { type: "text", text: "Creating the file." },
      { type: "tool.use", tool: "Write", summary: "hello.txt", id: "toolu_1" },
      { type: "tool.use", tool: "Bash", summary: "ls -la", id: "toolu_2" },
      {
        type: "tool.use",
        tool: "TodoWrite",
        summary: '{"todos":[{"content":"x"}]}',
        id: "toolu_3",
      },
    ]);
  });

  it("reports a created file as add from Write's tool_use_result", () => {
    const line = makeUser(
      [makeToolResult("toolu_1", "File created successfully at: /repo/hello.txt")],
      {
        type: "create",
        filePath: "/repo/hello.txt",
        content: "hi",
        structuredPatch: [],
      },
    );
    expect(parseClaudeLine(line)).toEqual([
      {
        type: "tool.result",
        id: "toolu_1",
        isError: false,
        output: "File created successfully at: /repo/hello.txt",
      },
      { type: "file.edit", path: "/repo/hello.txt", kind: "add" },
    ]);
  });

  it("reports an overwritten file and an Edit as update", () => {
    const overwrite = makeUser([makeToolResult("toolu_1", "ok")], {
      type: "update",
      filePath: "/repo/a.txt",
      content: "x",
      structuredPatch: [],
    });
    const edit = makeUser(
      [makeToolResult("toolu_2", "The file /repo/b.txt has been updated successfully.")],
      {
        filePath: "/repo/b.txt",
        oldString: "hello world",
        newString: "hello mock",
        originalFile: "hello world\n",
        structuredPatch: [
          { oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, lines: ["-a", "+b"] },
        ],
        userModified: false,
        replaceAll: false,
      },
    );
    expect(parseClaudeLine(overwrite)).toContainEqual({
      type: "file.edit",
      path: "/repo/a.txt",
      kind: "update",
    });
    expect(parseClaudeLine(edit)).toContainEqual({
      type: "file.edit",
      path: "/repo/b.txt",
      kind: "update",
    });
  });

  it("reports a NotebookEdit as an update of the notebook", () => {
    const line = makeUser([makeToolResult("toolu_1", "Updated cell")], {
      new_source: "print(1)",
      cell_type: "code",
      language: "python",
      edit_mode: "replace",
      notebook_path: "/repo/n.ipynb",
      original_file: "{}",
    });
    expect(parseClaudeLine(line)).toContainEqual({
      type: "file.edit",
      path: "/repo/n.ipynb",
      kind: "update",
    });
  });

  it("emits no file.edit for a denied write or for non-editing tools", () => {
    const denied = makeUser(
      [
        makeToolResult(
          "toolu_1",
          "Claude requested permissions to write to /repo/x, but you haven't granted it yet.",
          true,
        ),
      ],
      "Error: permission denied",
    );
    const bash = makeUser([makeToolResult("toolu_2", "README.md\nhello.txt")], {
      stdout: "README.md\nhello.txt",
      stderr: "",
      interrupted: false,
    });
    const read = makeUser([makeToolResult("toolu_3", "1\thello")], {
      type: "text",
      file: {
        filePath: "/repo/hello.txt",
        content: "hello",
        numLines: 1,
        startLine: 1,
        totalLines: 1,
      },
    });
    expect(parseClaudeLine(denied)).toEqual([
      {
        type: "tool.result",
        id: "toolu_1",
        isError: true,
        output: "Claude requested permissions to write to /repo/x, but you haven't granted it yet.",
      },
    ]);
    expect(parseClaudeLine(bash)).toEqual([
      { type: "tool.result", id: "toolu_2", isError: false, output: "README.md\nhello.txt" },
    ]);
    expect(parseClaudeLine(read).map((event) => event.type)).toEqual(["tool.result"]);
  });

  it("joins tool_result content given as text blocks and truncates huge output", () => {
    const blocks = makeUser([
      makeToolResult("toolu_1", [
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ]),
    ]);
    expect(parseClaudeLine(blocks)).toEqual([
      { type: "tool.result", id: "toolu_1", isError: false, output: "a\nb" },
    ]);
    const huge = makeUser([makeToolResult("toolu_2", "x".repeat(10_000))]);
    const [event] = parseClaudeLine(huge);
    expect(
      event?.type === "tool.result" && event.output !== undefined && event.output.length < 4100,
    ).toBe(true);
  });

  it("ignores replayed user prompts given as a plain string", () => {
    expect(parseClaudeLine(makeUser("create hello.txt"))).toEqual([]);
  });

  it("maps result to cumulative usage with cache tokens counted as input, then final", () => {
    expect(parseClaudeLine(makeResult())).toEqual([
      {
        type: "usage",
        usage: { inputTokens: 100, cachedInputTokens: 30, outputTokens: 25 },
        costUsd: 0.000875,
        isCumulative: true,
      },
      { type: "final", text: "Done: hello.txt now says hello mock.", isError: false },
    ]);
  });

  it("treats an API error result as an error even though subtype says success", () => {
    const line = makeResult({
      is_error: true,
      api_error_status: 400,
      result: "API Error: 400 mock bad request",
    });
    expect(parseClaudeLine(line)).toContainEqual({
      type: "final",
      text: "API Error: 400 mock bad request",
      isError: true,
    });
  });

  it("builds a final text for error subtypes without a result", () => {
    const line = makeResult({
      subtype: "error_max_turns",
      is_error: undefined,
      result: undefined,
      usage: undefined,
      total_cost_usd: undefined,
    });
    expect(parseClaudeLine(line)).toEqual([
      { type: "final", text: "Claude Code run ended with error_max_turns", isError: true },
    ]);
    const withErrors = makeResult({
      subtype: "error_during_execution",
      is_error: true,
      result: undefined,
      errors: ["boom"],
    });
    expect(parseClaudeLine(withErrors)).toContainEqual({
      type: "final",
      text: "boom",
      isError: true,
    });
  });

  it("maps system/api_retry to a non-fatal error", () => {
    const line = makeLine({
      type: "system",
      subtype: "api_retry",
      attempt: 1,
      max_retries: 1,
      retry_delay_ms: 500,
      error_status: 500,
      error: "api_error",
    });
    expect(parseClaudeLine(line)).toEqual([
      {
        type: "error",
        message: "Claude API error 500: api_error; retrying (attempt 1/1)",
        isFatal: false,
      },
    ]);
  });

  it("ignores partial-message stream events and status notices", () => {
    expect(
      parseClaudeLine(makeLine({ type: "stream_event", event: { type: "message_start" } })),
    ).toEqual([]);
    expect(
      parseClaudeLine(makeLine({ type: "system", subtype: "status", status: "requesting" })),
    ).toEqual([]);
  });

  it("turns garbage, unknown types and lines missing required fields into unknown", () => {
    const lines = [
      "not json at all",
      "{ truncated",
      "[1,2]",
      makeLine({ type: "rate_limit_event" }),
      makeLine({ type: "system", subtype: "hook_started" }),
      makeLine({ type: "system", subtype: "init" }),
      makeLine({ type: "assistant" }),
      makeLine({ type: "result" }),
      makeLine(null),
    ];
    for (const line of lines)
      expect(parseClaudeLine(line)).toEqual([{ type: "unknown", raw: line }]);
  });

  it("returns nothing for blank lines", () => {
    expect(parseClaudeLine("")).toEqual([]);
    expect(parseClaudeLine("   ")).toEqual([]);
  });

  it("tolerates missing optional fields", () => {
    expect(parseClaudeLine(makeLine({ type: "system", subtype: "init", session_id: "s" }))).toEqual(
      [{ type: "session", sessionId: "s" }],
    );
    expect(
      parseClaudeLine(
        makeLine({
          type: "assistant",
          message: { content: [{ type: "tool_use", id: "t", name: "X" }] },
        }),
      ),
    ).toEqual([{ type: "tool.use", tool: "X", summary: "", id: "t" }]);
    expect(parseClaudeLine(makeLine({ type: "result", subtype: "success" }))).toEqual([
      { type: "final", text: "", isError: false },
    ]);
  });
});

/** Parses a stream recorded from the real CLI (test/fixtures/streams/capture.ts). */
function parseFixture(name: string): AgentEvent[] {
  const url = new URL(`../../../test/fixtures/streams/${name}`, import.meta.url);
  const lines = readFileSync(url, "utf8").split("\n");
  return lines.flatMap((line) => parseClaudeLine(line));
}

describe("parseClaudeLine on real claude-code 2.1.197 output", () => {
  it("reads the edit scenario: session, tools, file edits, usage, final", () => {
    const events = parseFixture("claude-edit.jsonl");
    expect(events.filter((event) => event.type === "unknown")).toEqual([]);
    expect(events[0]).toEqual({
      type: "session",
      sessionId: "b2fd5458-b99b-4a44-802d-57ea6b0b1591",
      model: "claude-opus-4-8[1m]",
    });
    expect(events.flatMap((event) => (event.type === "tool.use" ? [event.tool] : []))).toEqual([
      "Write",
      "Edit",
      "Bash",
    ]);
    expect(events.filter((event) => event.type === "tool.result" && event.isError)).toEqual([]);
    expect(events.filter((event) => event.type === "file.edit")).toEqual([
      { type: "file.edit", path: "/tmp/bosun-fixture-repo/hello.txt", kind: "add" },
      { type: "file.edit", path: "hello.txt", kind: "update" },
    ]);
    expect(events.slice(-2)).toEqual([
      {
        type: "usage",
        usage: { inputTokens: 270, cachedInputTokens: 0, outputTokens: 105 },
        costUsd: 0.003975,
        isCumulative: true,
      },
      { type: "final", text: "Created hello.txt and changed its greeting.", isError: false },
    ]);
  });

  it("reads the API error scenario as a failed final despite subtype success", () => {
    const events = parseFixture("claude-api-error.jsonl");
    expect(events.filter((event) => event.type === "unknown")).toEqual([]);
    expect(events[0]).toMatchObject({
      type: "session",
      sessionId: "52e51096-0901-4f43-a69d-ab1198fca7e0",
    });
    expect(events.filter((event) => event.type === "file.edit")).toEqual([]);
    expect(events.at(-1)).toEqual({
      type: "final",
      text: "API Error: 400 mock bad request",
      isError: true,
    });
  });
});
