/**
 * Codex `exec --json` events (`ThreadEvent`), as emitted by codex 0.169.0. Upstream source:
 * codex-rs/exec/src/exec_events.rs, mirrored in @openai/codex-sdk's events.ts and items.ts.
 * Hand-written and partial: only what bosun reads is required; everything else is optional.
 */

/** Token usage of the thread so far (codex fills it from the thread's running total). */
export interface CodexUsage {
  /** Prompt tokens, including cached ones (OpenAI semantics). */
  input_tokens?: number;
  /** Of which served from the cache. */
  cached_input_tokens?: number;
  /** Prompt tokens written to the cache. */
  cache_write_input_tokens?: number;
  /** Completion tokens, including reasoning. */
  output_tokens?: number;
  /** Of which reasoning. */
  reasoning_output_tokens?: number;
}

/** Assistant text; the last one of a turn is the final answer. */
export interface CodexAgentMessageItem {
  /** Item id (`item_N`), stable across started/updated/completed. */
  id?: string;
  /** Discriminant. */
  type: "agent_message";
  /** Message text, or JSON when `--output-schema` is used. */
  text: string;
}

/** Reasoning summary (not used by bosun). */
export interface CodexReasoningItem {
  /** Item id. */
  id?: string;
  /** Discriminant. */
  type: "reasoning";
  /** Summary text. */
  text?: string;
}

/** Status of a command execution. */
export type CodexCommandStatus = "in_progress" | "completed" | "failed" | "declined";

/** A shell command the agent ran (`exec_command`). */
export interface CodexCommandExecutionItem {
  /** Item id. */
  id?: string;
  /** Discriminant. */
  type: "command_execution";
  /** The command line. */
  command: string;
  /** Stdout and stderr so far. */
  aggregated_output?: string;
  /** Exit code, once the command has ended. */
  exit_code?: number;
  /** Where the command is; `failed` also covers sandbox refusals. */
  status: CodexCommandStatus;
}

/** One file touched by a patch. */
export interface CodexFileUpdateChange {
  /** File path as codex reports it (relative to the cwd or absolute). */
  path: string;
  /** What happened to the file. */
  kind: "add" | "update" | "delete";
}

/** A patch (`apply_patch`); completed once it succeeded or failed. */
export interface CodexFileChangeItem {
  /** Item id. */
  id?: string;
  /** Discriminant. */
  type: "file_change";
  /** Files in the patch. */
  changes: CodexFileUpdateChange[];
  /** Whether the patch applied. */
  status?: "in_progress" | "completed" | "failed";
}

/** A call to an MCP tool. */
export interface CodexMcpToolCallItem {
  /** Item id. */
  id?: string;
  /** Discriminant. */
  type: "mcp_tool_call";
  /** MCP server name. */
  server?: string;
  /** Tool name on that server. */
  tool: string;
  /** Arguments sent to the tool. */
  arguments?: unknown;
  /** Where the call is. */
  status?: "in_progress" | "completed" | "failed";
  /** Error of a failed call. */
  error?: {
    /** Error text. */
    message?: string;
  };
}

/** A web search. */
export interface CodexWebSearchItem {
  /** Item id. */
  id?: string;
  /** Discriminant. */
  type: "web_search";
  /** The search query. */
  query?: string;
}

/** The agent's to-do list (not used by bosun). */
export interface CodexTodoListItem {
  /** Item id. */
  id?: string;
  /** Discriminant. */
  type: "todo_list";
}

/** A non-fatal problem surfaced as an item (config warnings, unknown model metadata, ...). */
export interface CodexErrorItem {
  /** Item id. */
  id?: string;
  /** Discriminant. */
  type: "error";
  /** Error text. */
  message: string;
}

/** Thread items bosun understands. */
export type CodexThreadItem =
  | CodexAgentMessageItem
  | CodexReasoningItem
  | CodexCommandExecutionItem
  | CodexFileChangeItem
  | CodexMcpToolCallItem
  | CodexWebSearchItem
  | CodexTodoListItem
  | CodexErrorItem;

/** First line: the thread id, for `codex exec resume <id>`. */
export interface CodexThreadStartedEvent {
  /** Discriminant. */
  type: "thread.started";
  /** Thread id (a UUIDv7). */
  thread_id: string;
}

/** A turn began. */
export interface CodexTurnStartedEvent {
  /** Discriminant. */
  type: "turn.started";
}

/** The turn ended well. There is no cost field. */
export interface CodexTurnCompletedEvent {
  /** Discriminant. */
  type: "turn.completed";
  /** Token usage (the thread total at this point). */
  usage?: CodexUsage;
}

/** The turn failed (HTTP 400, retries exhausted); codex exits 1. */
export interface CodexTurnFailedEvent {
  /** Discriminant. */
  type: "turn.failed";
  /** What failed. */
  error?: {
    /** Error text. */
    message?: string;
  };
}

/** An item began, changed or reached a terminal state. */
export interface CodexItemEvent {
  /** Discriminant. */
  type: "item.started" | "item.updated" | "item.completed";
  /** The item. */
  item: CodexThreadItem;
}

/** A stream-level error, e.g. "Reconnecting... 1/1"; a `turn.failed` follows if it was fatal. */
export interface CodexErrorEvent {
  /** Discriminant. */
  type: "error";
  /** Error text. */
  message: string;
}

/** Every Codex `exec --json` line bosun understands. */
export type CodexEvent =
  | CodexThreadStartedEvent
  | CodexTurnStartedEvent
  | CodexTurnCompletedEvent
  | CodexTurnFailedEvent
  | CodexItemEvent
  | CodexErrorEvent;
