/**
 * The vendor-neutral event stream of one agent dispatch. Each harness's parser turns its CLI's
 * structured output into these; flows and surfaces only ever see this union.
 */

/** Token counts as reported by the agent (fields the vendor does not report stay 0). */
export interface TokenUsage {
  /** Prompt tokens, including cached ones. */
  inputTokens: number;
  /** Of which read from the provider's cache. */
  cachedInputTokens: number;
  /** Completion tokens, including reasoning. */
  outputTokens: number;
}

/** One event from a running agent. */
export type AgentEvent =
  /** The agent announced its session/thread id (for resume). */
  | { type: "session"; sessionId: string; model?: string }
  /** Assistant text (a whole message or a chunk of one). */
  | { type: "text"; text: string }
  /** The agent called a tool; `summary` is a short human line (command, path). */
  | { type: "tool.use"; tool: string; summary: string; id?: string }
  /** A tool finished; `isError` when the tool reported failure. */
  | { type: "tool.result"; id?: string; isError: boolean; output?: string }
  /** The agent created, changed or deleted a file (as the agent reports it; git is the truth). */
  | { type: "file.edit"; path: string; kind: "add" | "update" | "delete" }
  /** Usage for a turn or the whole run; `costUsd` only when the vendor reports it. */
  | { type: "usage"; usage: TokenUsage; costUsd?: number; isCumulative: boolean }
  /** The run's final answer text, as the vendor marks it. */
  | { type: "final"; text: string; isError: boolean }
  /** The agent or its API reported an error (may be followed by a retry). */
  | { type: "error"; message: string; isFatal: boolean }
  /** A line we could not interpret: kept, never fatal. */
  | { type: "unknown"; raw: string };

/** Turns one stdout line into zero or more events. Parsers are stateless per line. */
export type LineParser = (line: string) => AgentEvent[];

/** Parses one JSON line; returns undefined for non-JSON so callers can emit `unknown`. */
export function parseJsonLine(line: string): unknown {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

/** Creates an empty usage record. */
export function createEmptyUsage(): TokenUsage {
  return { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
}
