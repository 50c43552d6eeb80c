/**
 * gemini-cli `-p -o stream-json` events, as emitted by gemini-cli 0.61.0. Upstream source:
 * packages/core/src/output/types.ts (`JsonStreamEvent`). Every event also carries `timestamp`.
 * Hand-written and partial: only what bosun reads is required; everything else is optional.
 */

/** First line: session and model. */
export interface GeminiInitEvent {
  /** Discriminant. */
  type: "init";
  /** Session id, for `--resume`. */
  session_id: string;
  /** Model id (`auto` routes per request). */
  model?: string;
  /** ISO time of the event. */
  timestamp?: string;
}

/** A user or assistant message, whole or as a streamed chunk. */
export interface GeminiMessageEvent {
  /** Discriminant. */
  type: "message";
  /** Who spoke; the prompt is echoed as `user`. */
  role: "user" | "assistant";
  /** Message text (a chunk when `delta` is true). */
  content: string;
  /** True when `content` is one streamed chunk of a longer message. */
  delta?: boolean;
  /** ISO time of the event. */
  timestamp?: string;
}

/** The model called a tool. */
export interface GeminiToolUseEvent {
  /** Discriminant. */
  type: "tool_use";
  /** Tool name (`run_shell_command`, `write_file`, `replace`, `read_file`, ...). */
  tool_name: string;
  /** Call id, echoed by the matching `tool_result`. */
  tool_id?: string;
  /** Tool arguments (`{command}`, `{file_path, content}`, ...). */
  parameters?: Record<string, unknown>;
  /** ISO time of the event. */
  timestamp?: string;
}

/** A tool finished. */
export interface GeminiToolResultEvent {
  /** Discriminant. */
  type: "tool_result";
  /** The `tool_use` id this answers. */
  tool_id?: string;
  /** Outcome. */
  status: "success" | "error";
  /** Output shown to the model. */
  output?: string;
  /** Failure details when `status` is `error`. */
  error?: {
    /** Error class. */
    type?: string;
    /** Error text. */
    message?: string;
  };
  /** ISO time of the event. */
  timestamp?: string;
}

/** A problem reported mid-run (loop detected, turn limits, ...); the run may go on. */
export interface GeminiErrorEvent {
  /** Discriminant. */
  type: "error";
  /** `warning` or `error`. */
  severity?: "warning" | "error";
  /** Error text. */
  message: string;
  /** ISO time of the event. */
  timestamp?: string;
}

/** Totals for the whole session. */
export interface GeminiStreamStats {
  /** All tokens. */
  total_tokens?: number;
  /** Prompt tokens, cached ones included (`cached` + `input`). */
  input_tokens?: number;
  /** Completion tokens. */
  output_tokens?: number;
  /** Prompt tokens served from the cache. */
  cached?: number;
  /** Uncached prompt tokens. */
  input?: number;
  /** Wall time. */
  duration_ms?: number;
  /** Number of tool calls. */
  tool_calls?: number;
}

/** Last line: outcome and totals. It carries no answer text (that is the streamed messages). */
export interface GeminiResultEvent {
  /** Discriminant. */
  type: "result";
  /** Outcome of the run. */
  status: "success" | "error";
  /** Failure details when `status` is `error`. */
  error?: {
    /** Error class. */
    type?: string;
    /** Error text. */
    message?: string;
  };
  /** Session totals. */
  stats?: GeminiStreamStats;
  /** ISO time of the event. */
  timestamp?: string;
}

/** Every gemini-cli stream-json line bosun understands. */
export type GeminiEvent =
  | GeminiInitEvent
  | GeminiMessageEvent
  | GeminiToolUseEvent
  | GeminiToolResultEvent
  | GeminiErrorEvent
  | GeminiResultEvent;
