/**
 * The live streams as Server-Sent Events. A run's: its journal from a seq (`Last-Event-ID` on a
 * reconnect, else `?since=`), then each event as it is appended, read by `followRunEvents`
 * (fs.watch, no polling); live-only events of runs this process drives go out as `live` events
 * without an id, so a reconnect's resume point stays the journal's seq. An agent's: its
 * agent.log followed on disk (`followLogLines`), so any process's agent can be watched.
 */
import type { Context } from "hono";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import type { AgentEvent, LineParser } from "../agents/agent-event.js";
import { getErrorMessage } from "../errors.js";
import type { BosunEvent } from "../flows/events.js";
import type { EventBus } from "../flows/event-bus.js";
import type { BosunPaths } from "../store/paths.js";
import { followLogLines } from "../store/follow-log.js";
import { followRunEvents } from "../store/follow.js";

/** A comment line this often keeps proxies and the browser from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

/** What a run's stream needs. */
export interface RunStreamOptions {
  /** Repository paths. */
  paths: BosunPaths;
  /** The run. */
  runId: string;
  /** Yield events with a greater seq. */
  afterSeq: number;
  /** Live events of the runs this process drives. */
  bus: EventBus;
  /** Aborted when the server closes. */
  signal: AbortSignal;
  /** True when the client proved the token: agent output is a log, never sent without it. */
  isAgentOutputAllowed: boolean;
}

/**
 * The seq to resume after: the `Last-Event-ID` header (an EventSource's reconnect), else
 * `?since=`, else 0; undefined when what was given is not a whole number ≥ 0.
 */
export function getResumeSeq(
  lastEventId: string | undefined,
  since: string | undefined,
): number | undefined {
  return parseWholeNumber(lastEventId ?? since ?? "0");
}

/** A whole number ≥ 0 written in decimal digits (at most 15: exact as a double); else undefined. */
export function parseWholeNumber(text: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * An SSE response that lives until the client goes or the server closes: `body` gets the stream
 * and a signal aborted on either, while a heartbeat comment keeps the connection open. A failure
 * of `body` (a journal removed or damaged) is said once, as a `failure` event, and ends it.
 */
export function respondSSE(
  c: Context,
  serverSignal: AbortSignal,
  body: (stream: SSEStreamingApi, signal: AbortSignal) => Promise<void>,
): Response {
  return streamSSE(c, async (stream) => {
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    stream.onAbort(stop);
    serverSignal.addEventListener("abort", stop);
    const heartbeat = setInterval(() => void stream.write(": heartbeat\n\n"), HEARTBEAT_MS);
    try {
      if (!serverSignal.aborted) await body(stream, controller.signal);
    } catch (error) {
      await stream.writeSSE({
        event: "failure",
        data: JSON.stringify({ message: getErrorMessage(error) }),
      });
    } finally {
      clearInterval(heartbeat);
      controller.abort();
      serverSignal.removeEventListener("abort", stop);
    }
  });
}

/** Answers with the run's SSE stream until the client goes or the server closes. */
export function respondRunStream(c: Context, options: RunStreamOptions): Response {
  return respondSSE(c, options.signal, async (stream, signal) => {
    const unsubscribe = options.bus.subscribe((event) => {
      if (event.runId !== options.runId || !isLiveOnly(event)) return;
      if (event.type === "agent.output" && !options.isAgentOutputAllowed) return;
      void writeLive(stream, event);
    });
    try {
      // Tells the page where the replay starts (and that the stream is up) before any event.
      await stream.writeSSE({
        event: "ready",
        data: JSON.stringify({ afterSeq: options.afterSeq }),
      });
      for await (const event of followRunEvents(options.paths, options.runId, {
        afterSeq: options.afterSeq,
        signal,
      })) {
        await stream.writeSSE({ id: String(event.seq), data: JSON.stringify(event) });
      }
    } finally {
      unsubscribe();
    }
  });
}

function isLiveOnly(event: BosunEvent): boolean {
  return event.type === "agent.output" || event.type === "agent.retry" || event.type === "warning";
}

async function writeLive(stream: SSEStreamingApi, event: BosunEvent): Promise<void> {
  if (stream.aborted || stream.closed) return;
  await stream.writeSSE({ event: "live", data: JSON.stringify(event) });
}

/** What an agent log's stream needs. */
export interface LogStreamOptions {
  /** The agent.log to follow (it may not exist yet: the agent has not started). */
  file: string;
  /** The harness's stdout parser; undefined sends each line as it is. */
  parse: LineParser | undefined;
  /** Bytes of what the log already holds to send first. */
  tailBytes: number;
  /** Aborted when the server closes. */
  signal: AbortSignal;
}

/**
 * Answers with an agent log's SSE stream: `ready`, then `output` messages, each a batch of the
 * log's lines as agent events (`{ events }`), its last `tailBytes` first and then each append,
 * until the client goes or the server closes (the watch on the file ends with the stream).
 */
export function respondLogStream(c: Context, options: LogStreamOptions): Response {
  return respondSSE(c, options.signal, async (stream, signal) => {
    await stream.writeSSE({ event: "ready", data: "{}" });
    for await (const batch of followLogLines(options.file, {
      signal,
      tailBytes: options.tailBytes,
    })) {
      const events = batch.flatMap((line) => toTailEvents(line, options.parse));
      if (events.length > 0)
        await stream.writeSSE({ event: "output", data: JSON.stringify({ events }) });
    }
  });
}

/**
 * A log line as the events a tail shows: what the agent said and did, not token counts or tool
 * output (a failed tool's aside), which can be large and which the page does not show.
 */
function toTailEvents(line: string, parse: LineParser | undefined): AgentEvent[] {
  if (parse === undefined) return line.trim() === "" ? [] : [{ type: "unknown", raw: line }];
  return parse(line).flatMap((event): AgentEvent[] => {
    if (event.type === "session" || event.type === "usage") return [];
    if (event.type !== "tool.result") return [event];
    if (!event.isError) return [];
    return [{ ...event, output: event.output?.slice(0, TOOL_ERROR_MAX_CHARS) }];
  });
}

/** Most characters of a failed tool's output a tail line carries. */
const TOOL_ERROR_MAX_CHARS = 500;
