/**
 * pi `-p --mode json` events, as emitted by @mariozechner/pi-coding-agent 0.73.1. Upstream source:
 * badlogic/pi-mono packages/agent/src/types.ts (`AgentEvent`) and packages/ai/src/types.ts (messages).
 * Hand-written and partial: only what bosun reads is required; everything else is optional.
 */

/** Token usage of one assistant message; `input` excludes both cache counts. */
export interface PiUsage {
  /** Uncached prompt tokens. */
  input?: number;
  /** Completion tokens. */
  output?: number;
  /** Prompt tokens served from the cache. */
  cacheRead?: number;
  /** Prompt tokens written to the cache. */
  cacheWrite?: number;
  /** All tokens. */
  totalTokens?: number;
  /** Cost in USD, priced by pi from its model table. */
  cost?: {
    /** Total cost of the message. */
    total?: number;
  };
}

/** Why an assistant message ended; `error` and `aborted` come with `errorMessage`. */
export type PiStopReason = "stop" | "length" | "toolUse" | "error" | "aborted";

/** A text content block. */
export interface PiTextContent {
  /** Discriminant. */
  type: "text";
  /** The text. */
  text: string;
}

/** A tool call content block. */
export interface PiToolCallContent {
  /** Discriminant. */
  type: "toolCall";
  /** Call id. */
  id?: string;
  /** Tool name. */
  name?: string;
}

/** A thinking content block (not used by bosun). */
export interface PiThinkingContent {
  /** Discriminant. */
  type: "thinking";
}

/** Assistant content blocks bosun understands (others are dropped). */
export type PiAssistantContent = PiTextContent | PiToolCallContent | PiThinkingContent;

/** A model answer. pi's JSON mode exits 0 even when `stopReason` is `error`. */
export interface PiAssistantMessage {
  /** Discriminant. */
  role: "assistant";
  /** Content blocks. */
  content: PiAssistantContent[];
  /** Model id. */
  model?: string;
  /** Provider name from models.json. */
  provider?: string;
  /** Token usage and cost of this message. */
  usage?: PiUsage;
  /** Why the message ended. */
  stopReason?: PiStopReason;
  /** Error text when `stopReason` is `error` or `aborted`. */
  errorMessage?: string;
}

/** The prompt (not used by bosun). */
export interface PiUserMessage {
  /** Discriminant. */
  role: "user";
}

/** A tool result sent back to the model (bosun reads `tool_execution_end` instead). */
export interface PiToolResultMessage {
  /** Discriminant. */
  role: "toolResult";
  /** The call this answers. */
  toolCallId?: string;
  /** Set when the tool failed. */
  isError?: boolean;
}

/** Messages bosun understands. */
export type PiMessage = PiAssistantMessage | PiUserMessage | PiToolResultMessage;

/** What a tool returned. */
export interface PiToolResult {
  /** Text shown to the model (images are dropped). */
  content?: PiTextContent[];
}

/** First line: the session header. */
export interface PiSessionEvent {
  /** Discriminant. */
  type: "session";
  /** Session id, for `--session <id>`. */
  id: string;
  /** Session file format version (3). */
  version?: number;
  /** Working directory. */
  cwd?: string;
}

/** Lifecycle markers bosun ignores. */
export interface PiLifecycleEvent {
  /** Discriminant. */
  type:
    | "agent_start"
    | "turn_start"
    | "turn_end"
    | "message_start"
    | "message_update"
    | "tool_execution_update"
    | "compaction_start"
    | "compaction_end"
    | "auto_retry_end";
}

/** A message is complete. */
export interface PiMessageEndEvent {
  /** Discriminant. */
  type: "message_end";
  /** The whole message. */
  message: PiMessage;
}

/** A tool started running. */
export interface PiToolExecutionStartEvent {
  /** Discriminant. */
  type: "tool_execution_start";
  /** Call id. */
  toolCallId?: string;
  /** Tool name (`bash`, `read`, `edit`, `write`). */
  toolName: string;
  /** Tool arguments (`{command}`, `{path, content}`, `{path, edits}`). */
  args?: unknown;
}

/** A tool finished. */
export interface PiToolExecutionEndEvent {
  /** Discriminant. */
  type: "tool_execution_end";
  /** Call id. */
  toolCallId?: string;
  /** Tool name. */
  toolName?: string;
  /** What the tool returned. */
  result?: PiToolResult;
  /** Set when the tool failed. */
  isError: boolean;
}

/** The agent run ended; `messages` are the ones this run added. */
export interface PiAgentEndEvent {
  /** Discriminant. */
  type: "agent_end";
  /** Messages of this run, last assistant message last. */
  messages: PiMessage[];
  /** Newer pi: true when an automatic retry follows (so this is not the end). */
  willRetry?: boolean;
}

/** pi will retry a failed API call. */
export interface PiAutoRetryStartEvent {
  /** Discriminant. */
  type: "auto_retry_start";
  /** Number of the coming attempt. */
  attempt?: number;
  /** Attempt budget. */
  maxAttempts?: number;
  /** Wait before the retry. */
  delayMs?: number;
  /** The error being retried. */
  errorMessage?: string;
}

/** Every pi JSON-mode line bosun understands. */
export type PiEvent =
  | PiSessionEvent
  | PiLifecycleEvent
  | PiMessageEndEvent
  | PiToolExecutionStartEvent
  | PiToolExecutionEndEvent
  | PiAgentEndEvent
  | PiAutoRetryStartEvent;
