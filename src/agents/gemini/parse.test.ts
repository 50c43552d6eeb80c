/** Unit tests for the gemini-cli stream-json parser, on lines built from the documented fields. */
import { describe, expect, it } from "vitest";
import { parseGeminiLine } from "./parse.js";

const TIMESTAMP = "2026-01-05T10:00:00.000Z";

function makeLine(type: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ type, timestamp: TIMESTAMP, ...fields });
}

function makeToolUse(toolName: string, parameters: Record<string, unknown>): string {
  return makeLine("tool_use", { tool_name: toolName, tool_id: "call_1", parameters });
}

describe("parseGeminiLine", () => {
  it("maps init to a session with its model", () => {
    expect(
      parseGeminiLine(makeLine("init", { session_id: "g-1", model: "gemini-2.5-flash" })),
    ).toEqual([{ type: "session", sessionId: "g-1", model: "gemini-2.5-flash" }]);
  });

  it("maps assistant messages and chunks to text and skips the echoed prompt", () => {
    expect(
      parseGeminiLine(makeLine("message", { role: "assistant", content: "Hel", delta: true })),
    ).toEqual([{ type: "text", text: "Hel" }]);
    expect(
      parseGeminiLine(makeLine("message", { role: "assistant", content: "Whole answer." })),
    ).toEqual([{ type: "text", text: "Whole answer." }]);
    expect(
      parseGeminiLine(makeLine("message", { role: "user", content: "create hello.txt" })),
    ).toEqual([]);
  });

  it("maps a shell call to tool.use with the command as summary", () => {
    expect(
      parseGeminiLine(makeToolUse("run_shell_command", { command: "ls", description: "list" })),
    ).toEqual([{ type: "tool.use", tool: "run_shell_command", summary: "ls", id: "call_1" }]);
  });

  it("reports write_file and replace as file edits at the call", () => {
    expect(
      parseGeminiLine(makeToolUse("write_file", { file_path: "hello.txt", content: "hi" })),
    ).toEqual([
      { type: "tool.use", tool: "write_file", summary: "hello.txt", id: "call_1" },
      { type: "file.edit", path: "hello.txt", kind: "update" },
    ]);
    const replace = makeToolUse("replace", {
      file_path: "/repo/a.ts",
      old_string: "a",
      new_string: "b",
    });
    expect(parseGeminiLine(replace)).toContainEqual({
      type: "file.edit",
      path: "/repo/a.ts",
      kind: "update",
    });
    const bulk = makeToolUse("write_file", {
      files: [
        { file_path: "a.txt", content: "" },
        { content: "" },
        { file_path: "b.txt", content: "" },
      ],
    });
    expect(parseGeminiLine(bulk).filter((event) => event.type === "file.edit")).toEqual([
      { type: "file.edit", path: "a.txt", kind: "update" },
      { type: "file.edit", path: "b.txt", kind: "update" },
    ]);
    expect(parseGeminiLine(makeToolUse("read_file", { file_path: "a.txt" }))).toHaveLength(1);
  });

  it("maps tool results, using the error message when there is no output", () => {
    expect(
      parseGeminiLine(
        makeLine("tool_result", { tool_id: "call_1", status: "success", output: "ok" }),
      ),
    ).toEqual([{ type: "tool.result", id: "call_1", isError: false, output: "ok" }]);
    const failed = makeLine("tool_result", {
      tool_id: "call_2",
      status: "error",
      error: { type: "invalid_tool_params", message: "bad path" },
    });
    expect(parseGeminiLine(failed)).toEqual([
      { type: "tool.result", id: "call_2", isError: true, output: "bad path" },
    ]);
  });

  it("maps mid-run errors to non-fatal errors", () => {
    expect(
      parseGeminiLine(makeLine("error", { severity: "warning", message: "Loop detected" })),
    ).toEqual([{ type: "error", message: "Loop detected", isFatal: false }]);
  });

  it("maps result stats to cumulative usage", () => {
    const line = makeLine("result", {
      status: "success",
      stats: {
        total_tokens: 160,
        input_tokens: 120,
        output_tokens: 40,
        cached: 20,
        input: 100,
        duration_ms: 2500,
        tool_calls: 3,
      },
    });
    expect(parseGeminiLine(line)).toEqual([
      {
        type: "usage",
        usage: { inputTokens: 120, cachedInputTokens: 20, outputTokens: 40 },
        isCumulative: true,
      },
    ]);
  });

  it("maps a failed result to a fatal error", () => {
    const line = makeLine("result", {
      status: "error",
      error: { type: "FatalTurnLimitedError", message: "Reached max turns" },
    });
    expect(parseGeminiLine(line)).toEqual([
      { type: "error", message: "Reached max turns", isFatal: true },
    ]);
    expect(parseGeminiLine(makeLine("result", { status: "error" }))).toEqual([
      { type: "error", message: "gemini run failed", isFatal: true },
    ]);
  });

  it("adds input and cached when input_tokens is missing", () => {
    const line = makeLine("result", {
      status: "success",
      stats: { input: 100, cached: 20, output_tokens: 5 },
    });
    expect(parseGeminiLine(line)).toEqual([
      {
        type: "usage",
        usage: { inputTokens: 120, cachedInputTokens: 20, outputTokens: 5 },
        isCumulative: true,
      },
    ]);
  });

  it("turns garbage, unknown types and lines missing required fields into unknown", () => {
    const lines = [
      "Loaded cached credentials.",
      "{",
      makeLine("thought", { content: "hmm" }),
      makeLine("init"),
      makeLine("message", { role: "system", content: "x" }),
      makeLine("tool_use", { parameters: {} }),
      makeLine("tool_result", { tool_id: "x", status: "pending" }),
      makeLine("result", {}),
    ];
    for (const line of lines)
      expect(parseGeminiLine(line)).toEqual([{ type: "unknown", raw: line }]);
  });
});
