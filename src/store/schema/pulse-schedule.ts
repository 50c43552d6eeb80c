/**
 * A pulse schedule: a timer under `.bosun/pulse/schedules/<id>.json` that wakes the loop with a
 * note, once (`inSec`) or repeatedly (`everySec`). A fired one-shot is removed; a repeating one
 * moves its `nextAtMs` on.
 */
import { z } from "zod";
import { SafeIdSchema } from "./ids.js";

/** A schedule, as written. */
export const PulseScheduleSchema = z
  .object({
    /** Format version. */
    version: z.literal(1),
    /** The file name without `.json`. */
    id: SafeIdSchema,
    /** What the brain is reminded of when it fires. */
    note: z.string().min(1),
    /** Fires every this many seconds… */
    everySec: z.number().positive().optional(),
    /** …or once, this many seconds after it was written. */
    inSec: z.number().positive().optional(),
    /** When it was written, ms since the epoch. */
    createdAtMs: z.number().int().nonnegative(),
    /** When it fires next, ms since the epoch. */
    nextAtMs: z.number().int().nonnegative(),
    /** When it last fired (repeating schedules). */
    lastFiredAtMs: z.number().int().nonnegative().optional(),
  })
  .refine((schedule) => (schedule.everySec === undefined) !== (schedule.inSec === undefined), {
    message: "exactly one of everySec and inSec is needed",
    path: ["everySec"],
  });

/** A schedule. */
export type PulseSchedule = z.infer<typeof PulseScheduleSchema>;
