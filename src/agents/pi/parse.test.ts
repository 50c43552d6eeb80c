/** Unit tests for the pi `--mode json` parser, on lines built from the documented fields. */
import { describe, expect, it } from "vitest";
import { parsePiLine } from "./parse.js";

function makeLine(type: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ type, ...fields });
}

function makeAssistantMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    role: "assistant",
    content: [
      { type: "thinking", thinking: "..." },
      { type: "text", text: "Wrote hello.txt." },
    ],
    api: "anthropic-messages",
    provider: "mock",
    model: "mock-model",
    usage: {
      input: 50,
      output: 25,
      cacheRead: 30,
      cacheWrite: 20,
      totalTokens: 125,
      cost: { input: 0.1, output: 0.2, cacheRead: 0, cacheWrite: 0, total: 0.3 },
    },
    stopReason: "stop",
    timestamp: 1767607200000,
    ...overrides,
  };
}

function makeErrorMessage(errorMessage = "400 mock bad request"): Record<string, unknown> {
  return makeAssistantMessage({
    content: [],
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { total: 0 } },
    stopReason: "error",
    errorMessage,
  });
}

describe("parsePiLine", () => {
  it("maps the session header to the session", () => {
    const line = makeLine("session", {
      version: 3,
      id: "0b7d2c1e-pi",
      timestamp: "2026-01-05T10:00:00.000Z",
      cwd: "/repo",
    });
    expect(parsePiLine(line)).toEqual([{ type: "session", sessionId: "0b7d2c1e-pi" }]);
  });

  it("maps an assistant message_end to text and per-message usage with cost", () => {
    expect(parsePiLine(makeLine("message_end", { message: makeAssistantMessage() }))).toEqual([
      { type: "text", text: "Wrote hello.txt." },
      {
        type: "usage",
        usage: { inputTokens: 100, cachedInputTokens: 30, outputTokens: 25 },
        costUsd: 0.3,
        isCumulative: false,
      },
    ]);
  });

  it("reports stopReason error as a fatal error because pi exits 0", () => {
    expect(parsePiLine(makeLine("message_end", { message: makeErrorMessage() }))).toContainEqual({
      type: "error",
      message: "400 mock bad request",
      isFatal: true,
    });
  });

  it("ignores user and tool-result message_end lines", () => {
    expect(
      parsePiLine(
        makeLine("message_end", { message: { role: "user", content: "hi", timestamp: 1 } }),
      ),
    ).toEqual([]);
    const toolResult = {
      role: "toolResult",
      toolCallId: "t1",
      toolName: "bash",
      content: [],
      isError: false,
      timestamp: 1,
    };
    expect(parsePiLine(makeLine("message_end", { message: toolResult }))).toEqual([]);
  });

  it("maps tool execution start and end, with file edits for write and edit", () => {
    const bash = makeLine("tool_execution_start", {
      toolCallId: "t1",
      toolName: "bash",
      args: { command: "ls" },
    });
    expect(parsePiLine(bash)).toEqual([
      { type: "tool.use", tool: "bash", summary: "ls", id: "t1" },
    ]);
    const write = makeLine("tool_execution_start", {
      toolCallId: "t2",
      toolName: "write",
      args: { path: "hello.txt", content: "hi" },
    });
    expect(parsePiLine(write)).toEqual([
      { type: "tool.use", tool: "write", summary: "hello.txt", id: "t2" },
      { type: "file.edit", path: "hello.txt", kind: "update" },
    ]);
    const edit = makeLine("tool_execution_start", {
      toolCallId: "t3",
      toolName: "edit",
      args: { path: "hello.txt", edits: [{ oldText: "hello", newText: "hello mock" }] },
    });
    expect(parsePiLine(edit)).toContainEqual({
      type: "file.edit",
      path: "hello.txt",
      kind: "update",
    });
    const end = makeLine("tool_execution_end", {
      toolCallId: "t1",
      toolName: "bash",
      result: {
        content: [
          { type: "text", text: "README.md" },
          { type: "image", data: "", mimeType: "image/png" },
        ],
        details: {},
      },
      isError: false,
    });
    expect(parsePiLine(end)).toEqual([
      { type: "tool.result", id: "t1", isError: false, output: "README.md" },
    ]);
  });

  it("maps agent_end to final with the last assistant text", () => {
    const line = makeLine("agent_end", {
      messages: [
        { role: "user", content: "go", timestamp: 1 },
        makeAssistantMessage({ content: [{ type: "text", text: "first" }], stopReason: "toolUse" }),
        {
          role: "toolResult",
          toolCallId: "t1",
          toolName: "bash",
          content: [],
          isError: false,
          timestamp: 2,
        },
        makeAssistantMessage({ content: [{ type: "text", text: "All done." }] }),
        { role: "bashExecution", command: "ls" },
      ],
    });
    expect(parsePiLine(line)).toEqual([{ type: "final", text: "All done.", isError: false }]);
  });

  it("marks the final as an error when the last assistant message failed", () => {
    const line = makeLine("agent_end", { messages: [makeErrorMessage("529 overloaded")] });
    expect(parsePiLine(line)).toEqual([{ type: "final", text: "529 overloaded", isError: true }]);
  });

  it("emits no final when pi says a retry follows, or when there is no assistant message", () => {
    expect(
      parsePiLine(makeLine("agent_end", { messages: [makeErrorMessage()], willRetry: true })),
    ).toEqual([]);
    expect(parsePiLine(makeLine("agent_end", { messages: [] }))).toEqual([]);
  });

  it("maps auto_retry_start to a non-fatal error", () => {
    const line = makeLine("auto_retry_start", {
      attempt: 2,
      maxAttempts: 3,
      delayMs: 2000,
      errorMessage: "503 unavailable",
    });
    expect(parsePiLine(line)).toEqual([
      {
        type: "error",
        message: "pi API error: 503 unavailable; retrying (attempt 2/3)",
        isFatal: false,
      },
    ]);
  });

  it("ignores lifecycle markers and streaming updates", () => {
    const lines = [
      makeLine("agent_start"),
      makeLine("turn_start"),
      makeLine("message_start", { message: makeAssistantMessage() }),
      makeLine("message_update", { assistantMessageEvent: { type: "text_delta", delta: "Wr" } }),
      makeLine("tool_execution_update", { toolCallId: "t1", toolName: "bash", partialResult: {} }),
      makeLine("turn_end", { message: makeAssistantMessage(), toolResults: [] }),
      makeLine("auto_retry_end", { success: true, attempt: 2 }),
    ];
    for (const line of lines) expect(parsePiLine(line)).toEqual([]);
  });

  it("turns garbage, unknown types and lines missing required fields into unknown", () => {
    const lines = [
      "Warning: model not found",
      '{"type":"session"',
      makeLine("extension_error", { error: "x" }),
      makeLine("session"),
      makeLine("message_end", { message: { role: "custom" } }),
      makeLine("message_end", { message: { role: "assistant" } }),
      makeLine("tool_execution_start", { args: {} }),
      makeLine("tool_execution_end", { toolCallId: "t1" }),
      makeLine("agent_end"),
    ];
    for (const line of lines) expect(parsePiLine(line)).toEqual([{ type: "unknown", raw: line }]);
  });

  it("tolerates an assistant message without usage or stop reason", () => {
    const line = makeLine("message_end", {
      message: { role: "assistant", content: [{ type: "text", text: "hi" }] },
    });
    expect(parsePiLine(line)).toEqual([{ type: "text", text: "hi" }]);
  });
});
