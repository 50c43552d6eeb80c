/**
 * Script types shared by the scripted mock model servers, and the routing rule that picks a
 * conversation and a turn for each request (first matching conversation, turn = assistant turns so far).
 */

/** One tool call the mock model makes. */
export interface MockToolCall {
  /** Tool name as the CLI offers it (`Write`, `Bash`, `exec_command`, `apply_patch`). */
  name: string;
  /**
   * JSON input for a function tool; a string is a freeform/custom tool input (Codex `apply_patch`)
   * for the Responses mock, and raw (possibly malformed) JSON text for the Anthropic mock.
   */
  input: Record<string, unknown> | string;
}

/** A normal model reply: optional text, then optional tool calls. */
export interface MockReplyTurn {
  /** Assistant text, sent before any tool calls. */
  text?: string;
  /** Tool calls; when present the reply stops for tool use. */
  toolCalls?: MockToolCall[];
  /** Token counts to report; defaults to `DEFAULT_USAGE`. */
  usage?: { inputTokens: number; outputTokens: number };
}

/** A scripted API failure: the mock answers with this HTTP status and error message. */
export interface MockErrorTurn {
  /** HTTP status to send (429: a rate limit, `rate_limit_error` in the Anthropic mock). */
  httpStatus: 400 | 429 | 500;
  /** Error message in the vendor's error body. */
  message: string;
  /** Extra response headers, such as a 429's `retry-after` or `anthropic-ratelimit-*-reset`. */
  headers?: Readonly<Record<string, string>>;
}

/** One scripted model turn. */
export type MockTurn = MockReplyTurn | MockErrorTurn;

/** What a turn function is told about the request it answers. */
export interface MockContext {
  /** The user prompt (task text) of the request, without CLI-added context wrappers. */
  prompt: string;
  /** The agent's working directory as the request states it, when it does. */
  cwd: string | undefined;
  /** Number of assistant turns already in the request's history. */
  turnIndex: number;
  /**
   * Assistant turns since the latest prompt. Equal to `turnIndex` in a fresh session; smaller in a
   * resumed one, whose history also holds the earlier conversation.
   */
  promptTurnIndex: number;
}

/** A scripted exchange, chosen by the prompt it answers. */
export interface MockConversation {
  /** Name recorded with each request this conversation answers. */
  name: string;
  /** Accepts the latest user prompt of a request (on resume, that is the resume prompt). */
  match: (prompt: string) => boolean;
  /** Turns by index; the index is the number of assistant turns in the request's history. */
  turns: Array<MockTurn | ((ctx: MockContext) => MockTurn)>;
  /**
   * Index `turns` by the assistant turns since the latest prompt instead (`promptTurnIndex`), so
   * one script answers a prompt alike in a fresh session and in a resumed one.
   */
  isCountedFromPrompt?: boolean;
}

/** Everything a mock server answers. */
export interface MockScript {
  /** Tried in order; the first whose `match` accepts the prompt answers. */
  conversations: MockConversation[];
}

/** What kind of request the mock saw. */
export type RecordedRequestKind =
  /** A model turn answered from the script. */
  | "turn"
  /** A scripted HTTP error (`MockErrorTurn`). */
  | "error"
  /** A side call without tools (session title, JSON-schema call); uses no turn. */
  | "side"
  /** No conversation matched the prompt; answered 400. */
  | "unmatched"
  /** Connection warm-up (`HEAD /`). */
  | "probe"
  /** Any other method or path; answered 404. */
  | "unknown";

/** One request as the mock received it. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** Request path including the query string. */
  url: string;
  /** Request headers as Node parsed them. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
  /** How the mock classified and answered it. */
  kind: RecordedRequestKind;
  /** Name of the conversation that answered. */
  conversation?: string;
  /** Turn index used (assistant turns in the history). */
  turnIndex?: number;
  /** Assistant turns since the latest prompt (less than `turnIndex` in a resumed session). */
  promptTurnIndex?: number;
  /** The user prompt extracted from the body. */
  prompt?: string;
  /** The cwd extracted from the body. */
  cwd?: string;
}

/** A running mock model server. */
export interface MockServer {
  /** `http://127.0.0.1:PORT`, without `/v1`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Prompts no conversation matched. */
  unmatched: string[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Usage reported when a turn does not set its own. */
export const DEFAULT_USAGE = { inputTokens: 50, outputTokens: 25 } as const;

/** The reply past the last scripted turn. */
export const DONE_TURN: MockReplyTurn = { text: "done" };

/** Text answered to side calls (the session-title call expects this JSON). */
export const SIDE_CALL_TEXT = '{"title":"Mock title"}';

/** The script's answer to one request. */
export type MockPlan =
  | { kind: "unmatched"; message: string }
  | { kind: "reply"; conversation: string; turnIndex: number; turn: MockReplyTurn }
  | { kind: "error"; conversation: string; turnIndex: number; turn: MockErrorTurn };

/** True for a scripted HTTP failure. */
export function isErrorTurn(turn: MockTurn): turn is MockErrorTurn {
  return "httpStatus" in turn;
}

/** Picks the conversation and turn that answer a request (pure; the servers record the outcome). */
export function getMockPlan(script: MockScript, ctx: MockContext): MockPlan {
  const conversation = script.conversations.find((c) => c.match(ctx.prompt));
  if (conversation === undefined) {
    const names = script.conversations.map((c) => c.name).join(", ") || "(none)";
    return {
      kind: "unmatched",
      message: `mock: no conversation matches prompt ${JSON.stringify(ctx.prompt.slice(0, 200))}. Scripted conversations: ${names}. Add a conversation whose match() accepts it.`,
    };
  }
  const index = conversation.isCountedFromPrompt === true ? ctx.promptTurnIndex : ctx.turnIndex;
  const entry = conversation.turns[index];
  const turn = entry === undefined ? DONE_TURN : typeof entry === "function" ? entry(ctx) : entry;
  const base = { conversation: conversation.name, turnIndex: ctx.turnIndex };
  return isErrorTurn(turn) ? { kind: "error", ...base, turn } : { kind: "reply", ...base, turn };
}

/** Removes `<tag>…</tag>` blocks the CLIs wrap around injected context, and trims. */
export function stripContextBlocks(text: string, tags: readonly string[]): string {
  let out = text;
  for (const tag of tags) out = out.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, "g"), "");
  return out.trim();
}
