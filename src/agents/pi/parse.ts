/**
 * Turns pi `--mode json` lines into AgentEvents (best effort from the documented fields). pi exits
 * 0 on API errors in this mode, so an assistant message with `stopReason: "error"` is the failure signal.
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
  withId,
} from "../parse-helpers.js";
import type { JsonRecord } from "../parse-helpers.js";
import type {
  PiAgentEndEvent,
  PiAssistantContent,
  PiAssistantMessage,
  PiEvent,
  PiLifecycleEvent,
  PiMessage,
  PiTextContent,
  PiToolExecutionStartEvent,
  PiUsage,
} from "./events.js";

const LIFECYCLE_TYPES: readonly PiLifecycleEvent["type"][] = [
  "agent_start",
  "turn_start",
  "turn_end",
  "message_start",
  "message_update",
  "tool_execution_update",
  "compaction_start",
  "compaction_end",
  "auto_retry_end",
];

const STOP_REASONS = ["stop", "length", "toolUse", "error", "aborted"] as const;

/** pi's file-writing tools; their `path` argument names the file. */
const FILE_EDIT_TOOLS: ReadonlySet<string> = new Set(["write", "edit"]);

/** Parses one pi `--mode json` line. */
export const parsePiLine: LineParser = (line) => parseVendorLine(line, parsePiEvent, toAgentEvents);

/** Validates one parsed JSON value as a pi JSON-mode event; undefined when it is not one. */
export function parsePiEvent(value: unknown): PiEvent | undefined {
  if (!isRecord(value)) return undefined;
  const lifecycleType = getLiteral(value, "type", LIFECYCLE_TYPES);
  if (lifecycleType !== undefined) return { type: lifecycleType };
  switch (value.type) {
    case "session": {
      const id = getString(value, "id");
      if (id === undefined) return undefined;
      return {
        type: "session",
        id,
        version: getNumber(value, "version"),
        cwd: getString(value, "cwd"),
      };
    }
    case "message_end": {
      const message = parseMessage(value.message);
      return message && { type: "message_end", message };
    }
    case "tool_execution_start": {
      const toolName = getString(value, "toolName");
      if (toolName === undefined) return undefined;
      return {
        type: "tool_execution_start",
        toolCallId: getString(value, "toolCallId"),
        toolName,
        args: value.args,
      };
    }
    case "tool_execution_end": {
      const isError = getBoolean(value, "isError");
      if (isError === undefined) return undefined;
      const result = getRecord(value, "result");
      const content = result && getArray(result, "content");
      return {
        type: "tool_execution_end",
        toolCallId: getString(value, "toolCallId"),
        toolName: getString(value, "toolName"),
        result: result && { content: content && decodeArray(content, parseTextContent) },
        isError,
      };
    }
    case "agent_end": {
      const messages = getArray(value, "messages");
      if (messages === undefined) return undefined;
      return {
        type: "agent_end",
        messages: decodeArray(messages, parseMessage),
        willRetry: getBoolean(value, "willRetry"),
      };
    }
    case "auto_retry_start":
      return {
        type: "auto_retry_start",
        attempt: getNumber(value, "attempt"),
        maxAttempts: getNumber(value, "maxAttempts"),
        delayMs: getNumber(value, "delayMs"),
        errorMessage: getString(value, "errorMessage"),
      };
    default:
      return undefined;
  }
}

function parseMessage(value: unknown): PiMessage | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.role) {
    case "assistant": {
      const content = getArray(value, "content");
      if (content === undefined) return undefined;
      const usage = getRecord(value, "usage");
      return {
        role: "assistant",
        content: decodeArray(content, parseAssistantContent),
        model: getString(value, "model"),
        provider: getString(value, "provider"),
        usage: usage && parseUsage(usage),
        stopReason: getLiteral(value, "stopReason", STOP_REASONS),
        errorMessage: getString(value, "errorMessage"),
      };
    }
    case "user":
      return { role: "user" };
    case "toolResult":
      return {
        role: "toolResult",
        toolCallId: getString(value, "toolCallId"),
        isError: getBoolean(value, "isError"),
      };
    default:
      return undefined;
  }
}

function parseAssistantContent(value: unknown): PiAssistantContent | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case "text":
      return parseTextContent(value);
    case "toolCall":
      return { type: "toolCall", id: getString(value, "id"), name: getString(value, "name") };
    case "thinking":
      return { type: "thinking" };
    default:
      return undefined;
  }
}

function parseTextContent(value: unknown): PiTextContent | undefined {
  if (!isRecord(value) || value.type !== "text") return undefined;
  const text = getString(value, "text");
  return text === undefined ? undefined : { type: "text", text };
}

function parseUsage(value: JsonRecord): PiUsage {
  const cost = getRecord(value, "cost");
  return {
    input: getNumber(value, "input"),
    output: getNumber(value, "output"),
    cacheRead: getNumber(value, "cacheRead"),
    cacheWrite: getNumber(value, "cacheWrite"),
    totalTokens: getNumber(value, "totalTokens"),
    cost: cost && { total: getNumber(cost, "total") },
  };
}

function toAgentEvents(event: PiEvent): AgentEvent[] {
  switch (event.type) {
    case "session":
      return [{ type: "session", sessionId: event.id }];
    case "message_end":
      return event.message.role === "assistant" ? assistantToAgentEvents(event.message) : [];
    case "tool_execution_start":
      return toolStartToAgentEvents(event);
    case "tool_execution_end": {
      const output = event.result?.content?.map((part) => part.text).join("\n");
      return [
        {
          type: "tool.result",
          isError: event.isError,
          ...withId(event.toolCallId),
          ...(output === undefined ? {} : { output: truncateText(output, MAX_TOOL_OUTPUT_CHARS) }),
        },
      ];
    }
    case "agent_end":
      return agentEndToAgentEvents(event);
    case "auto_retry_start": {
      const attempt =
        event.attempt === undefined
          ? ""
          : ` (attempt ${event.attempt}${event.maxAttempts === undefined ? "" : `/${event.maxAttempts}`})`;
      const detail = event.errorMessage === undefined ? "" : `: ${event.errorMessage}`;
      return [
        { type: "error", message: `pi API error${detail}; retrying${attempt}`, isFatal: false },
      ];
    }
    case "agent_start":
    case "turn_start":
    case "turn_end":
    case "message_start":
    case "message_update":
    case "tool_execution_update":
    case "compaction_start":
    case "compaction_end":
    case "auto_retry_end":
      return [];
  }
}

/**
 * Text, usage and, for a failed message, a fatal error. Parsers are stateless, so an error pi
 * later retries is still reported as fatal here; the `auto_retry_start` line right after it says so.
 */
function assistantToAgentEvents(message: PiAssistantMessage): AgentEvent[] {
  const events: AgentEvent[] = message.content.flatMap((block): AgentEvent[] =>
    block.type === "text" && block.text !== "" ? [{ type: "text", text: block.text }] : [],
  );
  if (message.usage !== undefined) {
    const usage = message.usage;
    const cacheRead = usage.cacheRead ?? 0;
    const costUsd = usage.cost?.total;
    events.push({
      type: "usage",
      usage: createUsage(
        (usage.input ?? 0) + cacheRead + (usage.cacheWrite ?? 0),
        cacheRead,
        usage.output,
      ),
      ...(costUsd === undefined ? {} : { costUsd }),
      isCumulative: false,
    });
  }
  if (isFailed(message)) {
    events.push({ type: "error", message: getFailureMessage(message), isFatal: true });
  }
  return events;
}

/** The call, plus `file.edit` for write/edit: the end event carries no path, so report the intent. */
function toolStartToAgentEvents(event: PiToolExecutionStartEvent): AgentEvent[] {
  const events: AgentEvent[] = [
    {
      type: "tool.use",
      tool: event.toolName,
      summary: summarizeToolInput(event.args),
      ...withId(event.toolCallId),
    },
  ];
  const path = isRecord(event.args) ? getString(event.args, "path") : undefined;
  if (FILE_EDIT_TOOLS.has(event.toolName) && path !== undefined) {
    events.push({ type: "file.edit", path, kind: "update" });
  }
  return events;
}

/** The run's answer is its last assistant message; a pending retry means this is not the end. */
function agentEndToAgentEvents(event: PiAgentEndEvent): AgentEvent[] {
  if (event.willRetry === true) return [];
  const last = event.messages.findLast((message) => message.role === "assistant");
  if (last === undefined || last.role !== "assistant") return [];
  const text = last.content
    .flatMap((block) => (block.type === "text" ? [block.text] : []))
    .join("\n");
  const isError = isFailed(last);
  return [
    { type: "final", text: isError && text === "" ? getFailureMessage(last) : text, isError },
  ];
}

function isFailed(message: PiAssistantMessage): boolean {
  return message.stopReason === "error" || message.stopReason === "aborted";
}

function getFailureMessage(message: PiAssistantMessage): string {
  return message.errorMessage ?? `pi run ended with stopReason ${message.stopReason ?? "unknown"}`;
}
