/**
 * A scripted mock of the OpenAI Responses API (`POST /v1/responses`, streamed SSE) for driving the
 * real Codex CLI on 127.0.0.1. String tool inputs become freeform `custom_tool_call`s (apply_patch).
 */
import type { ServerResponse } from "node:http";
import {
  DEFAULT_USAGE,
  SIDE_CALL_TEXT,
  getMockPlan,
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

const CWD_PATTERN = /<cwd>([^<]*)<\/cwd>/g;
/** User messages Codex injects as context rather than as the task. */
const CONTEXT_PREFIXES = [
  "<environment_context>",
  "<user_instructions>",
  "# AGENTS.md instructions",
];

/** Starts the mock; point a Codex model provider's `base_url` at `${url}/v1`. */
export function startResponsesMock(script: MockScript): Promise<MockServer> {
  const handler: MockHandler = (request, res) => {
    if (request.method !== "POST" || request.pathname !== "/v1/responses") {
      sendJson(res, 404, createErrorBody(`mock: no route for ${request.method} ${request.url}`));
      return { kind: "unknown" };
    }
    const body = asRecord(request.body);
    if (body === undefined) {
      sendJson(res, 400, createErrorBody("mock: the request body is not a JSON object"));
      return { kind: "unknown" };
    }
    const model = asString(body["model"]) ?? "gpt-mock";
    const isStream = body["stream"] === true;
    if (asArray(body["tools"]).length === 0) {
      sendReply(res, { text: SIDE_CALL_TEXT }, model, isStream);
      return { kind: "side" };
    }
    const input = asArray(body["input"]);
    const { prompt, promptAt } = findPrompt(input);
    const cwd = getCwd(input);
    const turnIndex = countAssistantTurns(input);
    const promptTurnIndex = countAssistantTurns(input.slice(promptAt + 1));
    const plan = getMockPlan(script, { prompt, cwd, turnIndex, promptTurnIndex });
    const found = { prompt, promptTurnIndex, ...(cwd === undefined ? {} : { cwd }) };
    switch (plan.kind) {
      case "unmatched":
        sendJson(res, 400, createErrorBody(plan.message));
        return { kind: "unmatched", ...found, turnIndex, unmatchedPrompt: prompt };
      case "error":
        sendJson(res, plan.turn.httpStatus, createErrorBody(plan.turn.message), plan.turn.headers);
        return { kind: "error", ...found, conversation: plan.conversation, turnIndex };
      case "reply":
        sendReply(res, plan.turn, model, isStream);
        return { kind: "turn", ...found, conversation: plan.conversation, turnIndex };
    }
  };
  return startMockHttpServer(handler);
}

/** The latest user message that is not injected context, and its index (-1 when there is none). */
function findPrompt(input: unknown[]): { prompt: string; promptAt: number } {
  for (let at = input.length - 1; at >= 0; at -= 1) {
    const record = asRecord(input[at]);
    if (record?.["type"] !== "message" || record["role"] !== "user") continue;
    const text = getTexts(record["content"]).join("\n").trim();
    if (text.length > 0 && !CONTEXT_PREFIXES.some((prefix) => text.startsWith(prefix)))
      return { prompt: text, promptAt: at };
  }
  return { prompt: "", promptAt: -1 };
}

/** The last `<cwd>` stated; a resumed turn appends a new environment_context with the new cwd. */
function getCwd(input: unknown[]): string | undefined {
  let cwd: string | undefined;
  for (const item of input) {
    const record = asRecord(item);
    if (record?.["type"] !== "message") continue;
    for (const text of getTexts(record["content"])) {
      for (const match of text.matchAll(CWD_PATTERN)) cwd = match[1];
    }
  }
  return cwd;
}

/**
 * Assistant turns in the history: each run of model-produced items (assistant messages, tool calls,
 * reasoning) between user-side items (user messages, tool outputs) is one earlier response.
 */
function countAssistantTurns(input: unknown[]): number {
  let turns = 0;
  let isInModelRun = false;
  for (const item of input) {
    const isModelItem = isModelOutput(asRecord(item));
    if (isModelItem && !isInModelRun) turns += 1;
    isInModelRun = isModelItem;
  }
  return turns;
}

function isModelOutput(item: Record<string, unknown> | undefined): boolean {
  const type = asString(item?.["type"]);
  if (type === undefined) return false;
  if (type === "message") return item?.["role"] === "assistant";
  return !type.endsWith("_output");
}

/** Texts of a content field that is either a string or an array of input/output text parts. */
function getTexts(content: unknown): string[] {
  if (typeof content === "string") return [content];
  return asArray(content)
    .map(asRecord)
    .map((part) => asString(part?.["text"]))
    .filter((text): text is string => text !== undefined);
}

function createErrorBody(message: string): unknown {
  return { error: { message, type: "invalid_request_error", param: null, code: null } };
}

function createOutputItems(turn: MockReplyTurn): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  if (turn.text !== undefined) {
    items.push({
      id: createId("msg"),
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: turn.text, annotations: [] }],
    });
  }
  for (const call of turn.toolCalls ?? []) {
    const base = { status: "completed", call_id: createId("call"), name: call.name };
    items.push(
      typeof call.input === "string"
        ? { id: createId("ctc"), type: "custom_tool_call", ...base, input: call.input }
        : {
            id: createId("fc"),
            type: "function_call",
            ...base,
            arguments: JSON.stringify(call.input),
          },
    );
  }
  return items;
}

function sendReply(
  res: ServerResponse,
  turn: MockReplyTurn,
  model: string,
  isStream: boolean,
): void {
  const output = createOutputItems(turn);
  const usage = turn.usage ?? DEFAULT_USAGE;
  const response = {
    id: createId("resp"),
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    model,
    status: "completed",
    output,
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.inputTokens + usage.outputTokens,
    },
  };
  if (!isStream) {
    sendJson(res, 200, response);
    return;
  }
  const events: SseEvent[] = [
    { type: "response.created", response: { ...response, status: "in_progress", output: [] } },
    { type: "response.in_progress", response: { ...response, status: "in_progress", output: [] } },
  ];
  output.forEach((item, index) => events.push(...createItemEvents(item, index)));
  events.push({ type: "response.completed", response });
  sendSse(res, events);
}

function createItemEvents(item: Record<string, unknown>, index: number): SseEvent[] {
  const itemId = item["id"];
  const at = { item_id: itemId, output_index: index };
  const events: SseEvent[] = [
    { type: "response.output_item.added", output_index: index, item: createPendingItem(item) },
  ];
  if (item["type"] === "message") {
    const text = asString(asRecord(asArray(item["content"])[0])?.["text"]) ?? "";
    events.push(
      { type: "response.output_text.delta", ...at, content_index: 0, delta: text },
      { type: "response.output_text.done", ...at, content_index: 0, text },
    );
  } else if (item["type"] === "function_call") {
    const args = item["arguments"];
    events.push(
      { type: "response.function_call_arguments.delta", ...at, delta: args },
      { type: "response.function_call_arguments.done", ...at, arguments: args },
    );
  } else {
    const input = item["input"];
    events.push(
      { type: "response.custom_tool_call_input.delta", ...at, delta: input },
      { type: "response.custom_tool_call_input.done", ...at, input },
    );
  }
  events.push({ type: "response.output_item.done", output_index: index, item });
  return events;
}

/** The item as `output_item.added` announces it: in progress, with its payload still empty. */
function createPendingItem(item: Record<string, unknown>): Record<string, unknown> {
  const pending = { ...item, status: "in_progress" };
  if (item["type"] === "message") return { ...pending, content: [] };
  if (item["type"] === "function_call") return { ...pending, arguments: "" };
  return { ...pending, input: "" };
}
