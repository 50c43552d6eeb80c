/**
 * Turns Claude Code stream-json lines into AgentEvents: decode the line into a `ClaudeEvent`
 * (field by field, no casts), then map it. Unknown or malformed lines become `unknown`.
 */
import type { AgentEvent, LineParser } from "../agent-event.js";
import {
  MAX_TOOL_OUTPUT_CHARS,
  createUsage,
  decodeArray,
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
} from "../parse-helpers.js";
import type { JsonRecord } from "../parse-helpers.js";
import type {
  ClaudeApiRetryEvent,
  ClaudeAssistantBlock,
  ClaudeEvent,
  ClaudeResultEvent,
  ClaudeSystemEvent,
  ClaudeTextBlock,
  ClaudeToolResultBlock,
  ClaudeToolUseResult,
  ClaudeUsage,
  ClaudeUserBlock,
  ClaudeUserEvent,
} from "./events.js";

/** Parses one Claude Code stream-json line. */
export const parseClaudeLine: LineParser = (line) =>
  parseVendorLine(line, parseClaudeEvent, toAgentEvents);

/** Validates one parsed JSON value as a Claude Code event; undefined when it is not one. */
export function parseClaudeEvent(value: unknown): ClaudeEvent | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case "system":
      return parseSystemEvent(value);
    case "assistant": {
      const message = getRecord(value, "message");
      const content = message && getArray(message, "content");
      if (!message || !content) return undefined;
      return {
        type: "assistant",
        message: {
          id: getString(message, "id"),
          model: getString(message, "model"),
          content: decodeArray(content, parseAssistantBlock),
          usage: parseUsage(getRecord(message, "usage")),
        },
        parent_tool_use_id: getString(value, "parent_tool_use_id"),
        session_id: getString(value, "session_id"),
      };
    }
    case "user": {
      const message = getRecord(value, "message");
      if (!message) return undefined;
      const text = getString(message, "content");
      const blocks = getArray(message, "content");
      if (text === undefined && blocks === undefined) return undefined;
      return {
        type: "user",
        message: { content: text ?? decodeArray(blocks ?? [], parseUserBlock) },
        tool_use_result: parseToolUseResult(value.tool_use_result),
        parent_tool_use_id: getString(value, "parent_tool_use_id"),
        session_id: getString(value, "session_id"),
      };
    }
    case "result": {
      const subtype = getString(value, "subtype");
      if (subtype === undefined) return undefined;
      return {
        type: "result",
        subtype,
        is_error: getBoolean(value, "is_error"),
        result: getString(value, "result"),
        session_id: getString(value, "session_id"),
        total_cost_usd: getNumber(value, "total_cost_usd"),
        usage: parseUsage(getRecord(value, "usage")),
        num_turns: getNumber(value, "num_turns"),
        duration_ms: getNumber(value, "duration_ms"),
        api_error_status: getNumber(value, "api_error_status"),
        errors: getArray(value, "errors")?.filter((item) => typeof item === "string"),
        terminal_reason: getString(value, "terminal_reason"),
      };
    }
    case "stream_event":
      return { type: "stream_event" };
    default:
      return undefined;
  }
}

function parseSystemEvent(value: JsonRecord): ClaudeEvent | undefined {
  switch (value.subtype) {
    case "init": {
      const sessionId = getString(value, "session_id");
      if (sessionId === undefined) return undefined;
      return {
        type: "system",
        subtype: "init",
        session_id: sessionId,
        model: getString(value, "model"),
        cwd: getString(value, "cwd"),
        tools: getArray(value, "tools")?.filter((tool) => typeof tool === "string"),
        permissionMode: getString(value, "permissionMode"),
        claude_code_version: getString(value, "claude_code_version"),
      };
    }
    case "api_retry":
      return {
        type: "system",
        subtype: "api_retry",
        attempt: getNumber(value, "attempt"),
        max_retries: getNumber(value, "max_retries"),
        retry_delay_ms: getNumber(value, "retry_delay_ms"),
        error_status: getNumber(value, "error_status"),
        error: getErrorText(value.error),
      };
    case "status":
    case "compact_boundary":
      return { type: "system", subtype: value.subtype };
    default:
      return undefined;
  }
}

function parseAssistantBlock(value: unknown): ClaudeAssistantBlock | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case "text":
      return parseTextBlock(value);
    case "tool_use": {
      const id = getString(value, "id");
      const name = getString(value, "name");
      if (id === undefined || name === undefined) return undefined;
      return { type: "tool_use", id, name, input: value.input };
    }
    case "thinking":
      return { type: "thinking", thinking: getString(value, "thinking") };
    default:
      return undefined;
  }
}

function parseUserBlock(value: unknown): ClaudeUserBlock | undefined {
  if (!isRecord(value)) return undefined;
  if (value.type === "text") return parseTextBlock(value);
  if (value.type !== "tool_result") return undefined;
  const toolUseId = getString(value, "tool_use_id");
  if (toolUseId === undefined) return undefined;
  const contentText = getString(value, "content");
  const contentBlocks = getArray(value, "content");
  return {
    type: "tool_result",
    tool_use_id: toolUseId,
    content: contentText ?? (contentBlocks && decodeArray(contentBlocks, parseTextBlock)),
    is_error: getBoolean(value, "is_error"),
  };
}

function parseTextBlock(value: unknown): ClaudeTextBlock | undefined {
  if (!isRecord(value) || value.type !== "text") return undefined;
  const text = getString(value, "text");
  return text === undefined ? undefined : { type: "text", text };
}

/** Keeps only the results of file-changing tools; everything else (Bash, Read, errors) is dropped. */
function parseToolUseResult(value: unknown): ClaudeToolUseResult | undefined {
  if (!isRecord(value)) return undefined;
  const filePath = getString(value, "filePath");
  const writeType = getLiteral(value, "type", ["create", "update"] as const);
  if (filePath !== undefined && writeType !== undefined) return { type: writeType, filePath };
  // Edit and MultiEdit carry the patch; ExitPlanMode also has a `filePath` but no patch.
  const patch = getArray(value, "structuredPatch");
  if (filePath !== undefined && patch !== undefined) return { filePath, structuredPatch: patch };
  const notebookPath = getString(value, "notebook_path");
  if (notebookPath !== undefined && "new_source" in value) {
    return { notebook_path: notebookPath, edit_mode: getString(value, "edit_mode") };
  }
  return undefined;
}

function parseUsage(value: JsonRecord | undefined): ClaudeUsage | undefined {
  if (!value) return undefined;
  return {
    input_tokens: getNumber(value, "input_tokens"),
    output_tokens: getNumber(value, "output_tokens"),
    cache_creation_input_tokens: getNumber(value, "cache_creation_input_tokens"),
    cache_read_input_tokens: getNumber(value, "cache_read_input_tokens"),
  };
}

function getErrorText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (!isRecord(value)) return undefined;
  return getString(value, "message") ?? getString(value, "type") ?? JSON.stringify(value);
}

function toAgentEvents(event: ClaudeEvent): AgentEvent[] {
  switch (event.type) {
    case "system":
      return systemToAgentEvents(event);
    case "assistant":
      return event.message.content.flatMap((block): AgentEvent[] => {
        if (block.type === "text") return [{ type: "text", text: block.text }];
        if (block.type === "tool_use") {
          return [
            {
              type: "tool.use",
              tool: block.name,
              summary: summarizeToolInput(block.input),
              id: block.id,
            },
          ];
        }
        return [];
      });
    case "user":
      return userToAgentEvents(event);
    case "result":
      return resultToAgentEvents(event);
    case "stream_event":
      return [];
  }
}

function systemToAgentEvents(event: ClaudeSystemEvent): AgentEvent[] {
  switch (event.subtype) {
    case "init":
      return [
        {
          type: "session",
          sessionId: event.session_id,
          ...(event.model === undefined ? {} : { model: event.model }),
        },
      ];
    case "api_retry":
      return [{ type: "error", message: formatRetryMessage(event), isFatal: false }];
    case "status":
    case "compact_boundary":
      return [];
  }
}

function userToAgentEvents(event: ClaudeUserEvent): AgentEvent[] {
  if (typeof event.message.content === "string") return [];
  const events: AgentEvent[] = [];
  let hasFailedTool = false;
  for (const block of event.message.content) {
    if (block.type !== "tool_result") continue;
    const isError = block.is_error ?? false;
    hasFailedTool ||= isError;
    const output = getToolResultText(block);
    events.push({
      type: "tool.result",
      id: block.tool_use_id,
      isError,
      ...(output === undefined ? {} : { output: truncateText(output, MAX_TOOL_OUTPUT_CHARS) }),
    });
  }
  // The structured result only exists once the tool really ran, so it is the reliable edit signal.
  const edit = event.tool_use_result;
  if (edit !== undefined && !hasFailedTool) {
    if ("notebook_path" in edit)
      events.push({ type: "file.edit", path: edit.notebook_path, kind: "update" });
    else if ("type" in edit)
      events.push({
        type: "file.edit",
        path: edit.filePath,
        kind: edit.type === "create" ? "add" : "update",
      });
    else events.push({ type: "file.edit", path: edit.filePath, kind: "update" });
  }
  return events;
}

function resultToAgentEvents(event: ClaudeResultEvent): AgentEvent[] {
  const events: AgentEvent[] = [];
  if (event.usage !== undefined || event.total_cost_usd !== undefined) {
    const usage = event.usage ?? {};
    const cacheRead = usage.cache_read_input_tokens ?? 0;
    events.push({
      type: "usage",
      usage: createUsage(
        (usage.input_tokens ?? 0) + cacheRead + (usage.cache_creation_input_tokens ?? 0),
        cacheRead,
        usage.output_tokens,
      ),
      ...(event.total_cost_usd === undefined ? {} : { costUsd: event.total_cost_usd }),
      isCumulative: true,
    });
  }
  const isError = event.is_error ?? event.subtype !== "success";
  const text =
    event.result ?? (event.errors && event.errors.length > 0 ? event.errors.join("\n") : undefined);
  events.push({
    type: "final",
    text: text ?? (isError ? `Claude Code run ended with ${event.subtype}` : ""),
    isError,
  });
  return events;
}

function getToolResultText(block: ClaudeToolResultBlock): string | undefined {
  if (block.content === undefined) return undefined;
  if (typeof block.content === "string") return block.content;
  return block.content.map((part) => part.text).join("\n");
}

function formatRetryMessage(event: ClaudeApiRetryEvent): string {
  const status = event.error_status === undefined ? "" : ` ${event.error_status}`;
  const detail = event.error === undefined ? "" : `: ${event.error}`;
  const attempt =
    event.attempt === undefined
      ? ""
      : ` (attempt ${event.attempt}${event.max_retries === undefined ? "" : `/${event.max_retries}`})`;
  return `Claude API error${status}${detail}; retrying${attempt}`;
}
