/**
 * Small, cast-free helpers the vendor line parsers share: narrowing unknown JSON field by field,
 * one-line tool summaries, and the never-throw wrapper every `parse<Vendor>Line` goes through.
 */
import { parseJsonLine } from "./agent-event.js";
import type { AgentEvent, TokenUsage } from "./agent-event.js";

/** A parsed JSON object (never an array or null). */
export type JsonRecord = Record<string, unknown>;

/** Longest tool output kept on a `tool.result` event; the full stream is in the run's log file. */
export const MAX_TOOL_OUTPUT_CHARS = 4000;

/** Longest `tool.use` summary; summaries are one-line labels, not payloads. */
export const MAX_SUMMARY_CHARS = 200;

/** Input fields that name what a tool acts on, most telling first (across all vendors). */
const SUMMARY_KEYS = [
  "command",
  "cmd",
  "file_path",
  "filePath",
  "notebook_path",
  "absolute_path",
  "path",
  "pattern",
  "url",
  "query",
  "description",
  "prompt",
] as const;

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The string at `key`, or undefined when absent or not a string. */
export function getString(record: JsonRecord, key: string): string | undefined {
  const value = record[key];
  return typeof value === "string" ? value : undefined;
}

/** The finite number at `key`, or undefined. */
export function getNumber(record: JsonRecord, key: string): number | undefined {
  const value = record[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The boolean at `key`, or undefined. */
export function getBoolean(record: JsonRecord, key: string): boolean | undefined {
  const value = record[key];
  return typeof value === "boolean" ? value : undefined;
}

/** The object at `key`, or undefined. */
export function getRecord(record: JsonRecord, key: string): JsonRecord | undefined {
  const value = record[key];
  return isRecord(value) ? value : undefined;
}

/** The array at `key`, or undefined. */
export function getArray(record: JsonRecord, key: string): unknown[] | undefined {
  const value = record[key];
  return Array.isArray(value) ? value : undefined;
}

/** The string at `key` if it is one of `allowed`, narrowed to that literal union. */
export function getLiteral<T extends string>(
  record: JsonRecord,
  key: string,
  allowed: readonly T[],
): T | undefined {
  const value = record[key];
  return allowed.find((candidate) => candidate === value);
}

/** Decodes each element with `decode`, dropping the ones it rejects. */
export function decodeArray<T>(
  values: readonly unknown[],
  decode: (value: unknown) => T | undefined,
): T[] {
  const decoded: T[] = [];
  for (const value of values) {
    const item = decode(value);
    if (item !== undefined) decoded.push(item);
  }
  return decoded;
}

/** Cuts `text` to `maxChars`, marking the cut so a reader knows it is partial. */
export function truncateText(text: string, maxChars: number): string {
  return text.length <= maxChars
    ? text
    : `${text.slice(0, maxChars)}… [${text.length - maxChars} more chars]`;
}

/** One-line label for a tool call: the command or path it acts on, else its compact JSON input. */
export function summarizeToolInput(input: unknown): string {
  if (typeof input === "string") return truncateText(toOneLine(input), MAX_SUMMARY_CHARS);
  if (isRecord(input)) {
    for (const key of SUMMARY_KEYS) {
      const value = getString(input, key);
      if (value !== undefined && value.trim() !== "")
        return truncateText(toOneLine(value), MAX_SUMMARY_CHARS);
    }
  }
  if (input === undefined) return "";
  return truncateText(JSON.stringify(input) ?? "", MAX_SUMMARY_CHARS);
}

/** Token counts from vendor fields that are often missing; absent counts are 0. */
export function createUsage(
  inputTokens?: number,
  cachedInputTokens?: number,
  outputTokens?: number,
): TokenUsage {
  return {
    inputTokens: inputTokens ?? 0,
    cachedInputTokens: cachedInputTokens ?? 0,
    outputTokens: outputTokens ?? 0,
  };
}

/** Spreads `{ id }` only when there is one, so events never carry `id: undefined`. */
export function withId(id: string | undefined): { id?: string } {
  return id === undefined ? {} : { id };
}

/** The event for a line no parser understood. */
export function createUnknownEvent(raw: string): AgentEvent {
  return { type: "unknown", raw };
}

/**
 * Runs one vendor line through JSON parsing, the vendor's decoder and its mapper. Blank lines
 * carry nothing and give no events; non-JSON lines and lines the decoder rejects become `unknown`.
 * Never throws: a parser bug on one odd line must not end a run, so any exception also degrades
 * to `unknown` (the raw line is kept either way).
 */
export function parseVendorLine<T>(
  line: string,
  decode: (value: unknown) => T | undefined,
  toAgentEvents: (event: T) => AgentEvent[],
): AgentEvent[] {
  if (line.trim() === "") return [];
  try {
    const json = parseJsonLine(line);
    const event = json === undefined ? undefined : decode(json);
    return event === undefined ? [createUnknownEvent(line)] : toAgentEvents(event);
  } catch {
    return [createUnknownEvent(line)];
  }
}

function toOneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
