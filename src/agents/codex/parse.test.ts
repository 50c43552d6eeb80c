/** Unit tests for the Codex `exec --json` parser, on lines built from the documented fields. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../agent-event.js";
import { parseCodexLine } from "./parse.js";

const THREAD_ID = "0199a213-81c0-7800-8aa1-bbab2a035a53";

function makeLine(value: unknown): string {
  return JSON.stringify(value);
}

function makeItemEvent(
  type: "item.started" | "item.updated" | "item.completed",
  item: Record<string, unknown>,
): string {
  return makeLine({ type, item: { id: "item_1", ...item } });
}

function makeCommand(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "command_execution",
    command: "/bin/bash -lc ls",
    aggregated_output: "README.md\nhello.txt\n",
    exit_code: 0,
    status: "completed",
    ...overrides,
  };
}

function makeFileChange(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "file_change",
    changes: [
      { path: "hello.txt", kind: "update" },
      { path: "patched.txt", kind: "add" },
      { path: "old.txt", kind: "delete" },
    ],
    status: "completed",
    ...overrides,
  };
}

describe("parseCodexLine", () => {
  it("maps thread.started to the session", () => {
    expect(parseCodexLine(makeLine({ type: "thread.started", thread_id: THREAD_ID }))).toEqual([
      { type: "session", sessionId: THREAD_ID },
    ]);
  });

  it("maps a completed agent_message to text and never emits final", () => {
    const line = makeItemEvent("item.completed", { type: "agent_message", text: "Done." });
    expect(parseCodexLine(line)).toEqual([{ type: "text", text: "Done." }]);
  });

  it("maps a command to tool.use when it starts and tool.result when it completes", () => {
    const started = makeItemEvent(
      "item.started",
      makeCommand({ aggregated_output: "", exit_code: null, status: "in_progress" }),
    );
    expect(parseCodexLine(started)).toEqual([
      { type: "tool.use", tool: "shell", summary: "/bin/bash -lc ls", id: "item_1" },
    ]);
    expect(parseCodexLine(makeItemEvent("item.completed", makeCommand()))).toEqual([
      { type: "tool.result", id: "item_1", isError: false, output: "README.md\nhello.txt\n" },
    ]);
  });

  it("marks a command failed on a non-zero exit code, a failed status or a declined one", () => {
    const nonZero = makeItemEvent("item.completed", makeCommand({ exit_code: 2 }));
    const sandboxed = makeItemEvent(
      "item.completed",
      makeCommand({ exit_code: undefined, status: "failed" }),
    );
    const declined = makeItemEvent(
      "item.completed",
      makeCommand({ exit_code: undefined, status: "declined" }),
    );
    for (const line of [nonZero, sandboxed, declined]) {
      expect(parseCodexLine(line)).toMatchObject([{ type: "tool.result", isError: true }]);
    }
  });

  it("emits one file.edit per change of a completed patch", () => {
    expect(parseCodexLine(makeItemEvent("item.completed", makeFileChange()))).toEqual([
      { type: "tool.result", id: "item_1", isError: false },
      { type: "file.edit", path: "hello.txt", kind: "update" },
      { type: "file.edit", path: "patched.txt", kind: "add" },
      { type: "file.edit", path: "old.txt", kind: "delete" },
    ]);
    expect(
      parseCodexLine(makeItemEvent("item.started", makeFileChange({ status: "in_progress" }))),
    ).toEqual([
      {
        type: "tool.use",
        tool: "apply_patch",
        summary: "hello.txt, patched.txt, old.txt",
        id: "item_1",
      },
    ]);
  });

  it("emits no file.edit for a failed patch and drops malformed changes", () => {
    expect(
      parseCodexLine(makeItemEvent("item.completed", makeFileChange({ status: "failed" }))),
    ).toEqual([{ type: "tool.result", id: "item_1", isError: true }]);
    const odd = makeFileChange({
      changes: [{ path: "a.txt", kind: "rename" }, { kind: "add" }, { path: "b.txt", kind: "add" }],
    });
    expect(parseCodexLine(makeItemEvent("item.completed", odd))).toEqual([
      { type: "tool.result", id: "item_1", isError: false },
      { type: "file.edit", path: "b.txt", kind: "add" },
    ]);
  });

  it("maps MCP tool calls and web searches to tool.use / tool.result", () => {
    const mcp = {
      type: "mcp_tool_call",
      server: "docs",
      tool: "search",
      arguments: { query: "zod" },
      status: "in_progress",
    };
    expect(parseCodexLine(makeItemEvent("item.started", mcp))).toEqual([
      { type: "tool.use", tool: "docs.search", summary: "zod", id: "item_1" },
    ]);
    const failed = { ...mcp, status: "failed", error: { message: "server gone" } };
    expect(parseCodexLine(makeItemEvent("item.completed", failed))).toEqual([
      { type: "tool.result", id: "item_1", isError: true, output: "server gone" },
    ]);
    expect(
      parseCodexLine(makeItemEvent("item.started", { type: "web_search", query: "vitest 4" })),
    ).toEqual([{ type: "tool.use", tool: "web_search", summary: "vitest 4", id: "item_1" }]);
  });

  it("maps an error item and a top-level error to non-fatal errors", () => {
    const item = makeItemEvent("item.completed", {
      type: "error",
      message: "Model metadata for `mock-model` not found. Defaulting to fallback metadata",
    });
    expect(parseCodexLine(item)).toEqual([
      {
        type: "error",
        message: "Model metadata for `mock-model` not found. Defaulting to fallback metadata",
        isFatal: false,
      },
    ]);
    expect(
      parseCodexLine(makeLine({ type: "error", message: "Reconnecting... 1/1 (500)" })),
    ).toEqual([{ type: "error", message: "Reconnecting... 1/1 (500)", isFatal: false }]);
  });

  it("maps turn.completed to per-turn usage without cost", () => {
    const line = makeLine({
      type: "turn.completed",
      usage: {
        input_tokens: 1200,
        cached_input_tokens: 200,
        cache_write_input_tokens: 0,
        output_tokens: 345,
        reasoning_output_tokens: 45,
      },
    });
    expect(parseCodexLine(line)).toEqual([
      {
        type: "usage",
        usage: { inputTokens: 1200, cachedInputTokens: 200, outputTokens: 345 },
        isCumulative: false,
      },
    ]);
  });

  it("maps turn.failed to a fatal error", () => {
    const line = makeLine({
      type: "turn.failed",
      error: { message: "unexpected status 400 Bad Request" },
    });
    expect(parseCodexLine(line)).toEqual([
      { type: "error", message: "unexpected status 400 Bad Request", isFatal: true },
    ]);
    expect(parseCodexLine(makeLine({ type: "turn.failed" }))).toEqual([
      { type: "error", message: "Codex turn failed", isFatal: true },
    ]);
  });

  it("ignores turn.started, reasoning, todo lists and item updates", () => {
    const lines = [
      makeLine({ type: "turn.started" }),
      makeItemEvent("item.completed", { type: "reasoning", text: "thinking" }),
      makeItemEvent("item.started", {
        type: "todo_list",
        items: [{ text: "a", completed: false }],
      }),
      makeItemEvent("item.updated", makeCommand({ status: "in_progress" })),
    ];
    for (const line of lines) expect(parseCodexLine(line)).toEqual([]);
  });

  it("turns garbage, unknown types and lines missing required fields into unknown", () => {
    const lines = [
      "Reading additional input from stdin...",
      '{"type":"thread.started"',
      makeLine({ type: "turn.aborted" }),
      makeLine({ type: "thread.started" }),
      makeItemEvent("item.completed", { type: "collab_tool_call" }),
      makeItemEvent("item.completed", { type: "command_execution", status: "completed" }),
      makeLine({ type: "item.completed" }),
      makeLine({ type: "error" }),
    ];
    for (const line of lines)
      expect(parseCodexLine(line)).toEqual([{ type: "unknown", raw: line }]);
  });

  it("tolerates missing ids and usage fields", () => {
    expect(parseCodexLine(makeLine({ type: "item.completed", item: makeCommand() }))).toEqual([
      { type: "tool.result", isError: false, output: "README.md\nhello.txt\n" },
    ]);
    expect(parseCodexLine(makeLine({ type: "turn.completed" }))).toEqual([
      {
        type: "usage",
        usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
        isCumulative: false,
      },
    ]);
  });
});

/** Parses a stream recorded from the real CLI (test/fixtures/streams/capture.ts). */
function parseFixture(name: string): AgentEvent[] {
  const url = new URL(`../../../test/fixtures/streams/${name}`, import.meta.url);
  const lines = readFileSync(url, "utf8").split("\n");
  return lines.flatMap((line) => parseCodexLine(line));
}

describe("parseCodexLine on real codex 0.169.0 output", () => {
  it("reads the edit scenario: thread id, commands, patch edits, last message, usage", () => {
    const events = parseFixture("codex-edit.jsonl");
    expect(events.filter((event) => event.type === "unknown")).toEqual([]);
    expect(events[0]).toEqual({
      type: "session",
      sessionId: "01a20352-9f15-7ab3-9375-a6f162743163",
    });
    expect(events.flatMap((event) => (event.type === "tool.use" ? [event.tool] : []))).toEqual([
      "shell",
      "apply_patch",
      "shell",
    ]);
    expect(events.filter((event) => event.type === "tool.result" && event.isError)).toEqual([]);
    expect(events.filter((event) => event.type === "file.edit")).toEqual([
      { type: "file.edit", path: "/tmp/bosun-fixture-repo/hello.txt", kind: "update" },
      { type: "file.edit", path: "/tmp/bosun-fixture-repo/patched.txt", kind: "add" },
    ]);
    expect(events.filter((event) => event.type === "text").at(-1)).toEqual({
      type: "text",
      text: "Created hello.txt and changed its greeting.",
    });
    expect(events.filter((event) => event.type === "final" || event.type === "error")).toEqual([]);
    expect(events.at(-1)).toEqual({
      type: "usage",
      usage: { inputTokens: 270, cachedInputTokens: 0, outputTokens: 105 },
      isCumulative: false,
    });
  });

  it("reads the failed turn as a retry notice then a fatal error", () => {
    const events = parseFixture("codex-turn-failed.jsonl");
    expect(events.filter((event) => event.type === "unknown")).toEqual([]);
    expect(events[0]).toEqual({
      type: "session",
      sessionId: "01a20352-a186-7950-b52e-58820cc2ddcf",
    });
    const errors = events.filter((event) => event.type === "error");
    expect(errors.map((event) => event.isFatal)).toEqual([false, true]);
    expect(errors.every((event) => event.message.includes("mock bad request"))).toBe(true);
    expect(events.filter((event) => event.type === "usage" || event.type === "final")).toEqual([]);
  });
});
