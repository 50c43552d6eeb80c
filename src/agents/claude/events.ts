/**
 * Claude Code `-p --output-format stream-json --verbose` events, as emitted by claude-code 2.1.197
 * (one JSON object per line; see /work/shared/real-clients.md and @anthropic-ai/claude-code's sdk-tools.d.ts).
 * Hand-written and partial: only what bosun reads is required; everything else is optional.
 */

/** Token usage in Anthropic Messages API terms; `input_tokens` excludes both cache counts. */
export interface ClaudeUsage {
  /** Uncached prompt tokens. */
  input_tokens?: number;
  /** Completion tokens. */
  output_tokens?: number;
  /** Prompt tokens written to the cache. */
  cache_creation_input_tokens?: number;
  /** Prompt tokens read from the cache. */
  cache_read_input_tokens?: number;
}

/** A text content block. */
export interface ClaudeTextBlock {
  /** Discriminant. */
  type: "text";
  /** The text. */
  text: string;
}

/** A tool call the model made. */
export interface ClaudeToolUseBlock {
  /** Discriminant. */
  type: "tool_use";
  /** Call id, echoed by the matching `tool_result`. */
  id: string;
  /** Tool name (`Bash`, `Write`, `Edit`, `Read`, `mcp__server__tool`, ...). */
  name: string;
  /** Tool input as the model sent it (e.g. `{file_path, content}` for Write). */
  input?: unknown;
}

/** A thinking block (content is not used by bosun). */
export interface ClaudeThinkingBlock {
  /** Discriminant. */
  type: "thinking";
  /** The thinking text, when not redacted. */
  thinking?: string;
}

/** Content blocks of an assistant message that bosun understands (others are dropped). */
export type ClaudeAssistantBlock = ClaudeTextBlock | ClaudeToolUseBlock | ClaudeThinkingBlock;

/** The outcome of one tool call, sent back to the model in a user message. */
export interface ClaudeToolResultBlock {
  /** Discriminant. */
  type: "tool_result";
  /** The `tool_use` id this answers. */
  tool_use_id: string;
  /** Result text (Bash stdout, "File created successfully at: ...", an error message). */
  content?: string | ClaudeTextBlock[];
  /** Set when the tool failed or was denied. */
  is_error?: boolean;
}

/** Content blocks of a user message that bosun understands. */
export type ClaudeUserBlock = ClaudeToolResultBlock | ClaudeTextBlock;

/** `tool_use_result` of Write: whether the file was created or overwritten. */
export interface ClaudeFileWriteResult {
  /** `create` for a new file, `update` for an overwrite. */
  type: "create" | "update";
  /** Path of the written file. */
  filePath: string;
}

/** `tool_use_result` of Edit (and MultiEdit): the file was changed in place. */
export interface ClaudeFileEditResult {
  /** Path of the edited file. */
  filePath: string;
  /** Diff hunks of the change (shape not used by bosun). */
  structuredPatch?: unknown[];
}

/** `tool_use_result` of NotebookEdit. */
export interface ClaudeNotebookEditResult {
  /** Path of the edited notebook. */
  notebook_path: string;
  /** `replace`, `insert` or `delete`. */
  edit_mode?: string;
}

/** The structured tool results bosun decodes: the file-changing tools. Others are not kept. */
export type ClaudeToolUseResult =
  ClaudeFileWriteResult | ClaudeFileEditResult | ClaudeNotebookEditResult;

/** First line of a run: session and environment. */
export interface ClaudeSystemInitEvent {
  /** Discriminant. */
  type: "system";
  /** Sub-discriminant. */
  subtype: "init";
  /** Session id, for `--resume`. */
  session_id: string;
  /** Model id, e.g. `claude-opus-4-8[1m]`. */
  model?: string;
  /** Working directory of the run. */
  cwd?: string;
  /** Tool names offered to the model. */
  tools?: string[];
  /** Permission mode in force (`default`, `acceptEdits`, `bypassPermissions`, ...). */
  permissionMode?: string;
  /** CLI version, e.g. `2.1.197`. */
  claude_code_version?: string;
}

/** An API call failed and will be retried (`CLAUDE_CODE_MAX_RETRIES`). */
export interface ClaudeApiRetryEvent {
  /** Discriminant. */
  type: "system";
  /** Sub-discriminant. */
  subtype: "api_retry";
  /** Number of this retry, from 1. */
  attempt?: number;
  /** Retry budget. */
  max_retries?: number;
  /** Wait before the retry. */
  retry_delay_ms?: number;
  /** HTTP status of the failed call, when there was one. */
  error_status?: number;
  /** Error text or code of the failed call. */
  error?: string;
}

/** Progress and housekeeping system events bosun ignores (`status`, `compact_boundary`). */
export interface ClaudeSystemNoticeEvent {
  /** Discriminant. */
  type: "system";
  /** Sub-discriminant. */
  subtype: "status" | "compact_boundary";
}

/** The `type: "system"` events bosun understands. */
export type ClaudeSystemEvent =
  ClaudeSystemInitEvent | ClaudeApiRetryEvent | ClaudeSystemNoticeEvent;

/** One assistant content block (each block of an API message comes as its own event). */
export interface ClaudeAssistantEvent {
  /** Discriminant. */
  type: "assistant";
  /** The API message (only this event's blocks in `content`). */
  message: {
    /** API message id, shared by all blocks of one message. */
    id?: string;
    /** Model that answered; `<synthetic>` for CLI-made error messages. */
    model?: string;
    /** Content blocks. */
    content: ClaudeAssistantBlock[];
    /** Usage of this API message so far. */
    usage?: ClaudeUsage;
  };
  /** Set when the message belongs to a sub-agent's tool call. */
  parent_tool_use_id?: string;
  /** Session id. */
  session_id?: string;
}

/** Tool results (and replayed user input) going back to the model. */
export interface ClaudeUserEvent {
  /** Discriminant. */
  type: "user";
  /** The user message; a plain string for replayed prompts. */
  message: {
    /** Content: tool results, text. */
    content: string | ClaudeUserBlock[];
  };
  /** Structured result of a file-changing tool (Write, Edit, MultiEdit, NotebookEdit). */
  tool_use_result?: ClaudeToolUseResult;
  /** Set when the message belongs to a sub-agent's tool call. */
  parent_tool_use_id?: string;
  /** Session id. */
  session_id?: string;
}

/** Last line of a completed run. Absent when the CLI was interrupted (SIGINT exits 0 without it). */
export interface ClaudeResultEvent {
  /** Discriminant. */
  type: "result";
  /** `success`, `error_max_turns`, `error_during_execution`, ...; API errors still say `success`. */
  subtype: string;
  /** The real failure flag: true for API errors even when `subtype` is `success`. */
  is_error?: boolean;
  /** Final answer text, or "API Error: 400 ..." on API errors. */
  result?: string;
  /** Session id. */
  session_id?: string;
  /** Cost of the whole run in USD, priced by the CLI. */
  total_cost_usd?: number;
  /** Token usage of the whole run. */
  usage?: ClaudeUsage;
  /** Number of model turns. */
  num_turns?: number;
  /** Wall time of the run. */
  duration_ms?: number;
  /** HTTP status of the API error that ended the run. */
  api_error_status?: number;
  /** Error messages for the `error_*` subtypes. */
  errors?: string[];
  /** `completed` or `max_turns`. */
  terminal_reason?: string;
}

/** Raw API stream events, only with `--include-partial-messages` (ignored by bosun). */
export interface ClaudeStreamEvent {
  /** Discriminant. */
  type: "stream_event";
}

/** Every Claude Code stream-json line bosun understands. */
export type ClaudeEvent =
  | ClaudeSystemEvent
  | ClaudeAssistantEvent
  | ClaudeUserEvent
  | ClaudeResultEvent
  | ClaudeStreamEvent;
