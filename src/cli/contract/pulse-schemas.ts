/**
 * The pulse's outputs in the machine contract: `bosun _ state` (what `bosun pulse status --json`
 * prints too), `bosun _ wait --actionable`, `bosun _ decision approve|reject` and
 * `bosun _ run -- CMD`. Spread into CONTRACT_OUTPUTS (schemas.ts).
 */
import { z } from "zod";
import { PulseStatusSchema, type PulseStatus } from "../../flows/pulse/pulse-status-schema.js";
import { PulseDecisionRecordSchema } from "../../store/schema/pulse-record.js";

const envelope = { contract: z.literal(1) };

/** The pulse's state (its schema lives with the reader all surfaces share). */
export { PulseStatusSchema, type PulseStatus };

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
