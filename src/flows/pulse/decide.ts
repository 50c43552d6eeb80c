/**
 * The pulse's decide step: one brain call on the world, its reply checked against the decision
 * schema. An invalid reply gets one re-prompt quoting the exact error; a second invalid one is
 * a failed decision (the beat then takes no move). A provider limit comes back at once as
 * `rate_limited`, never waited out inside the call: the daemon keeps sensing meanwhile.
 */
import path from "node:path";
import type { AgentEvent } from "../../agents/agent-event.js";
import { AgentBudgetSpentError } from "../../agents/attempt.js";
import type { AgentRunner, DispatchResult, PriceTable } from "../../agents/dispatch.js";
import {
  createHarnessPauses,
  type HarnessPause,
  type HarnessPauses,
} from "../../agents/harness-pause.js";
import { resolveHarness, type ResolvedHarness } from "../../agents/harnesses.js";
import { AgentRateLimitError } from "../../agents/rate-limit.js";
import { CancelledError, getErrorMessage } from "../../errors.js";
import { formatIssues } from "../../store/json-file.js";
import { parseJsonReply } from "../../store/json-reply.js";
import {
  createPulseDecisionSchema,
  type PulseDecision,
} from "../../store/schema/pulse-decision.js";
import type { Config } from "../../store/schema/config.js";
import type { PulseBrainCall } from "../../store/schema/pulse-record.js";
import { buildBrainPrompt, capBytes, wrapData, type BrainWorld } from "./brain-prompt.js";
import { PULSE_PROCESS_VARS } from "./pulse-env.js";

/** What one decide step needs. */
export interface DecideInput {
  /** The brain's harness (config `pulse.brain`, its model applied). */
  harness: ResolvedHarness;
  /** Runs the call: `dispatch`, or a fake in tests. */
  runner: AgentRunner;
  world: BrainWorld;
  /** Moves one decision may hold. */
  maxActions: number;
  /** The repository root: the brain may read it, it is told not to change it. */
  cwd: string;
  /** prompt.md and the live agent.log of attempt 1; a re-prompt's go to `<logDir>/attempt-2`. */
  logDir: string;
  /** Per attempt. */
  timeoutMs: number;
  prices?: PriceTable;
  signal?: AbortSignal;
  /**
   * The daemon's provider pauses: a harness paused here is not called at all, and a limit the
   * call meets pauses it here, for the daemon to read the reset from.
   */
  pauses?: HarnessPauses;
  /** Called when this call starts or extends its harness's pause (to journal it). */
  onPause?: (pause: HarnessPause) => void | Promise<void>;
  /** Every event of the agent as it arrives. */
  onEvent?: (event: AgentEvent) => void;
  /** Extra env for the brain's CLI (wins over the brain defaults below). */
  env?: Readonly<Record<string, string>>;
  /** TERM→KILL grace of the agent (tests). */
  graceMs?: number;
}

/** A checked decision, or why there is none; `call` either way. */
export type DecideResult =
  | { ok: true; decision: PulseDecision; call: PulseBrainCall }
  | {
      ok: false;
      /** invalid: two replies that were not a decision; failed: the call itself failed; rate_limited: a provider limit. */
      reason: "invalid" | "failed" | "rate_limited";
      error: string;
      call: PulseBrainCall;
      /**
       * rate_limited: when to call the brain again (epoch ms): the provider's reset when it said,
       * else the end of the backoff `pauses` chose.
       */
      resetAtMs?: number;
    };

/**
 * Env the brain's CLI gets unless config sets the variable for the harness. Claude Code retries
 * a 429 itself, ten times by default, sleeping out a `retry-after` of up to a minute each time
 * (checked in its 2.1.197 bundle; with `CLAUDE_CODE_RETRY_WATCHDOG` set it would even wait up to
 * six hours). The brain must not sit a limit out inside its call, so its CLI makes one request
 * and fails: the loop itself is the retry, a beat later.
 */
export const BRAIN_HARNESS_ENV: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  claude: { CLAUDE_CODE_MAX_RETRIES: "0" },
};

/**
 * Claude Code's tools that change anything: the brain runs without them. It decides, it does not
 * act; and it reads untrusted sensor output, so a prompt is not enough to keep it from acting.
 */
const CLAUDE_WRITE_TOOLS = "Bash,Edit,Write,MultiEdit,NotebookEdit";

/** pi's tools that only read (`pi --help`: its read-only mode). */
const PI_READ_TOOLS = "read,grep,find,ls";

/**
 * The brain's harness (`pulse.brain`, its model applied), made read-only where its CLI can be:
 * Claude Code without its writing tools, Codex in its read-only sandbox instead of none, pi with
 * its reading tools alone. Other CLIs keep their headless flags; the constitution still tells
 * them not to act, and the gate still stands between their reply and any effect.
 */
export function resolveBrainHarness(config: Config): ResolvedHarness {
  const harness = resolveHarness(config.pulse.brain, config.agents);
  if (config.pulse.brainModel !== "") harness.model = config.pulse.brainModel;
  if (harness.spec.name === "claude")
    return {
      ...harness,
      extraArgs: [...harness.extraArgs, "--disallowedTools", CLAUDE_WRITE_TOOLS],
    };
  if (harness.spec.name === "pi")
    // Last, so it wins over a --tools the user's own args may give.
    return { ...harness, extraArgs: [...harness.extraArgs, "--tools", PI_READ_TOOLS] };
  if (harness.spec.name === "codex") {
    const readOnly = (args: readonly string[]): string[] =>
      args.flatMap((arg) =>
        arg === "--dangerously-bypass-approvals-and-sandbox" ? ["--sandbox", "read-only"] : [arg],
      );
    return {
      ...harness,
      spec: {
        ...harness.spec,
        headlessArgs: readOnly(harness.spec.headlessArgs),
        ...(harness.spec.resumeArgs === undefined
          ? {}
          : { resumeArgs: readOnly(harness.spec.resumeArgs) }),
      },
    };
  }
  return harness;
}

/** The most of an invalid reply quoted back in the re-prompt. */
const REJECTED_REPLY_MAX_BYTES = 4096;

/** Runs the brain once (twice after an invalid reply) and returns its checked decision. */
export async function decide(input: DecideInput): Promise<DecideResult> {
  const startedAt = performance.now();
  const name = input.harness.spec.name;
  const prompt = buildBrainPrompt(input.world, { maxActions: input.maxActions });
  const promptBytes = Buffer.byteLength(prompt.text, "utf8");
  const schema = createPulseDecisionSchema(input.maxActions);
  const spent = {
    attempts: 0,
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    model: input.harness.model,
  };
  const getCall = (): PulseBrainCall => ({
    harness: name,
    ...(spent.model === "" ? {} : { model: spent.model }),
    // The world's prompt, as bounded by buildBrainPrompt; a re-prompt adds its rejection note.
    promptBytes,
    promptTokens: Math.ceil(promptBytes / 4),
    inputTokens: spent.inputTokens,
    outputTokens: spent.outputTokens,
    costUsd: Math.round(spent.costUsd * 1e6) / 1e6,
    durationMs: Math.round(performance.now() - startedAt),
    // The schema counts from 1: a harness found paused before any call reports one attempt.
    attempts: Math.max(1, spent.attempts),
    logDir: input.logDir,
  });
  let text = prompt.text;
  let error = "";
  for (const attempt of [1, 2]) {
    // Paused by a limit met earlier: do not call into it, and do not wait for it here.
    const paused = input.pauses?.getPause(name);
    if (paused !== undefined) return getRateLimited(name, paused, getCall());
    spent.attempts = attempt;
    let result: DispatchResult;
    try {
      result = await input.runner({
        harness: input.harness,
        prompt: text,
        cwd: input.cwd,
        logDir: attempt === 1 ? input.logDir : path.join(input.logDir, `attempt-${attempt}`),
        timeoutMs: input.timeoutMs,
        env: getBrainEnv(input),
        // No retries, and pauses of this call's own: with both, dispatch throws a limit at once
        // instead of waiting for the pause before a next spawn (it waits only to retry, and
        // only on the pauses it is given). The limit is copied into the daemon's pauses below.
        retry: { retries: 0, baseMs: 0, capMs: 0 },
        pauses: createHarnessPauses(),
        ...(input.prices === undefined ? {} : { prices: input.prices }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
        ...(input.onEvent === undefined ? {} : { onEvent: input.onEvent }),
        ...(input.graceMs === undefined ? {} : { graceMs: input.graceMs }),
      });
    } catch (caught) {
      // The daemon going down: not the brain's failure.
      if (caught instanceof CancelledError) throw caught;
      if (caught instanceof AgentBudgetSpentError) spent.costUsd += caught.costUsd;
      if (caught instanceof AgentRateLimitError) {
        const pause = await recordPause(input, name, caught);
        return {
          ok: false,
          reason: "rate_limited",
          error: caught.message,
          call: getCall(),
          ...(pause === undefined ? {} : { resetAtMs: pause.until.getTime() }),
        };
      }
      return { ok: false, reason: "failed", error: getErrorMessage(caught), call: getCall() };
    }
    spent.costUsd += result.costUsd;
    spent.inputTokens += result.tokens.inputTokens;
    spent.outputTokens += result.tokens.outputTokens;
    if (result.model !== undefined) spent.model = result.model;
    const checked = parseDecision(result.finalText, schema);
    if (checked.ok) return { ok: true, decision: checked.decision, call: getCall() };
    error = checked.error;
    text = `${prompt.text}\n${renderRejection(error, result.finalText)}`;
  }
  return {
    ok: false,
    reason: "invalid",
    error: `The brain's reply was not a valid decision twice; the last error: ${error}`,
    call: getCall(),
  };
}

/** The brain's reply as a decision, or the exact reason it is not one (quoted back to it). */
export function parseDecision(
  text: string,
  schema: ReturnType<typeof createPulseDecisionSchema>,
): { ok: true; decision: PulseDecision } | { ok: false; error: string } {
  const json = parseJsonReply(text);
  if (!json.ok) return json;
  const result = schema.safeParse(json.value);
  if (result.success) return { ok: true, decision: result.data };
  return {
    ok: false,
    error: `the reply is not a decision in the format above: ${formatIssues(result.error.issues)}`,
  };
}

/** The note a re-prompt ends with: the exact error and what was sent, as data. */
function renderRejection(error: string, reply: string): string {
  const quoted = capBytes(reply, REJECTED_REPLY_MAX_BYTES).text;
  return [
    "# Your previous reply was rejected",
    "",
    error,
    "",
    "It was:",
    "",
    wrapData("previous-reply", "untrusted", quoted),
    "",
    "Reply again with one JSON object in the format above, and nothing else.",
    "",
  ].join("\n");
}

/** Config's env for the harness wins over the brain defaults; the caller's over both. */
function getBrainEnv(input: DecideInput): Record<string, string> {
  const defaults = BRAIN_HARNESS_ENV[input.harness.spec.name] ?? {};
  const kept = Object.entries(defaults).filter(([key]) => !Object.hasOwn(input.harness.env, key));
  // Marks the brain's CLI (and what its tools run) as the pulse's own: it may not approve.
  return { ...Object.fromEntries(kept), [PULSE_PROCESS_VARS.brain]: "1", ...input.env };
}

/**
 * Pauses the harness in the daemon's pauses (until the reset when the provider said, else a
 * backoff) and tells `onPause` when that started or extended the pause.
 */
async function recordPause(
  input: DecideInput,
  name: string,
  limit: AgentRateLimitError,
): Promise<HarnessPause | undefined> {
  if (input.pauses === undefined) {
    return limit.resetAtMs === undefined
      ? undefined
      : { harness: name, until: new Date(limit.resetAtMs), reason: limit.message };
  }
  const { pause, isNew } = input.pauses.pause(name, {
    resetAtMs: limit.resetAtMs,
    reason: limit.message,
  });
  if (isNew) await input.onPause?.(pause);
  return pause;
}

function getRateLimited(name: string, pause: HarnessPause, call: PulseBrainCall): DecideResult {
  return {
    ok: false,
    reason: "rate_limited",
    error: `${name} is paused until ${pause.until.toISOString()} by a provider limit (${pause.reason}); the brain waits while sensing goes on.`,
    call,
    resetAtMs: pause.until.getTime(),
  };
}
