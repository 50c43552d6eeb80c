/**
 * What the pulse keeps about itself: each decision's write-ahead record (every move's gate and
 * outcome, so a crash mid-act neither loses nor repeats a move) and the loop's own memory (the
 * world it last decided on, budgets spent, backoff). Plain JSON a human can read.
 */
import { z } from "zod";
import { SafeIdSchema } from "./ids.js";
import { PulseActionSchema } from "./pulse-decision.js";

/**
 * How the gate sorted a move: `run` it, `ask` a human first (prepared, then asked), or `block`
 * it outright (the deny-list's tripwire).
 */
export const PULSE_GATE_VERDICTS = ["run", "ask", "block"] as const;

/** How the gate sorted a move. */
export type PulseGateVerdict = (typeof PULSE_GATE_VERDICTS)[number];

/**
 * Where one move stands. `awaiting`: asked, no answer yet; `approved`: a human said yes, not yet
 * started; `started`: written before its side effect began (a crash leaves it `started`, and a
 * restart marks it `interrupted` for a human instead of firing it again); `done` / `failed`:
 * finished; `rejected`: a human said no; `blocked`: the tripwire refused it.
 */
export const PULSE_ACTION_STATUSES = [
  "pending",
  "awaiting",
  "approved",
  "started",
  "done",
  "failed",
  "rejected",
  "blocked",
  "interrupted",
] as const;

/** Where one move stands. */
export type PulseActionStatus = (typeof PULSE_ACTION_STATUSES)[number];

/** One move of a decision and what became of it. */
export const PulseActionRecordSchema = z.object({
  /** 1-based, as `bosun pulse approve D --only 1,3` names it. */
  index: z.number().int().positive(),
  action: PulseActionSchema,
  gate: z.enum(PULSE_GATE_VERDICTS),
  /** Why the gate sorted it so, in one line. */
  gateReason: z.string(),
  status: z.enum(PULSE_ACTION_STATUSES),
  /** What it did, in one line (a run id, a worker id, a command's exit). */
  result: z.string().optional(),
  /** Why it failed, in one line. */
  error: z.string().optional(),
  /** ISO times. */
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Who approved or rejected it, and through which channel. */
  decidedBy: z.string().optional(),
});

/** One move of a decision and what became of it. */
export type PulseActionRecord = z.infer<typeof PulseActionRecordSchema>;

/** What the brain call cost and how big its prompt was. */
export const PulseBrainCallSchema = z.object({
  harness: z.string(),
  model: z.string().optional(),
  /** The prompt's size in bytes (UTF-8) and its estimated tokens (bytes / 4). */
  promptBytes: z.number().int().nonnegative(),
  promptTokens: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** 1, or 2 after a re-prompt for an invalid reply. */
  attempts: z.number().int().positive(),
  /** The folder holding prompt.md and the live agent.log. */
  logDir: z.string(),
});

/** What the brain call cost. */
export type PulseBrainCall = z.infer<typeof PulseBrainCallSchema>;

/** One decision: the brain's (or a human's `bosun _ run`) moves, gated, each with its outcome. */
export const PulseDecisionRecordSchema = z.object({
  version: z.literal(1),
  /** `D-20261203-134501-ab12`. */
  id: SafeIdSchema,
  createdAt: z.string(),
  source: z.enum(["brain", "human"]),
  /** The world hash the decision was made on. */
  worldHash: z.string(),
  critique: z.string(),
  /** The brain asked to decide again after this long even if nothing changes. */
  nextIntervalSec: z.number().positive().optional(),
  /** The ask a human answers to approve or reject the moves the gate held back. */
  askId: SafeIdSchema.optional(),
  brain: PulseBrainCallSchema.optional(),
  actions: z.array(PulseActionRecordSchema),
});

/** One decision. */
export type PulseDecisionRecord = z.infer<typeof PulseDecisionRecordSchema>;

/** The loop's own memory between beats (`.bosun/pulse/state.json`). */
export const PulseStateSchema = z.object({
  version: z.literal(1),
  /** Beats taken since the state was created. */
  beats: z.number().int().nonnegative(),
  /** The world hash the last decision (or skip) saw. */
  lastWorldHash: z.string().optional(),
  /** The newest decision: its snapshot is what the next decision is told changed since. */
  lastDecisionId: z.string().optional(),
  /** When the brain last decided, and when its last decision was a noop (ms since the epoch). */
  lastDecisionAtMs: z.number().int().nonnegative().optional(),
  lastNoopAtMs: z.number().int().nonnegative().optional(),
  /** A move asked to decide again at this time even if nothing changed. */
  redecideAtMs: z.number().int().nonnegative().optional(),
  /** The brain failures in a row (invalid twice, crashed, timed out) and the backoff they earn. */
  consecutiveFailures: z.number().int().nonnegative(),
  backoffUntilMs: z.number().int().nonnegative().optional(),
  lastFailure: z.object({ atMs: z.number().int().nonnegative(), message: z.string() }).optional(),
  /** The provider said its quota resets then: the brain waits, sensing goes on. */
  quotaResetAtMs: z.number().int().nonnegative().optional(),
  /** Start times of brain calls in the last hour (the hourly cap). */
  brainCallTimesMs: z.array(z.number().int().nonnegative()),
  /** USD spent by UTC day (`2026-12-03`), the daily cap; only the last few days kept. */
  spendUsdByDay: z.record(z.string(), z.number().nonnegative()),
  /**
   * The folder of the brain call under way (written before it starts): a daemon killed mid-call
   * leaves the brain's CLI running, and the next beat ends it from its pid file there.
   */
  brainLogDir: z.string().optional(),
  /** Signals of each sensor over its last readings, to spot a flapping one. */
  signalHistory: z.record(z.string(), z.array(z.string())).optional(),
});

/** The loop's memory. */
export type PulseState = z.infer<typeof PulseStateSchema>;

/** A fresh loop's memory. */
export function createPulseState(): PulseState {
  return { version: 1, beats: 0, consecutiveFailures: 0, brainCallTimesMs: [], spendUsdByDay: {} };
}
