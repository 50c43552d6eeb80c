/**
 * The shape of the pulse's status, apart from its reader (pulse-status.ts) so the contract's
 * schemas (`bosun _ schema`) load zod and the store's schemas only, not the loop.
 */
import { z } from "zod";
import { SensorReadingSchema } from "../../store/schema/pulse.js";
import {
  PulseActionRecordSchema,
  PulseDecisionRecordSchema,
} from "../../store/schema/pulse-record.js";

/** The decision held for a human: its record, each move with its one-line description. */
export const HeldDecisionSchema = PulseDecisionRecordSchema.extend({
  actions: z.array(
    PulseActionRecordSchema.extend({
      /** The move in one line, as the journal says it (`delete old.txt`, `run \`make\``). */
      description: z.string(),
    }),
  ),
});

/** The decision held for a human, its moves described. */
export type HeldDecision = z.infer<typeof HeldDecisionSchema>;

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
  heldDecision: HeldDecisionSchema.nullable(),
  workers: z.array(z.object({ id: z.string(), health: z.string(), summary: z.string() })),
  openAsks: z.array(
    z.object({ id: z.string(), question: z.string(), options: z.array(z.string()) }),
  ),
  /** journal.md's last lines. */
  journalTail: z.array(z.string()),
});

/** The pulse's state. */
export type PulseStatus = z.infer<typeof PulseStatusSchema>;
