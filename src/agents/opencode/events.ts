/**
 * opencode `run --format json` events, as emitted by opencode 1.18.33. Upstream source:
 * packages/opencode/src/cli/cmd/run.ts (`emit(type, {part})` over the SDK's message parts).
 * Hand-written and partial: only what bosun reads is required; everything else is optional.
 */

/** Token counts of one step; `input` excludes both cache counts and `output` excludes reasoning. */
export interface OpencodeTokens {
  /** Uncached prompt tokens. */
  input?: number;
  /** Completion tokens, reasoning excluded. */
  output?: number;
  /** Reasoning tokens. */
  reasoning?: number;
  /** Cache traffic. */
  cache?: {
    /** Prompt tokens served from the cache. */
    read?: number;
    /** Prompt tokens written to the cache. */
    write?: number;
  };
}

/** State of a finished tool call (`run` only prints tools once completed or failed). */
export interface OpencodeToolState {
  /** Where the call is. */
  status: "pending" | "running" | "completed" | "error";
  /** Tool arguments (`{command}`, `{filePath, content}`, ...). */
  input?: Record<string, unknown>;
  /** Output shown to the model, once completed. */
  output?: string;
  /** Error text, when failed. */
  error?: string;
  /** Short label opencode shows for the call. */
  title?: string;
  /** Tool-specific details; `write` sets `exists` (true when it overwrote a file). */
  metadata?: Record<string, unknown>;
}

/** Fields every line carries. */
export interface OpencodeEventBase {
  /** Milliseconds since the epoch. */
  timestamp?: number;
  /** Session id, for `-s <id>`. */
  sessionID?: string;
}

/** A model step (one API request) began. */
export interface OpencodeStepStartEvent extends OpencodeEventBase {
  /** Discriminant. */
  type: "step_start";
  /** The `step-start` part. */
  part: {
    /** Session id. */
    sessionID?: string;
    /** Message the step belongs to. */
    messageID?: string;
  };
}

/** A finished assistant text part. */
export interface OpencodeTextEvent extends OpencodeEventBase {
  /** Discriminant. */
  type: "text";
  /** The `text` part. */
  part: {
    /** The text. */
    text: string;
  };
}

/** A finished reasoning part (only with `--thinking`). */
export interface OpencodeReasoningEvent extends OpencodeEventBase {
  /** Discriminant. */
  type: "reasoning";
}

/** A tool call that completed or failed. */
export interface OpencodeToolUseEvent extends OpencodeEventBase {
  /** Discriminant. */
  type: "tool_use";
  /** The `tool` part. */
  part: {
    /** Tool name (`bash`, `edit`, `write`, `read`, `glob`, `grep`, ...). */
    tool: string;
    /** Call id. */
    callID?: string;
    /** Final state of the call. */
    state: OpencodeToolState;
  };
}

/** A model step ended. */
export interface OpencodeStepFinishEvent extends OpencodeEventBase {
  /** Discriminant. */
  type: "step_finish";
  /** The `step-finish` part. */
  part: {
    /** Why the step ended (`stop`, `tool-calls`, ...). */
    reason?: string;
    /** Cost of this step in USD, priced by opencode. */
    cost?: number;
    /** Tokens of this step. */
    tokens?: OpencodeTokens;
  };
}

/** The session failed (API error after retries); opencode exits 1. */
export interface OpencodeErrorEvent extends OpencodeEventBase {
  /** Discriminant. */
  type: "error";
  /** The session error. */
  error: {
    /** Error class, e.g. `APIError`, `ProviderAuthError`. */
    name?: string;
    /** Details. */
    data?: {
      /** Error text. */
      message?: string;
      /** HTTP status, for API errors. */
      statusCode?: number;
    };
  };
}

/** The session went idle (newer opencode only). */
export interface OpencodeDoneEvent extends OpencodeEventBase {
  /** Discriminant. */
  type: "done";
  /** Why it ended (`idle`). */
  reason?: string;
}

/** Every opencode `run --format json` line bosun understands. */
export type OpencodeEvent =
  | OpencodeStepStartEvent
  | OpencodeTextEvent
  | OpencodeReasoningEvent
  | OpencodeToolUseEvent
  | OpencodeStepFinishEvent
  | OpencodeErrorEvent
  | OpencodeDoneEvent;
