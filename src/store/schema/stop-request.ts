/**
 * A stop request: `.bosun/runs/<id>/stop-request.json`, written by `bosun stop` (or the monitor,
 * or the dashboard) for the one process driving the run, which stops that run alone and removes
 * the file once the run has paused.
 */
import { z } from "zod";

/** Who asked for a stop: the surface the human used. */
export const StopRequesterSchema = z.enum(["cli", "dashboard", "monitor"]);

/** Who asked for a stop. */
export type StopRequester = z.infer<typeof StopRequesterSchema>;

/** A request that the process holding a run's lock stop that run. */
export const StopRequestSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** ISO time written; a request older than the holder's lock was meant for an earlier holder. */
  requestedAt: z.string().refine((value) => !Number.isNaN(Date.parse(value)), "an ISO time"),
  /** The pid of the lock's holder the request was written for. */
  pid: z.number().int().positive(),
  /** The surface the stop came from; absent when the caller did not say. */
  by: StopRequesterSchema.optional(),
});

/** A stop request. */
export type StopRequest = z.infer<typeof StopRequestSchema>;
