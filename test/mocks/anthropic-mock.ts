/**
 * A scripted mock of the Anthropic Messages API (`POST /v1/messages`, streamed SSE) for driving the
 * real Claude Code and pi CLIs on 127.0.0.1. Prompt, cwd and turn index are read from the request
 * body.
 */
import type { ServerResponse } from "node:http";
import {
  DEFAULT_USAGE,
  SIDE_CALL_TEXT,
  getMockPlan,
  stripContextBlocks,
  type MockErrorTurn,
  type MockReplyTurn,
  type MockScript,
  type MockServer,
} from "./mock-script.js";
import {
  asArray,
  asRecord,
  asString,
  createId,
  sendJson,
  sendSse,
  startMockHttpServer,
  type MockHandler,
  type SseEvent,
} from "./mock-http.js";

/** Wrappers Claude Code puts around injected context in user messages. */
const CONTEXT_TAGS = ["system-reminder"] as const;
/** Claude says "Primary working directory: …", pi "Current working directory: …". */
const CWD_PATTERN = /(?:Primary|Current) working directory: ([^\n]+)/;
/** pi sends an `@file` argument as `<file name="…">content</file>`; bosun passes pi's prompt so. */
const FILE_WRAPPER = /^<file name="[^"]*">\n([\s\S]*)\n<\/file>$/;

/** Starts the mock; point `ANTHROPIC_BASE_URL` at its `url`. */
export function startAnthropicMock(script: MockScript): Promise<MockServer> {
  const handler: MockHandler = (request, res) => {
    if (request.method === "HEAD" && request.pathname === "/") {
      res.writeHead(200).end();
      return { kind: "probe" };
    }
    if (request.method !== "POST" || request.pathname !== "/v1/messages") {
      const message = `mock: no route for ${request.method} ${request.url}`;
      sendJson(res, 404, createErrorBody(404, message));
      return { kind: "unknown" };
    }
    const body = asRecord(request.body);
    if (body === undefined) {
      sendJson(res, 400, createErrorBody(400, "mock: the request body is not a JSON object"));
      return { kind: "unknown" };
    }
    const model = asString(body["model"]) ?? "claude-mock";
    const isStream = body["stream"] === true;
    if (isSideCall(body)) {
      sendReply(res, { text: SIDE_CALL_TEXT }, model, isStream);
      return { kind: "side" };
    }
    const messages = asArray(body["messages"]);
    const { prompt, promptAt } = findPrompt(messages);
    const cwd = getCwd(body["system"], messages);
    const isAssistant = (m: unknown): boolean => asRecord(m)?.["role"] === "assistant";
    const turnIndex = messages.filter(isAssistant).length;
    const promptTurnIndex = messages.slice(promptAt + 1).filter(isAssistant).length;
    const plan = getMockPlan(script, { prompt, cwd, turnIndex, promptTurnIndex });
    const found = { prompt, promptTurnIndex, ...(cwd === undefined ? {} : { cwd }) };
    switch (plan.kind) {
      case "unmatched":
        sendJson(res, 400, createErrorBody(400, plan.message));
        return { kind: "unmatched", ...found, turnIndex, unmatchedPrompt: prompt };
      case "error":
        sendError(res, plan.turn);
        return { kind: "error", ...found, conversation: plan.conversation, turnIndex };
      case "reply":
        sendReply(res, plan.turn, model, isStream);
        return { kind: "turn", ...found, conversation: plan.conversation, turnIndex };
    }
  };
  return startMockHttpServer(handler);
}

/** Title and other JSON-schema calls carry no tools; they must not consume a scripted turn. */
function isSideCall(body: Record<string, unknown>): boolean {
  const format = asRecord(asRecord(body["output_config"])?.["format"]);
  return asArray(body["tools"]).length === 0 || format?.["type"] === "json_schema";
}

/**
 * The text of the latest user message that has any once context wrappers are removed, and that
 * message's index (-1 when there is none).
 */
function findPrompt(messages: unknown[]): { prompt: string; promptAt: number } {
  for (let at = messages.length - 1; at >= 0; at -= 1) {
    const record = asRecord(messages[at]);
    if (record?.["role"] !== "user") continue;
    const text = stripContextBlocks(getTexts(record["content"]).join("\n"), CONTEXT_TAGS);
    if (text.length > 0)
      return { prompt: FILE_WRAPPER.exec(text)?.[1]?.trim() ?? text, promptAt: at };
  }
  return { prompt: "", promptAt: -1 };
}

/** Claude 2.1.197 states the cwd in `system`; newer versions in a `role: "system"` message. */
function getCwd(system: unknown, messages: unknown[]): string | undefined {
  const systemMessages = messages
    .map(asRecord)
    .filter((m) => m?.["role"] === "system")
    .map((m) => m?.["content"]);
  for (const content of [system, ...systemMessages]) {
    for (const text of getTexts(content)) {
      const cwd = CWD_PATTERN.exec(text)?.[1]?.trim();
      if (cwd !== undefined) return cwd;
    }
  }
  return undefined;
}

/** Texts of a content field that is either a string or an array of blocks. */
function getTexts(content: unknown): string[] {
  if (typeof content === "string") return [content];
  return asArray(content)
    .map(asRecord)
    .filter((block) => block?.["type"] === "text")
    .map((block) => asString(block?.["text"]) ?? "");
}

function sendError(res: ServerResponse, turn: MockErrorTurn): void {
  sendJson(res, turn.httpStatus, createErrorBody(turn.httpStatus, turn.message), turn.headers);
}

function createErrorBody(status: number, message: string): unknown {
  const type =
    status >= 500
      ? "api_error"
      : status === 404
        ? "not_found_error"
        : status === 429
          ? "rate_limit_error"
          : "invalid_request_error";
  return { type: "error", error: { type, message } };
}

type ContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> | string };

function sendReply(
  res: ServerResponse,
  turn: MockReplyTurn,
  model: string,
  isStream: boolean,
): void {
  const blocks: ContentBlock[] = [];
  if (turn.text !== undefined) blocks.push({ type: "text", text: turn.text });
  for (const call of turn.toolCalls ?? []) {
    blocks.push({ type: "tool_use", id: createId("toolu"), name: call.name, input: call.input });
  }
  const usage = turn.usage ?? DEFAULT_USAGE;
  const stopReason = (turn.toolCalls?.length ?? 0) > 0 ? "tool_use" : "end_turn";
  const message = {
    id: createId("msg"),
    type: "message",
    role: "assistant",
    model,
    stop_sequence: null,
  };
  if (!isStream) {
    const content = blocks.map((b) =>
      b.type === "tool_use" && typeof b.input === "string"
        ? { ...b, input: parseInput(b.input) }
        : b,
    );
    sendJson(res, 200, {
      ...message,
      content,
      stop_reason: stopReason,
      usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
    });
    return;
  }
  const events: SseEvent[] = [
    {
      type: "message_start",
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { input_tokens: usage.inputTokens, output_tokens: 1 },
      },
    },
  ];
  blocks.forEach((block, index) => events.push(...createBlockEvents(block, index)));
  events.push(
    {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    },
    { type: "message_stop" },
  );
  sendSse(res, events);
}

function createBlockEvents(block: ContentBlock, index: number): SseEvent[] {
  if (block.type === "text") {
    return [
      { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } },
      { type: "content_block_stop", index },
    ];
  }
  const json = typeof block.input === "string" ? block.input : JSON.stringify(block.input);
  return [
    {
      type: "content_block_start",
      index,
      content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
    },
    { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json } },
    { type: "content_block_stop", index },
  ];
}

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A script may send malformed input on purpose; pass it through as the raw string.
    return text;
  }
}
