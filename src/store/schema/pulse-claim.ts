/**
 * A claim: a lease on a shared resource (a port, a database, a deploy slot) under
 * `.bosun/pulse/claims/<resource>.json`, so two workers of the pulse do not use it at once. It
 * lapses at `expiresAtMs`, or earlier when the process it names has died.
 */
import { z } from "zod";
import { SafeIdSchema } from "./ids.js";

/** A claim, as written. */
export const PulseClaimSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** The resource (the file name without `.json`). */
  resource: SafeIdSchema,
  /** Who holds it: a worker id, a session name. */
  holder: z.string().min(1),
  /** The holder's process, when it has one that lives as long as the claim: its death frees the claim. */
  pid: z.number().int().positive().optional(),
  /** That process's start time (see proc/liveness.ts), so a reused pid does not hold the claim. */
  startTime: z.string().optional(),
  /** Unique to this holding: tells one holding from the next of the same holder. */
  token: z.string().min(1),
  /** When it was first taken, ms since the epoch. */
  claimedAtMs: z.number().int().nonnegative(),
  /** When it lapses unless renewed, ms since the epoch. */
  expiresAtMs: z.number().int().nonnegative(),
});

/** A claim. */
export type PulseClaim = z.infer<typeof PulseClaimSchema>;
