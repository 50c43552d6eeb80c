/**
 * Turns gemini-cli stream-json lines into AgentEvents (best effort from the documented fields).
 * gemini marks no final text: the dispatcher joins the assistant `text` events instead.
 */
import type { AgentEvent, LineParser } from "../agent-event.js";
import {
  MAX_TOOL_OUTPUT_CHARS,
  createUsage,
  getArray,
  getBoolean,
  getLiteral,
  getNumber,
  getRecord,
  getString,
  isRecord,
  parseVendorLine,
  summarizeToolInput,
  truncateText,
  withId,
} from "../parse-helpers.js";
import type { JsonRecord } from "../parse-helpers.js";
import type { GeminiEvent, GeminiStreamStats, GeminiToolUseEvent } from "./events.js";

/** gemini's file-writing tools; their `file_path` parameter names the file. */
const FILE_EDIT_TOOLS: ReadonlySet<string> = new Set(["write_file", "replace"]);

/** Parses one gemini-cli stream-json line. */
export const parseGeminiLine: LineParser = (line) =>
  parseVendorLine(line, parseGeminiEvent, toAgentEvents);

/** Validates one parsed JSON value as a gemini-cli stream event; undefined when it is not one. */
export function parseGeminiEvent(value: unknown): GeminiEvent | undefined {
  if (!isRecord(value)) return undefined;
  const timestamp = getString(value, "timestamp");
  switch (value.type) {
    case "init": {
      const sessionId = getString(value, "session_id");
      if (sessionId === undefined) return undefined;
      return { type: "init", session_id: sessionId, model: getString(value, "model"), timestamp };
    }
    case "message": {
      const role = getLiteral(value, "role", ["user", "assistant"] as const);
      const content = getString(value, "content");
      if (role === undefined || content === undefined) return undefined;
      return { type: "message", role, content, delta: getBoolean(value, "delta"), timestamp };
    }
    case "tool_use": {
      const toolName = getString(value, "tool_name");
      if (toolName === undefined) return undefined;
      return {
        type: "tool_use",
        tool_name: toolName,
        tool_id: getString(value, "tool_id"),
        parameters: getRecord(value, "parameters"),
        timestamp,
      };
    }
    case "tool_result": {
      const status = getLiteral(value, "status", ["success", "error"] as const);
      if (status === undefined) return undefined;
      return {
        type: "tool_result",
        tool_id: getString(value, "tool_id"),
        status,
        output: getString(value, "output"),
        error: parseError(getRecord(value, "error")),
        timestamp,
      };
    }
    case "error": {
      const message = getString(value, "message");
      if (message === undefined) return undefined;
      const severity = getLiteral(value, "severity", ["warning", "error"] as const);
      return { type: "error", severity, message, timestamp };
    }
    case "result": {
      const status = getLiteral(value, "status", ["success", "error"] as const);
      if (status === undefined) return undefined;
      const stats = getRecord(value, "stats");
      return {
        type: "result",
        status,
        error: parseError(getRecord(value, "error")),
        stats: stats && parseStats(stats),
        timestamp,
      };
    }
    default:
      return undefined;
  }
}

function parseError(
  value: JsonRecord | undefined,
): { type?: string; message?: string } | undefined {
  return value && { type: getString(value, "type"), message: getString(value, "message") };
}

function parseStats(value: JsonRecord): GeminiStreamStats {
  return {
    total_tokens: getNumber(value, "total_tokens"),
    input_tokens: getNumber(value, "input_tokens"),
    output_tokens: getNumber(value, "output_tokens"),
    cached: getNumber(value, "cached"),
    input: getNumber(value, "input"),
    duration_ms: getNumber(value, "duration_ms"),
    tool_calls: getNumber(value, "tool_calls"),
  };
}

function toAgentEvents(event: GeminiEvent): AgentEvent[] {
  switch (event.type) {
    case "init":
      return [
        {
          type: "session",
          sessionId: event.session_id,
          ...(event.model === undefined ? {} : { model: event.model }),
        },
      ];
    case "message":
      return event.role === "assistant" && event.content !== ""
        ? [{ type: "text", text: event.content }]
        : [];
    case "tool_use":
      return toolUseToAgentEvents(event);
    case "tool_result": {
      const output = event.output ?? event.error?.message;
      return [
        {
          type: "tool.result",
          isError: event.status === "error",
          ...withId(event.tool_id),
          ...(output === undefined ? {} : { output: truncateText(output, MAX_TOOL_OUTPUT_CHARS) }),
        },
      ];
    }
    case "error":
      return [{ type: "error", message: event.message, isFatal: false }];
    case "result": {
      const events: AgentEvent[] = [];
      if (event.stats !== undefined) {
        const stats = event.stats;
        const inputTokens = stats.input_tokens ?? sumDefined(stats.input, stats.cached);
        events.push({
          type: "usage",
          usage: createUsage(inputTokens, stats.cached, stats.output_tokens),
          isCumulative: true,
        });
      }
      if (event.status === "error") {
        const message = event.error?.message ?? "gemini run failed";
        events.push({ type: "error", message, isFatal: true });
      }
      return events;
    }
  }
}

/**
 * A tool call, plus `file.edit` for the file-writing tools. gemini's `tool_result` does not repeat
 * the path and parsers see one line at a time, so the edit is reported at the call (intent, not
 * outcome) and always as `update`: the event does not say whether `write_file` created the file.
 */
function toolUseToAgentEvents(event: GeminiToolUseEvent): AgentEvent[] {
  const events: AgentEvent[] = [
    {
      type: "tool.use",
      tool: event.tool_name,
      summary: summarizeToolInput(event.parameters),
      ...withId(event.tool_id),
    },
  ];
  if (FILE_EDIT_TOOLS.has(event.tool_name) && event.parameters !== undefined) {
    for (const path of getEditedPaths(event.parameters)) {
      events.push({ type: "file.edit", path, kind: "update" });
    }
  }
  return events;
}

/** `file_path`, or each `files[].file_path` of write_file's bulk form. */
function getEditedPaths(parameters: JsonRecord): string[] {
  const single = getString(parameters, "file_path");
  if (single !== undefined) return [single];
  const files = getArray(parameters, "files") ?? [];
  return files.flatMap((file) => {
    const path = isRecord(file) ? getString(file, "file_path") : undefined;
    return path === undefined ? [] : [path];
  });
}

function sumDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}
