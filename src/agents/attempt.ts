/**
 * One spawn of an agent, judged: its events are gathered as they arrive, then the exit status,
 * the events and stderr decide whether it failed and whether a retry could help.
 */
import path from "node:path";
import { AgentError, CancelledError } from "../errors.js";
import type { ProcessResult } from "../proc/run-process.js";
import { createEmptyUsage, type AgentEvent, type TokenUsage } from "./agent-event.js";
import type { ResolvedHarness } from "./harnesses.js";
import { AgentRateLimitError, isRateLimited, parseResetTime } from "./rate-limit.js";
import { createStallError, formatSeconds, type Stall } from "./stall-watch.js";

/**
 * A call its own CLI stopped for spending the whole USD cap it was given (Claude Code's
 * `error_max_budget_usd`), or whose spawns spent it all before a retry. Permanent: a retry gets
 * no more money. A team run treats it as a budget stop, not a failure of the task.
 */
export class AgentBudgetSpentError extends AgentError {
  /** What the call spent, in USD: all its spawns once dispatch throws it, this spawn in `judge`. */
  readonly costUsd: number;

  constructor(message: string, options: { costUsd: number; cause?: unknown }) {
    super(message, { isPermanent: true, cause: options.cause });
    this.costUsd = options.costUsd;
  }
}

/** What judging needs to know of the dispatch. */
export interface JudgedRequest {
  /** The agent. */
  harness: ResolvedHarness;
  /** Its timeout, for the message. */
  timeoutMs: number;
}

/** What one spawn's events said, gathered as they arrive. */
export interface Collector {
  /** Session/thread id, once announced. */
  sessionId?: string;
  /** Model, once announced. */
  model?: string;
  /** Text of the `final` event. */
  finalText: string;
  /** Last assistant text (the answer of CLIs without a final marker, like Codex). */
  lastText: string;
  /** True once a `final` event arrived. */
  hasFinal: boolean;
  /** True when the `final` event reported an error. */
  finalIsError: boolean;
  /** Errors the agent reported as fatal. */
  fatalErrors: string[];
  /** Errors it reported and recovered from (retries). */
  errors: string[];
  /** Sum of per-turn usage. */
  usage: TokenUsage;
  /** Whole-run usage, when the CLI reports one. */
  cumulative?: TokenUsage;
  /** Cost the CLI reported itself. */
  reportedCostUsd?: number;
  /** Edited files, relative to the cwd when inside it. */
  fileEdits: string[];
  /** Tool calls seen. */
  toolUses: number;
  /** Events the parser understood. */
  knownEvents: number;
  /** Lines it did not. */
  unknownLines: number;
  /** Non-fatal problems for the user. */
  warnings: string[];
}

/** An empty collector for one spawn. */
export function createCollector(): Collector {
  return {
    finalText: "",
    lastText: "",
    hasFinal: false,
    finalIsError: false,
    fatalErrors: [],
    errors: [],
    usage: createEmptyUsage(),
    fileEdits: [],
    toolUses: 0,
    knownEvents: 0,
    unknownLines: 0,
    warnings: [],
  };
}

/** Folds one event into the collector. */
export function collect(seen: Collector, event: AgentEvent, cwd: string): void {
  if (event.type === "unknown") {
    seen.unknownLines += 1;
    return;
  }
  seen.knownEvents += 1;
  switch (event.type) {
    case "session":
      seen.sessionId = event.sessionId;
      if (event.model !== undefined) seen.model = event.model;
      break;
    case "text":
      seen.lastText = event.text;
      break;
    case "tool.use":
      seen.toolUses += 1;
      break;
    case "tool.result":
      break;
    case "file.edit": {
      // Agents mix absolute and cwd-relative paths (Claude's Write vs Edit); count each file once.
      const file = getWorkspacePath(cwd, event.path);
      if (!seen.fileEdits.includes(file)) seen.fileEdits.push(file);
      break;
    }
    case "usage":
      if (event.isCumulative) seen.cumulative = event.usage;
      else addUsage(seen.usage, event.usage);
      if (event.costUsd !== undefined)
        seen.reportedCostUsd = (seen.reportedCostUsd ?? 0) + event.costUsd;
      break;
    case "final":
      seen.hasFinal = true;
      seen.finalText = event.text;
      seen.finalIsError = event.isError;
      break;
    case "error":
      if (event.isFatal) seen.fatalErrors.push(event.message);
      else seen.errors.push(event.message);
      break;
  }
}

/**
 * Decides whether an attempt failed, and whether a retry could help. `stall` is what the stall
 * watch saw when it killed the spawn (terminationReason "stalled").
 */
export function judge(
  request: JudgedRequest,
  seen: Collector,
  result: ProcessResult,
  stall?: Stall,
): { failure?: AgentError | CancelledError; finalText: string; usage: TokenUsage } {
  const name = request.harness.spec.name;
  const finalText = seen.hasFinal ? seen.finalText : seen.lastText;
  const usage = seen.cumulative ?? seen.usage;
  const base = { finalText, usage };
  const detail = (): string =>
    firstNonEmpty(
      seen.fatalErrors.at(-1),
      seen.finalIsError ? seen.finalText : undefined,
      seen.errors.at(-1),
      lastLine(result.stderrTail),
    ) ?? "no error message";
  switch (result.terminationReason) {
    case "aborted":
      return {
        ...base,
        failure: new CancelledError(`${name} was stopped (its process group was killed).`),
      };
    case "timeout":
      return {
        ...base,
        failure: new AgentError(
          `${name} timed out after ${formatSeconds(request.timeoutMs)}; its process group was killed. If it needs longer, raise --timeout (also accepted with --resume) or dispatch.timeoutSec.`,
          { isPermanent: true },
        ),
      };
    case "stalled":
      return {
        ...base,
        failure: createStallError(
          name,
          stall ?? { kind: "silent", description: "no progress", hint: "" },
        ),
      };
    case "signal":
      return {
        ...base,
        failure: new AgentError(
          `${name} was killed by ${result.signal ?? "a signal"}: ${detail()}`,
        ),
      };
    case "exit":
      break;
  }
  let message: string | undefined;
  if (result.exitCode !== 0)
    message = `${name} exited with code ${String(result.exitCode)}: ${detail()}`;
  else if (seen.fatalErrors.length > 0 || seen.finalIsError)
    message = `${name} reported an error: ${detail()}`;
  else if (
    seen.knownEvents === 0 &&
    seen.unknownLines > 0 &&
    request.harness.spec.parser !== "plain"
  )
    message = `${name} printed no ${request.harness.spec.parser} events (${seen.unknownLines} unreadable lines); see agent.log.`;
  else if (request.harness.spec.isFinalRequired && !seen.hasFinal)
    message = `${name} ended without a result (interrupted or crashed); see agent.log.`;
  if (message === undefined) return base;
  // Checked before isTransient, which matches 429s too: a limit pauses the whole harness.
  if (isRateLimited(message)) {
    const resetAtMs = parseResetTime(message, Date.now());
    return { ...base, failure: new AgentRateLimitError(message, { resetAtMs }) };
  }
  if (message.includes(BUDGET_SPENT_SUBTYPE)) {
    const failure = new AgentBudgetSpentError(`${message}${getHint(message)}`, {
      costUsd: seen.reportedCostUsd ?? 0,
    });
    return { ...base, failure };
  }
  const isPermanent = !isTransient(message);
  return { ...base, failure: new AgentError(`${message}${getHint(message)}`, { isPermanent }) };
}

/** Claude Code's result subtype for a run that reached its `--max-budget-usd`. */
const BUDGET_SPENT_SUBTYPE = "error_max_budget_usd";

/** Known failures whose fix is not obvious from the agent's own words. */
function getHint(message: string): string {
  if (message.includes(BUDGET_SPENT_SUBTYPE)) {
    return " (it spent the USD cap this call was given, maxBudgetUsd: give the step a larger one or a smaller task.)";
  }
  if (message.includes("root/sudo privileges")) {
    return " (Claude Code refuses to skip permission prompts as root: run bosun as a normal user, or set IS_SANDBOX=1 if this machine is a throwaway sandbox.)";
  }
  return "";
}

const TRANSIENT =
  /\b(429|500|502|503|504|529)\b|rate.?limit|overloaded|temporar|timed? ?out|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|socket hang up|network|reconnect/i;

/** True when the failure text looks like something a later retry could get past. */
export function isTransient(message: string): boolean {
  return TRANSIENT.test(message);
}

/** Adds token counts into `into`. */
export function addUsage(into: TokenUsage, add: TokenUsage): void {
  into.inputTokens += add.inputTokens;
  into.cachedInputTokens += add.cachedInputTokens;
  into.outputTokens += add.outputTokens;
}

function getWorkspacePath(cwd: string, file: string): string {
  const absolute = path.resolve(cwd, file);
  const relative = path.relative(cwd, absolute);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative)
    ? absolute
    : relative;
}

function firstNonEmpty(...values: Array<string | undefined>): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== "")?.trim();
}

function lastLine(text: string): string | undefined {
  const lines = text.trim().split("\n");
  return lines.slice(-3).join(" | ").slice(0, 500) || undefined;
}
