/**
 * Stall detection for one spawn of an agent: silence, one tool call that never returns, and the
 * same tool call failing again and again. One timer per spawn, re-armed on every stdout line.
 */
import { AgentError } from "../errors.js";
import type { AgentEvent } from "./agent-event.js";

/**
 * Which stall signal fired: `silent` (no output line), `tool_hung` (one tool call open with no
 * output after it), `tool_failing` (the same call failed again and again in a row).
 */
export type StallKind = "silent" | "tool_hung" | "tool_failing";

/** What a stall watch looks for; 0 turns a signal off. */
export interface StallLimits {
  /** Longest time without an output line while no tool call is open. */
  stallTimeoutMs: number;
  /** Longest time without an output line while a tool call is open (replaces the one above). */
  toolCallTimeoutMs: number;
  /** Failures in a row of the same tool with the same input that count as a stall. */
  repeatedToolFailures: number;
}

/** A stall that fired. */
export interface Stall {
  /** The signal. */
  kind: StallKind;
  /** What was seen, e.g. "no output for 300s". */
  description: string;
  /** What to change if the agent was in fact working. */
  hint: string;
}

/**
 * Defaults. The tool-call limit is larger than the silence limit because a tool call is silent by
 * nature (a test suite, a build), and it is 900 s because Claude Code's Bash tool stops a command
 * at 10 minutes at most (BASH_MAX_TIMEOUT_MS): a call still open 5 minutes after that is one the
 * agent's own limit did not end, like a command that left a server holding its stdout.
 */
export const DEFAULT_STALL_LIMITS: StallLimits = {
  stallTimeoutMs: 300_000,
  toolCallTimeoutMs: 900_000,
  repeatedToolFailures: 4,
};

/** The agent stalled and bosun killed it. Transient: a fresh spawn may well get past it. */
export class AgentStallError extends AgentError {
  /** The signal that fired. */
  readonly kind: StallKind;

  constructor(message: string, kind: StallKind) {
    super(message, { isPermanent: false });
    this.kind = kind;
  }
}

/** Watches one spawn's output; `onStall` is called at most once. */
export interface StallWatch {
  /** Call for every stdout line, with the events parsed from it (possibly none). */
  observe(events: readonly AgentEvent[]): void;
  /** Stops the timer (the spawn ended). */
  stop(): void;
}

/** A tool call the agent started and has not seen the result of. */
interface OpenCall {
  id: string | undefined;
  tool: string;
  summary: string;
}

/** Starts watching a spawn that has just started; the silence limit counts from now. */
export function createStallWatch(limits: StallLimits, onStall: (stall: Stall) => void): StallWatch {
  const open: OpenCall[] = [];
  const calls = new Map<string, OpenCall>();
  let lastCall: OpenCall | undefined;
  let failureKey = "";
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let armedMs = 0;
  let hasFired = false;

  const fire = (stall: Stall): void => {
    if (hasFired) return;
    hasFired = true;
    stop();
    onStall(stall);
  };
  const fireTimer = (): void => {
    timer = undefined;
    const call = open.at(-1);
    if (call === undefined) {
      fire({
        kind: "silent",
        description: `no output for ${formatSeconds(limits.stallTimeoutMs)}`,
        hint: "If it is slow but working, raise dispatch.stallTimeoutSec (0 turns this check off).",
      });
    } else {
      fire({
        kind: "tool_hung",
        description: `one tool call (${describeCall(call)}) ran for ${formatSeconds(limits.toolCallTimeoutMs)} with no output`,
        hint: "If such a call can take that long, raise dispatch.toolCallTimeoutSec (0 turns this check off).",
      });
    }
  };
  /** One timer: the silence limit, or the tool-call limit while a call is open. */
  const arm = (): void => {
    const ms = open.length > 0 ? limits.toolCallTimeoutMs : limits.stallTimeoutMs;
    if (timer !== undefined && ms === armedMs) {
      timer.refresh();
      return;
    }
    stop();
    armedMs = ms;
    if (ms > 0) timer = setTimeout(fireTimer, ms);
  };
  function stop(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  const noteEvent = (event: AgentEvent): void => {
    switch (event.type) {
      case "tool.use": {
        const call = { id: event.id, tool: event.tool, summary: event.summary };
        open.push(call);
        if (event.id !== undefined) calls.set(event.id, call);
        lastCall = call;
        break;
      }
      case "tool.result": {
        const call = closeCall(event.id);
        if (!event.isError) {
          failures = 0;
          break;
        }
        // A result bosun cannot match to its call still fails something; it counts on its own.
        const key = call === undefined ? "" : `${call.tool}\u0000${call.summary}`;
        failures = key !== "" && key === failureKey ? failures + 1 : 1;
        failureKey = key;
        if (
          call !== undefined &&
          limits.repeatedToolFailures > 0 &&
          failures >= limits.repeatedToolFailures
        ) {
          fire({
            kind: "tool_failing",
            description: `the same tool call (${describeCall(call)}) failed ${failures} times in a row`,
            hint: "If retrying it is the right thing to do, raise dispatch.repeatedToolFailures (0 turns this check off).",
          });
        }
        break;
      }
      case "text":
      case "final":
        // The model speaks only once it has the results of its calls: none is still running.
        open.length = 0;
        calls.clear();
        break;
      case "session":
      case "file.edit":
      case "usage":
      case "error":
      case "unknown":
        break;
    }
  };
  /** The call a result belongs to: by id, else the latest one still open (or the latest at all). */
  const closeCall = (id: string | undefined): OpenCall | undefined => {
    const byId = id === undefined ? undefined : calls.get(id);
    if (id !== undefined) calls.delete(id);
    const call = byId ?? open.at(-1) ?? lastCall;
    const index = call === undefined ? -1 : open.lastIndexOf(call);
    if (index >= 0) open.splice(index, 1);
    return call;
  };

  arm();
  return {
    observe(events) {
      if (hasFired) return;
      for (const event of events) noteEvent(event);
      if (!hasFired) arm();
    },
    stop,
  };
}

/** The AgentError for a stall of harness `name`. */
export function createStallError(name: string, stall: Stall): AgentStallError {
  return new AgentStallError(
    `${name} stalled: ${stall.description}; its process group was killed. ${stall.hint}`,
    stall.kind,
  );
}

const MAX_SUMMARY_CHARS = 80;

function describeCall(call: OpenCall): string {
  const summary =
    call.summary.length > MAX_SUMMARY_CHARS
      ? `${call.summary.slice(0, MAX_SUMMARY_CHARS - 1)}…`
      : call.summary;
  return summary === "" ? call.tool : `${call.tool}: ${summary}`;
}

/** A duration for messages: "2.5s" under ten seconds, "300s" above. */
export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
