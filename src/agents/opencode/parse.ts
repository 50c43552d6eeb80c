/**
 * Turns opencode `run --format json` lines into AgentEvents (best effort from the documented
 * fields). opencode prints a tool only once it has finished, so one line gives both use and result.
 */
import type { AgentEvent, LineParser } from "../agent-event.js";
import {
  MAX_TOOL_OUTPUT_CHARS,
  createUsage,
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
  OpencodeEvent,
  OpencodeEventBase,
  OpencodeStepFinishEvent,
  OpencodeTokens,
  OpencodeToolState,
  OpencodeToolUseEvent,
} from "./events.js";

const TOOL_STATUSES = ["pending", "running", "completed", "error"] as const;

/** Parses one opencode `run --format json` line. */
export const parseOpencodeLine: LineParser = (line) =>
  parseVendorLine(line, parseOpencodeEvent, toAgentEvents);

/** Validates one parsed JSON value as an opencode run event; undefined when it is not one. */
export function parseOpencodeEvent(value: unknown): OpencodeEvent | undefined {
  if (!isRecord(value)) return undefined;
  const base: OpencodeEventBase = {
    timestamp: getNumber(value, "timestamp"),
    sessionID: getString(value, "sessionID"),
  };
  const part = getRecord(value, "part");
  switch (value.type) {
    case "step_start":
      if (!part) return undefined;
      return {
        ...base,
        type: "step_start",
        part: { sessionID: getString(part, "sessionID"), messageID: getString(part, "messageID") },
      };
    case "text": {
      const text = part && getString(part, "text");
      return text === undefined ? undefined : { ...base, type: "text", part: { text } };
    }
    case "reasoning":
      return { ...base, type: "reasoning" };
    case "tool_use": {
      const tool = part && getString(part, "tool");
      const state = part && parseToolState(getRecord(part, "state"));
      if (!part || tool === undefined || !state) return undefined;
      return {
        ...base,
        type: "tool_use",
        part: { tool, callID: getString(part, "callID"), state },
      };
    }
    case "step_finish": {
      if (!part) return undefined;
      const tokens = getRecord(part, "tokens");
      return {
        ...base,
        type: "step_finish",
        part: {
          reason: getString(part, "reason"),
          cost: getNumber(part, "cost"),
          tokens: tokens && parseTokens(tokens),
        },
      };
    }
    case "error": {
      const error = getRecord(value, "error");
      if (!error) return undefined;
      const data = getRecord(error, "data");
      return {
        ...base,
        type: "error",
        error: {
          name: getString(error, "name"),
          data: data && {
            message: getString(data, "message"),
            statusCode: getNumber(data, "statusCode"),
          },
        },
      };
    }
    case "done":
      return { ...base, type: "done", reason: getString(value, "reason") };
    default:
      return undefined;
  }
}

function parseToolState(value: JsonRecord | undefined): OpencodeToolState | undefined {
  const status = value && getLiteral(value, "status", TOOL_STATUSES);
  if (!value || status === undefined) return undefined;
  return {
    status,
    input: getRecord(value, "input"),
    output: getString(value, "output"),
    error: getString(value, "error"),
    title: getString(value, "title"),
    metadata: getRecord(value, "metadata"),
  };
}

function parseTokens(value: JsonRecord): OpencodeTokens {
  const cache = getRecord(value, "cache");
  return {
    input: getNumber(value, "input"),
    output: getNumber(value, "output"),
    reasoning: getNumber(value, "reasoning"),
    cache: cache && { read: getNumber(cache, "read"), write: getNumber(cache, "write") },
  };
}

function toAgentEvents(event: OpencodeEvent): AgentEvent[] {
  switch (event.type) {
    case "step_start": {
      const sessionId = event.part.sessionID ?? event.sessionID;
      return sessionId === undefined ? [] : [{ type: "session", sessionId }];
    }
    case "text":
      return event.part.text === "" ? [] : [{ type: "text", text: event.part.text }];
    case "tool_use":
      return toolUseToAgentEvents(event);
    case "step_finish":
      return [stepUsage(event)];
    case "error": {
      const message = event.error.data?.message ?? event.error.name ?? "opencode session error";
      return [{ type: "error", message, isFatal: true }];
    }
    case "reasoning":
    case "done":
      return [];
  }
}

function toolUseToAgentEvents(event: OpencodeToolUseEvent): AgentEvent[] {
  const { tool, callID, state } = event.part;
  const isError = state.status === "error";
  const output = isError ? state.error : state.output;
  const events: AgentEvent[] = [
    { type: "tool.use", tool, summary: summarizeToolInput(state.input), ...withId(callID) },
    {
      type: "tool.result",
      isError,
      ...withId(callID),
      ...(output === undefined ? {} : { output: truncateText(output, MAX_TOOL_OUTPUT_CHARS) }),
    },
  ];
  const path = state.input && getString(state.input, "filePath");
  if (state.status === "completed" && path !== undefined && (tool === "write" || tool === "edit")) {
    // `write` records whether the file existed before; anything else is an in-place change.
    const existed = state.metadata && getBoolean(state.metadata, "exists");
    events.push({
      type: "file.edit",
      path,
      kind: tool === "write" && existed === false ? "add" : "update",
    });
  }
  return events;
}

/** opencode splits cache and reasoning out of input and output; AgentEvent counts them in. */
function stepUsage(event: OpencodeStepFinishEvent): AgentEvent {
  const tokens = event.part.tokens ?? {};
  const cacheRead = tokens.cache?.read ?? 0;
  const cacheWrite = tokens.cache?.write ?? 0;
  return {
    type: "usage",
    usage: createUsage(
      (tokens.input ?? 0) + cacheRead + cacheWrite,
      cacheRead,
      (tokens.output ?? 0) + (tokens.reasoning ?? 0),
    ),
    ...(event.part.cost === undefined ? {} : { costUsd: event.part.cost }),
    isCumulative: false,
  };
}
