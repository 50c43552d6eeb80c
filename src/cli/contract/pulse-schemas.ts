/**
 * The pulse's outputs in the machine contract: `bosun _ state` (what `bosun pulse status --json`
 * prints too), `bosun _ wait --actionable`, `bosun _ decision approve|reject` and
 * `bosun _ run -- CMD`. Spread into CONTRACT_OUTPUTS (schemas.ts).
 */
import { z } from "zod";
import { SensorReadingSchema } from "../../store/schema/pulse.js";
import { PulseDecisionRecordSchema } from "../../store/schema/pulse-record.js";

const envelope = { contract: z.literal(1) };

/** The pulse's state: daemon, budgets, readings, goals, the held decision, workers, asks, journal. */
export const PulseStatusSchema = z.object({
  daemon: z.object({
    isRunning: z.boolean(),
    pid: z.number().int().nullable(),
    startedAt: z.string().nullable(),
    lastBeatAt: z.string().nullable(),
    /** What the last beat did, in one line. */
    lastBeat: z.string().nullable(),
    nextBeatAt: z.string().nullable(),
    /** bosun's CLI file changed after the daemon started: it runs the old code (restart it). */
    isStale: z.boolean(),
  }),
  isPaused: z.boolean(),
  /** manual, auto or full. */
  approval: z.string(),
  beats: z.number().int().nonnegative(),
  brain: z.object({
    harness: z.string(),
    callsLastHour: z.number().int().nonnegative(),
    callsPerHour: z.number().int().nonnegative(),
    spentTodayUsd: z.number().nonnegative(),
    budgetUsdPerDay: z.number().nonnegative(),
    consecutiveFailures: z.number().int().nonnegative(),
    lastFailure: z.string().nullable(),
    backoffUntil: z.string().nullable(),
    quotaResetAt: z.string().nullable(),
  }),
  readings: z.array(SensorReadingSchema),
  goals: z.array(z.object({ id: z.string(), text: z.string() })),
  /** The decision whose moves wait for a human (one at a time). */
  heldDecision: PulseDecisionRecordSchema.nullable(),
  workers: z.array(z.object({ id: z.string(), health: z.string(), summary: z.string() })),
  openAsks: z.array(
    z.object({ id: z.string(), question: z.string(), options: z.array(z.string()) }),
  ),
  /** journal.md's last lines. */
  journalTail: z.array(z.string()),
});

/** The pulse's state. */
export type PulseStatus = z.infer<typeof PulseStatusSchema>;

/** Exit code of `wait --actionable` when the daemon is not running (nothing will change by itself). */
export const DAEMON_DOWN_EXIT_CODE = 3;

/** The pulse's contract outputs. */
export const PULSE_CONTRACT_OUTPUTS = {
  /** `bosun _ state`: the pulse's state. */
  state: z.object({ ...envelope, state: PulseStatusSchema }),
  /**
   * `bosun _ wait --actionable`: something needs a human or a concierge (exit 0), the daemon is
   * down (exit 3), or --timeout passed (exit 124).
   */
  actionable: z.object({
    ...envelope,
    /** Why it returned. */
    reason: z.enum(["actionable", "daemon-down", "timeout"]),
    /** Asks waiting for an answer. */
    openAsks: z.array(
      z.object({ id: z.string(), question: z.string(), options: z.array(z.string()) }),
    ),
    /** The decision whose moves wait for approval. */
    heldDecision: PulseDecisionRecordSchema.nullable(),
    isDaemonRunning: z.boolean(),
  }),
  /** `bosun _ decision approve|reject D [--only 1,3]` and `bosun _ run -- CMD`: the decision as it stands. */
  decision: z.object({ ...envelope, decision: PulseDecisionRecordSchema }),
} as const;
