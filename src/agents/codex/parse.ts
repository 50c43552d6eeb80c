/**
 * Turns Codex `exec --json` lines into AgentEvents. Codex has no final marker: the dispatcher takes
 * the last `text` (agent_message) of the run as the final answer, so this parser never emits `final`.
 */
import type { AgentEvent, LineParser } from "../agent-event.js";
import {
  MAX_TOOL_OUTPUT_CHARS,
  createUsage,
  decodeArray,
  getArray,
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
import type {
  CodexCommandExecutionItem,
  CodexEvent,
  CodexFileUpdateChange,
  CodexThreadItem,
  CodexUsage,
} from "./events.js";

/** Tool name bosun reports for codex's command executions (`exec_command` upstream). */
const SHELL_TOOL = "shell";
/** Tool name bosun reports for codex's file changes. */
const PATCH_TOOL = "apply_patch";

const ITEM_EVENT_TYPES = ["item.started", "item.updated", "item.completed"] as const;

/** Parses one Codex `exec --json` line. */
export const parseCodexLine: LineParser = (line) =>
  parseVendorLine(line, parseCodexEvent, toAgentEvents);

/** Validates one parsed JSON value as a Codex thread event; undefined when it is not one. */
export function parseCodexEvent(value: unknown): CodexEvent | undefined {
  if (!isRecord(value)) return undefined;
  const itemEventType = getLiteral(value, "type", ITEM_EVENT_TYPES);
  if (itemEventType !== undefined) {
    const item = parseThreadItem(value.item);
    return item && { type: itemEventType, item };
  }
  switch (value.type) {
    case "thread.started": {
      const threadId = getString(value, "thread_id");
      return threadId === undefined ? undefined : { type: "thread.started", thread_id: threadId };
    }
    case "turn.started":
      return { type: "turn.started" };
    case "turn.completed": {
      const usage = getRecord(value, "usage");
      return { type: "turn.completed", usage: usage && parseUsage(usage) };
    }
    case "turn.failed": {
      const error = getRecord(value, "error");
      return { type: "turn.failed", error: error && { message: getString(error, "message") } };
    }
    case "error": {
      const message = getString(value, "message");
      return message === undefined ? undefined : { type: "error", message };
    }
    default:
      return undefined;
  }
}

function parseThreadItem(value: unknown): CodexThreadItem | undefined {
  if (!isRecord(value)) return undefined;
  const id = getString(value, "id");
  switch (value.type) {
    case "agent_message": {
      const text = getString(value, "text");
      return text === undefined ? undefined : { id, type: "agent_message", text };
    }
    case "reasoning":
      return { id, type: "reasoning", text: getString(value, "text") };
    case "command_execution": {
      const command = getString(value, "command");
      const status = getLiteral(value, "status", [
        "in_progress",
        "completed",
        "failed",
        "declined",
      ] as const);
      if (command === undefined || status === undefined) return undefined;
      return {
        id,
        type: "command_execution",
        command,
        aggregated_output: getString(value, "aggregated_output"),
        exit_code: getNumber(value, "exit_code"),
        status,
      };
    }
    case "file_change": {
      const changes = getArray(value, "changes");
      if (changes === undefined) return undefined;
      return {
        id,
        type: "file_change",
        changes: decodeArray(changes, parseFileChange),
        status: getLiteral(value, "status", ["in_progress", "completed", "failed"] as const),
      };
    }
    case "mcp_tool_call": {
      const tool = getString(value, "tool");
      if (tool === undefined) return undefined;
      const error = getRecord(value, "error");
      return {
        id,
        type: "mcp_tool_call",
        server: getString(value, "server"),
        tool,
        arguments: value.arguments,
        status: getLiteral(value, "status", ["in_progress", "completed", "failed"] as const),
        error: error && { message: getString(error, "message") },
      };
    }
    case "web_search":
      return { id, type: "web_search", query: getString(value, "query") };
    case "todo_list":
      return { id, type: "todo_list" };
    case "error": {
      const message = getString(value, "message");
      return message === undefined ? undefined : { id, type: "error", message };
    }
    default:
      return undefined;
  }
}

function parseFileChange(value: unknown): CodexFileUpdateChange | undefined {
  if (!isRecord(value)) return undefined;
  const path = getString(value, "path");
  const kind = getLiteral(value, "kind", ["add", "update", "delete"] as const);
  return path === undefined || kind === undefined ? undefined : { path, kind };
}

function parseUsage(value: JsonRecord): CodexUsage {
  return {
    input_tokens: getNumber(value, "input_tokens"),
    cached_input_tokens: getNumber(value, "cached_input_tokens"),
    cache_write_input_tokens: getNumber(value, "cache_write_input_tokens"),
    output_tokens: getNumber(value, "output_tokens"),
    reasoning_output_tokens: getNumber(value, "reasoning_output_tokens"),
  };
}

function toAgentEvents(event: CodexEvent): AgentEvent[] {
  switch (event.type) {
    case "thread.started":
      return [{ type: "session", sessionId: event.thread_id }];
    case "turn.started":
      return [];
    case "turn.completed": {
      const usage = event.usage ?? {};
      return [
        {
          type: "usage",
          usage: createUsage(usage.input_tokens, usage.cached_input_tokens, usage.output_tokens),
          isCumulative: false,
        },
      ];
    }
    case "turn.failed": {
      const message = event.error?.message;
      return [
        {
          type: "error",
          message: message === undefined ? "Codex turn failed" : getApiErrorText(message),
          isFatal: true,
        },
      ];
    }
    case "error":
      return [{ type: "error", message: getApiErrorText(event.message), isFatal: false }];
    case "item.started":
      return startedItemToAgentEvents(event.item);
    case "item.updated":
      return [];
    case "item.completed":
      return completedItemToAgentEvents(event.item);
  }
}

/**
 * Codex passes an API error body through as the message (`{"error":{"message":…,"type":…}}`);
 * the text inside is what a person needs. Any other message is kept as it is.
 */
function getApiErrorText(message: string): string {
  if (!message.trimStart().startsWith("{")) return message;
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    // Not JSON after all: the raw message is the best there is.
    return message;
  }
  const error = isRecord(body) ? getRecord(body, "error") : undefined;
  const text = error && getString(error, "message");
  if (error === undefined || text === undefined) return message;
  const kind = getString(error, "type");
  return kind === undefined ? text : `${text} (${kind})`;
}

function startedItemToAgentEvents(item: CodexThreadItem): AgentEvent[] {
  switch (item.type) {
    case "command_execution":
      return [{ type: "tool.use", tool: SHELL_TOOL, summary: item.command, ...withId(item.id) }];
    case "file_change":
      return [
        {
          type: "tool.use",
          tool: PATCH_TOOL,
          summary: item.changes.map((change) => change.path).join(", "),
          ...withId(item.id),
        },
      ];
    case "mcp_tool_call":
      return [
        {
          type: "tool.use",
          tool: item.server === undefined ? item.tool : `${item.server}.${item.tool}`,
          summary: summarizeToolInput(item.arguments),
          ...withId(item.id),
        },
      ];
    case "web_search":
      return [
        { type: "tool.use", tool: "web_search", summary: item.query ?? "", ...withId(item.id) },
      ];
    case "agent_message":
    case "reasoning":
    case "todo_list":
    case "error":
      return [];
  }
}

function completedItemToAgentEvents(item: CodexThreadItem): AgentEvent[] {
  switch (item.type) {
    case "agent_message":
      return [{ type: "text", text: item.text }];
    case "command_execution":
      return [commandResult(item)];
    case "file_change": {
      const isError = item.status === "failed";
      const result: AgentEvent = { type: "tool.result", isError, ...withId(item.id) };
      if (isError) return [result];
      return [
        result,
        ...item.changes.map((change): AgentEvent => ({ type: "file.edit", ...change })),
      ];
    }
    case "mcp_tool_call": {
      const message = item.error?.message;
      return [
        {
          type: "tool.result",
          isError: item.status === "failed" || item.error !== undefined,
          ...withId(item.id),
          ...(message === undefined ? {} : { output: message }),
        },
      ];
    }
    case "web_search":
      return [{ type: "tool.result", isError: false, ...withId(item.id) }];
    case "error":
      return [{ type: "error", message: item.message, isFatal: false }];
    case "reasoning":
    case "todo_list":
      return [];
  }
}

function commandResult(item: CodexCommandExecutionItem): AgentEvent {
  const hasFailedExit = item.exit_code !== undefined && item.exit_code !== 0;
  const output = item.aggregated_output;
  return {
    type: "tool.result",
    isError: item.status === "failed" || item.status === "declined" || hasFailedExit,
    ...withId(item.id),
    ...(output === undefined ? {} : { output: truncateText(output, MAX_TOOL_OUTPUT_CHARS) }),
  };
}
