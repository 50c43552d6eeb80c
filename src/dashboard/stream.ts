/**
 * The live stream of one run as Server-Sent Events: its journal from a seq (`Last-Event-ID` on a
 * reconnect, else `?since=`), then each event as it is appended, read by `followRunEvents`
 * (fs.watch, no polling). Live-only events of runs this process drives go out as `live` events
 * without an id, so a reconnect's resume point stays the journal's seq.
 */
import type { Context } from "hono";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { getErrorMessage } from "../errors.js";
import type { BosunEvent } from "../flows/events.js";
import type { EventBus } from "../flows/event-bus.js";
import type { BosunPaths } from "../store/paths.js";
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
  const given = lastEventId ?? since ?? "0";
  if (!/^[0-9]{1,15}$/.test(given)) return undefined;
  return Number(given);
}

/** Answers with the run's SSE stream until the client goes or the server closes. */
export function respondRunStream(c: Context, options: RunStreamOptions): Response {
  return streamSSE(c, async (stream) => {
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    stream.onAbort(stop);
    options.signal.addEventListener("abort", stop);
    const heartbeat = setInterval(() => void stream.write(": heartbeat\n\n"), HEARTBEAT_MS);
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
        signal: controller.signal,
      })) {
        await stream.writeSSE({ id: String(event.seq), data: JSON.stringify(event) });
      }
    } catch (error) {
      // The journal was removed or damaged: say so once, then end the stream.
      await stream.writeSSE({
        event: "failure",
        data: JSON.stringify({ message: getErrorMessage(error) }),
      });
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
      options.signal.removeEventListener("abort", stop);
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
