/**
 * The pulse's sensor readings. A sensor is an executable under `.bosun/pulse/sensors/` that
 * prints one JSON object: `signal` is what counts as a change of the world, `detail` is context
 * for the brain that may vary freely. Both are untrusted data, never instructions.
 */
import { z } from "zod";

/** What a sensor prints on stdout. */
export const SensorOutputSchema = z.object({
  /** The value whose change is a change of the world (any JSON, compared canonically). */
  signal: z.json(),
  /** Anything that helps the brain judge the signal; changes here alone wake no one. */
  detail: z.json().optional(),
});

/** A sensor's printed object, checked. */
export type SensorOutput = z.infer<typeof SensorOutputSchema>;

/** One sensor's latest reading: its output, or why it has none. */
export const SensorReadingSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    /** The sensor's file name. */
    name: z.string(),
    signal: z.json(),
    detail: z.json().optional(),
    /** When it was read, ms since the epoch. */
    readAtMs: z.number().int().nonnegative(),
    /** How long it ran. */
    durationMs: z.number().nonnegative(),
    /** Its `# bosun:interval=<s>` header: the reading stays fresh this long. */
    intervalSec: z.number().positive().optional(),
  }),
  z.object({
    status: z.literal("failed"),
    name: z.string(),
    /** Why, in one line: it hung, exited non-zero, printed too much or not a JSON object. */
    error: z.string(),
    readAtMs: z.number().int().nonnegative(),
    durationMs: z.number().nonnegative(),
    intervalSec: z.number().positive().optional(),
  }),
]);

/** One sensor's latest reading. */
export type SensorReading = z.infer<typeof SensorReadingSchema>;
