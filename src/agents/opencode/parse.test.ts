/** Unit tests for the opencode `run --format json` parser, on lines built from the documented fields. */
import { describe, expect, it } from "vitest";
import { parseOpencodeLine } from "./parse.js";

const SESSION_ID = "ses_6c1f0a2b3ffeXyZ";

function makeLine(type: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ type, timestamp: 1767607200000, sessionID: SESSION_ID, ...fields });
}

function makeToolUse(tool: string, state: Record<string, unknown>): string {
  return makeLine("tool_use", {
    part: {
      id: "prt_1",
      sessionID: SESSION_ID,
      messageID: "msg_1",
      type: "tool",
      tool,
      callID: "call_1",
      state: { time: { start: 1, end: 2 }, ...state },
    },
  });
}

function makeStepFinish(part: Record<string, unknown>): string {
  return makeLine("step_finish", { part: { type: "step-finish", ...part } });
}

describe("parseOpencodeLine", () => {
  it("maps step_start to the session", () => {
    const line = makeLine("step_start", {
      part: { id: "prt_0", sessionID: SESSION_ID, messageID: "msg_1", type: "step-start" },
    });
    expect(parseOpencodeLine(line)).toEqual([{ type: "session", sessionId: SESSION_ID }]);
  });

  it("maps text parts to text", () => {
    expect(
      parseOpencodeLine(makeLine("text", { part: { type: "text", text: "All done." } })),
    ).toEqual([{ type: "text", text: "All done." }]);
  });

  it("maps a finished bash call to tool.use and tool.result", () => {
    const line = makeToolUse("bash", {
      status: "completed",
      input: { command: "ls", description: "list" },
      output: "a\nb",
      title: "ls",
    });
    expect(parseOpencodeLine(line)).toEqual([
      { type: "tool.use", tool: "bash", summary: "ls", id: "call_1" },
      { type: "tool.result", id: "call_1", isError: false, output: "a\nb" },
    ]);
  });

  it("reports a failed call with its error text and no file edit", () => {
    const line = makeToolUse("edit", {
      status: "error",
      input: { filePath: "/repo/a.ts" },
      error: "oldString not found",
    });
    expect(parseOpencodeLine(line)).toEqual([
      { type: "tool.use", tool: "edit", summary: "/repo/a.ts", id: "call_1" },
      { type: "tool.result", id: "call_1", isError: true, output: "oldString not found" },
    ]);
  });

  it("reports write of a new file as add, an overwrite or edit as update", () => {
    const created = makeToolUse("write", {
      status: "completed",
      input: { filePath: "/repo/hello.txt", content: "hi" },
      output: "",
      metadata: { diagnostics: {}, filepath: "/repo/hello.txt", exists: false },
    });
    expect(parseOpencodeLine(created)).toContainEqual({
      type: "file.edit",
      path: "/repo/hello.txt",
      kind: "add",
    });
    const overwritten = makeToolUse("write", {
      status: "completed",
      input: { filePath: "/repo/hello.txt", content: "hi" },
      metadata: { exists: true },
    });
    expect(parseOpencodeLine(overwritten)).toContainEqual({
      type: "file.edit",
      path: "/repo/hello.txt",
      kind: "update",
    });
    const edited = makeToolUse("edit", {
      status: "completed",
      input: { filePath: "/repo/hello.txt", oldString: "hello", newString: "hello mock" },
    });
    expect(parseOpencodeLine(edited)).toContainEqual({
      type: "file.edit",
      path: "/repo/hello.txt",
      kind: "update",
    });
  });

  it("maps step_finish to per-step usage with cache and reasoning counted in, and its cost", () => {
    const line = makeStepFinish({
      reason: "tool-calls",
      cost: 0.0012,
      tokens: { input: 100, output: 20, reasoning: 5, cache: { read: 30, write: 10 } },
    });
    expect(parseOpencodeLine(line)).toEqual([
      {
        type: "usage",
        usage: { inputTokens: 140, cachedInputTokens: 30, outputTokens: 25 },
        costUsd: 0.0012,
        isCumulative: false,
      },
    ]);
  });

  it("tolerates a step_finish without tokens or cost", () => {
    expect(parseOpencodeLine(makeStepFinish({ reason: "stop" }))).toEqual([
      {
        type: "usage",
        usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
        isCumulative: false,
      },
    ]);
  });

  it("maps a session error to a fatal error", () => {
    const line = makeLine("error", {
      error: { name: "APIError", data: { message: "mock bad request", statusCode: 400 } },
    });
    expect(parseOpencodeLine(line)).toEqual([
      { type: "error", message: "mock bad request", isFatal: true },
    ]);
    expect(parseOpencodeLine(makeLine("error", { error: { name: "ProviderAuthError" } }))).toEqual([
      { type: "error", message: "ProviderAuthError", isFatal: true },
    ]);
  });

  it("ignores reasoning and done", () => {
    expect(
      parseOpencodeLine(makeLine("reasoning", { part: { type: "reasoning", text: "hm" } })),
    ).toEqual([]);
    expect(parseOpencodeLine(makeLine("done", { reason: "idle", rejected: [] }))).toEqual([]);
  });

  it("turns garbage, unknown types and lines missing required fields into unknown", () => {
    const lines = [
      "Error: Session not found",
      '{"type":"text","part":',
      makeLine("permission"),
      makeLine("text", { part: {} }),
      makeLine("tool_use", { part: { tool: "bash" } }),
      makeLine("tool_use", { part: { tool: "bash", state: { status: "weird" } } }),
      makeLine("step_finish"),
      makeLine("error"),
    ];
    for (const line of lines)
      expect(parseOpencodeLine(line)).toEqual([{ type: "unknown", raw: line }]);
  });
});
