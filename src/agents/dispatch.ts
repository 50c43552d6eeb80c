/**
 * dispatch(): one agent, one prompt, one directory. Writes the prompt to a file, spawns the
 * harness through the one spawn path, turns stdout into AgentEvents, keeps the raw stream in
 * agent.log, kills a stalled agent, waits out its harness's provider pauses, and retries
 * transient failures with capped exponential backoff.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  AgentError,
  AgentNotFoundError,
  CancelledError,
  UsageError,
  isNodeError,
} from "../errors.js";
import { killSpawnFromPidFile } from "../proc/pid-file.js";
import { DEFAULT_GRACE_MS, startProcess, type ProcessResult } from "../proc/run-process.js";
import { createEmptyUsage, type AgentEvent, type TokenUsage } from "./agent-event.js";
import { AgentBudgetSpentError, addUsage, collect, createCollector, judge } from "./attempt.js";
import { buildHeadlessArgv, type ResolvedHarness } from "./harnesses.js";
import { createHarnessPauses, type HarnessPause, type HarnessPauses } from "./harness-pause.js";
import { getLineParser } from "./line-parsers.js";
import { AgentRateLimitError } from "./rate-limit.js";
import { DEFAULT_STALL_LIMITS, createStallWatch, type Stall } from "./stall-watch.js";

/** Token prices for estimating cost (structurally the config's `prices`). */
export type PriceTable = Readonly<
  Record<
    string,
    { inputPerMTok: number; cachedInputPerMTok?: number | undefined; outputPerMTok: number }
  >
>;

/** Retry settings. */
export interface RetryPolicy {
  /** Extra attempts after the first. */
  retries: number;
  /** First delay; doubles per retry. */
  baseMs: number;
  /** Longest delay. */
  capMs: number;
}

/** Everything one dispatch needs. */
export interface DispatchRequest {
  /** The agent to run. */
  harness: ResolvedHarness;
  /** The prompt text (written to `<logDir>/prompt.md`). */
  prompt: string;
  /** Working directory of the agent. */
  cwd: string;
  /** Directory for prompt.md, agent.log, agent.stderr.log and agent.pid. */
  logDir: string;
  /** Per-spawn timeout (0 = none). */
  timeoutMs: number;
  /** No output line for this long (no tool call open) kills the spawn as stalled (0 = off; default 300 s). */
  stallTimeoutMs?: number;
  /** No output line for this long while a tool call is open kills it (0 = off; default 900 s). */
  toolCallTimeoutMs?: number;
  /** This many failures in a row of the same tool call kill it (0 = off; default 4). */
  repeatedToolFailures?: number;
  /** USD cap of the whole call, passed to CLIs that can cap their own spend (absent = none). */
  maxBudgetUsd?: number;
  /** TERM→KILL grace. */
  graceMs?: number;
  /** Abort kills the agent's whole process group. */
  signal?: AbortSignal;
  /** Extra env for the agent (BOSUN_ROLE etc.). */
  env?: Readonly<Record<string, string>>;
  /** Retry policy (no retries when absent). */
  retry?: RetryPolicy;
  /** Resume this session instead of starting fresh (when the harness supports it). */
  sessionId?: string;
  /** Prices for CLIs that report tokens but no cost. */
  prices?: PriceTable;
  /** Called for every event as it arrives. */
  onEvent?: (event: AgentEvent) => void;
  /** Called before waiting to retry. */
  onRetry?: (info: { attempt: number; delayMs: number; message: string }) => void;
  /**
   * Provider pauses shared by every dispatch of the run (create once with createHarnessPauses);
   * without it, this call pauses only itself.
   */
  pauses?: HarnessPauses;
  /** Called (and awaited) when this call starts or extends its harness's pause, to journal it. */
  onPause?: (pause: HarnessPause) => void | Promise<void>;
  /** Injectable sleep, for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Runs one agent call: what flows depend on instead of `dispatch` itself, so a test can inject a
 * fake and a fleet a remote runner. `dispatch` is the local implementation.
 */
export type AgentRunner = (request: DispatchRequest) => Promise<DispatchResult>;

/**
 * Spawns in a row one call may spend on provider limits. They count once against the retries
 * (see dispatch); this bounds a limit that never lifts (with no reset time, the pauses between
 * them add up to about an hour).
 */
export const MAX_RATE_LIMITED_SPAWNS = 8;

/** What a successful dispatch produced. */
export interface DispatchResult {
  /** Exit code of the last spawn. */
  exitCode: number | null;
  /** Session/thread id, if the CLI reported one. */
  sessionId?: string;
  /** Model, if known. */
  model?: string;
  /** USD spent (all spawns). */
  costUsd: number;
  /** True when cost came from the price table. */
  isCostEstimated: boolean;
  /** Tokens used (all spawns). */
  tokens: TokenUsage;
  /** The agent's final text. */
  finalText: string;
  /** Wall time of all spawns and waits. */
  durationMs: number;
  /** Number of spawns (1 + retries used). */
  spawns: number;
  /** Files the agent said it edited, relative to the cwd when inside it (each file once). */
  fileEdits: string[];
  /** Tool calls seen. */
  toolUses: number;
  /** Non-fatal problems (e.g. no price for the model). */
  warnings: string[];
}

/**
 * Runs the agent, retrying transient failures. Throws AgentError / CancelledError on failure.
 *
 * Provider limits are not ordinary failures: the harness is paused (for every dispatch sharing
 * `pauses`) and the call waits for the pause before spawning again. A run of limited spawns
 * counts once against `retry.retries`, because a 429 says nothing about the task and costs
 * little; counting it at all keeps `retries: 0` meaning "one spawn".
 */
export async function dispatch(request: DispatchRequest): Promise<DispatchResult> {
  const startedAt = performance.now();
  const retry = request.retry ?? { retries: 0, baseMs: 0, capMs: 0 };
  const sleep = request.sleep ?? sleepMs;
  const pauses = request.pauses ?? createHarnessPauses();
  const name = request.harness.spec.name;
  checkBudget(request.maxBudgetUsd, name);
  const totals = { costUsd: 0, tokens: createEmptyUsage(), isCostEstimated: false };
  await mkdir(request.logDir, { recursive: true });
  const promptFile = path.join(request.logDir, "prompt.md");
  await writeFile(promptFile, request.prompt);
  let retriesUsed = 0;
  let rateLimitedSpawns = 0;
  for (let spawn = 1; ; spawn += 1) {
    await pauses.waitForResume(name, request.signal);
    const attempt = await runOnce(request, promptFile, getBudgetLeft(request, totals.costUsd));
    addCost(totals, attempt, request);
    if (attempt.failure === undefined) {
      pauses.clearBackoff(name);
      return {
        exitCode: attempt.process.exitCode,
        ...(attempt.sessionId === undefined ? {} : { sessionId: attempt.sessionId }),
        ...(attempt.model === undefined ? {} : { model: attempt.model }),
        costUsd: round6(totals.costUsd),
        isCostEstimated: totals.isCostEstimated,
        tokens: totals.tokens,
        finalText: attempt.finalText,
        durationMs: Math.round(performance.now() - startedAt),
        spawns: spawn,
        fileEdits: attempt.fileEdits,
        toolUses: attempt.toolUses,
        warnings: attempt.warnings,
      };
    }
    const { failure } = attempt;
    if (failure instanceof AgentBudgetSpentError) {
      // What the whole call spent (earlier spawns too), for the budget that settles it.
      throw new AgentBudgetSpentError(failure.message, {
        costUsd: round6(totals.costUsd),
        cause: failure,
      });
    }
    const notFound = findSessionNotFound(request, failure, attempt.process.stderrTail);
    if (notFound !== undefined) {
      // No retry brings a missing session back; the caller starts a fresh one instead.
      throw new AgentError(`${name} found no session to resume: ${notFound}`, {
        cause: failure,
        isPermanent: true,
      });
    }
    if (
      failure instanceof CancelledError ||
      (failure instanceof AgentError && failure.isPermanent)
    ) {
      throw failure;
    }
    if (failure instanceof AgentRateLimitError) {
      rateLimitedSpawns += 1;
      if (rateLimitedSpawns === 1) retriesUsed += 1;
      const { pause, isNew } = pauses.pause(name, {
        resetAtMs: failure.resetAtMs,
        reason: failure.message,
      });
      if (isNew) await request.onPause?.(pause);
      if (retriesUsed > retry.retries || rateLimitedSpawns > MAX_RATE_LIMITED_SPAWNS) throw failure;
      checkBudgetLeft(request, totals.costUsd, failure);
      const delayMs = Math.max(0, pause.until.getTime() - Date.now());
      request.onRetry?.({ attempt: spawn, delayMs, message: failure.message });
      // The wait is the pause itself, at the top of the loop.
      continue;
    }
    rateLimitedSpawns = 0;
    retriesUsed += 1;
    if (retriesUsed > retry.retries) throw failure;
    checkBudgetLeft(request, totals.costUsd, failure);
    const delayMs = Math.min(retry.capMs, retry.baseMs * 2 ** (retriesUsed - 1));
    request.onRetry?.({ attempt: spawn, delayMs, message: failure.message });
    await sleep(delayMs, request.signal);
    if (request.signal?.aborted === true) throw new CancelledError(`${name} cancelled.`);
  }
}

/**
 * What each CLI says when asked to resume a session it does not have (checked against the real
 * CLIs): Claude Code (an unknown id, or one made in another cwd or HOME), Codex `exec resume`,
 * pi. Matched apart from isTransient, which a stray word of stderr can fool (Codex warns about
 * a "temporary dir" when its home is under /tmp).
 */
const SESSION_NOT_FOUND =
  /No conversation found with session ID|--resume requires a valid session ID|no rollout found for thread id|No session found matching/i;

/**
 * When a resumed call failed because its CLI has no such session: the line that says so. Looked
 * for in stderr too, since the failure's message quotes only its last lines, which may be a
 * backtrace (Codex with RUST_BACKTRACE set).
 */
function findSessionNotFound(
  request: DispatchRequest,
  failure: AgentError | CancelledError,
  stderrTail: string,
): string | undefined {
  if ((request.sessionId ?? "") === "" || !(failure instanceof AgentError)) return undefined;
  // stderr first: its line is the CLI's own words, without the exit code before them.
  const lines = [...stderrTail.split("\n"), ...failure.message.split("\n")];
  return lines.find((line) => SESSION_NOT_FOUND.test(line))?.trim();
}

function checkBudget(maxBudgetUsd: number | undefined, name: string): void {
  if (maxBudgetUsd === undefined || (Number.isFinite(maxBudgetUsd) && maxBudgetUsd > 0)) return;
  throw new UsageError(
    `The USD cap of a ${name} call must be a number above 0, got ${String(maxBudgetUsd)}. Give a positive maxBudgetUsd, or none for no cap.`,
  );
}

/** What the cap leaves for the next spawn: retries share one cap, they do not get one each. */
function getBudgetLeft(request: DispatchRequest, spentUsd: number): number | undefined {
  return request.maxBudgetUsd === undefined ? undefined : round6(request.maxBudgetUsd - spentUsd);
}

/** Stops retrying once the spawns so far have spent the whole cap. */
function checkBudgetLeft(request: DispatchRequest, spentUsd: number, failure: AgentError): void {
  const leftUsd = getBudgetLeft(request, spentUsd);
  if (leftUsd === undefined || leftUsd > 0) return;
  throw new AgentBudgetSpentError(
    `${failure.message} (not retried: the attempts so far spent $${round6(spentUsd)}, all of this call's $${String(request.maxBudgetUsd)} cap)`,
    { cause: failure, costUsd: round6(spentUsd) },
  );
}

interface AttemptOutcome {
  process: ProcessResult;
  failure?: AgentError | CancelledError;
  sessionId?: string;
  model?: string;
  finalText: string;
  /** Cumulative usage if the CLI reported one, else the sum of per-turn usage. */
  usage: TokenUsage;
  reportedCostUsd?: number;
  fileEdits: string[];
  toolUses: number;
  warnings: string[];
}

async function runOnce(
  request: DispatchRequest,
  promptFile: string,
  budgetLeftUsd: number | undefined,
): Promise<AttemptOutcome> {
  const { harness } = request;
  const name = harness.spec.name;
  const argv = buildHeadlessArgv(harness, {
    promptFile,
    model: harness.model,
    thinking: harness.thinking,
    sessionId: request.sessionId ?? "",
    script: harness.script,
    maxBudgetUsd: budgetLeftUsd === undefined ? "" : String(budgetLeftUsd),
  });
  const handle = startProcess({
    command: argv.command,
    args: argv.args,
    cwd: request.cwd,
    env: { ...harness.env, ...request.env },
    ...(argv.isPromptOnStdin ? { stdinFile: promptFile } : {}),
    timeoutMs: request.timeoutMs,
    graceMs: request.graceMs ?? DEFAULT_GRACE_MS,
    ...(request.signal === undefined ? {} : { signal: request.signal }),
    stdoutLogFile: path.join(request.logDir, "agent.log"),
    stderrLogFile: path.join(request.logDir, "agent.stderr.log"),
    pidFile: path.join(request.logDir, "agent.pid"),
    // Agents' tools detach (Claude Code's Bash tool runs commands under setsid): track the tree.
    isTreeTracked: true,
  });

  const parse = getLineParser(harness.spec.parser);
  const seen = createCollector();
  let stall: Stall | undefined;
  const watch = createStallWatch(
    {
      stallTimeoutMs: request.stallTimeoutMs ?? DEFAULT_STALL_LIMITS.stallTimeoutMs,
      toolCallTimeoutMs: request.toolCallTimeoutMs ?? DEFAULT_STALL_LIMITS.toolCallTimeoutMs,
      repeatedToolFailures:
        request.repeatedToolFailures ?? DEFAULT_STALL_LIMITS.repeatedToolFailures,
    },
    (fired) => {
      stall = fired;
      handle.kill("stalled");
    },
  );
  try {
    for await (const line of handle.lines()) {
      const events = parse(line);
      for (const event of events) {
        collect(seen, event, request.cwd);
        request.onEvent?.(event);
      }
      watch.observe(events);
    }
  } finally {
    watch.stop();
  }
  let result: ProcessResult;
  try {
    result = await handle.result;
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") {
      return {
        ...seen,
        process: emptyResult(),
        failure: new AgentNotFoundError(argv.command, name, { cause: error }),
      };
    }
    return {
      ...seen,
      process: emptyResult(),
      failure: new AgentError(`${name} could not start: ${String(error)}`, {
        cause: error,
        isPermanent: true,
      }),
    };
  }
  // A CLI that never names its model (Codex) is priced by the model its own config names.
  const defaultModel =
    seen.model === undefined && harness.model === ""
      ? await harness.spec.readDefaultModel?.({ ...process.env, ...harness.env, ...request.env })
      : undefined;
  return {
    ...seen,
    ...(defaultModel === undefined ? {} : { model: defaultModel }),
    process: result,
    ...judge(request, seen, result, stall),
  };
}

function addCost(
  totals: { costUsd: number; tokens: TokenUsage; isCostEstimated: boolean },
  attempt: AttemptOutcome,
  request: DispatchRequest,
): void {
  addUsage(totals.tokens, attempt.usage);
  if (attempt.reportedCostUsd !== undefined) {
    totals.costUsd += attempt.reportedCostUsd;
    return;
  }
  const model = attempt.model ?? request.harness.model;
  const price = request.prices?.[model];
  if (price === undefined) {
    if (attempt.usage.inputTokens + attempt.usage.outputTokens > 0) {
      attempt.warnings.push(
        `No price for model "${model || "(default)"}" of ${request.harness.spec.name}; cost counted as 0. Set prices.<model> in bosun.yaml.`,
      );
    }
    return;
  }
  const uncached = attempt.usage.inputTokens - attempt.usage.cachedInputTokens;
  totals.costUsd +=
    (uncached * price.inputPerMTok +
      attempt.usage.cachedInputTokens * (price.cachedInputPerMTok ?? price.inputPerMTok) +
      attempt.usage.outputTokens * price.outputPerMTok) /
    1e6;
  totals.isCostEstimated = true;
}

/**
 * Kills an agent left running by a bosun process that died (kill -9) mid-dispatch, and whatever
 * its tools started, found through the agent.pid file in its log directory (TERM, then KILL after
 * `graceMs`). Returns true if something was found alive.
 */
export function killOrphanedAgent(logDir: string, graceMs = DEFAULT_GRACE_MS): Promise<boolean> {
  return killSpawnFromPidFile(path.join(logDir, "agent.pid"), graceMs);
}

function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A path relative to `cwd` when it lies inside it, else absolute. */
function emptyResult(): ProcessResult {
  return { exitCode: null, signal: null, terminationReason: "exit", durationMs: 0, stderrTail: "" };
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
