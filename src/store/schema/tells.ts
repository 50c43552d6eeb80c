/**
 * A tell: a human's message to a run's worker, `.bosun/tells/<id>.json` until the run's process
 * puts it into a worker prompt, then `.bosun/tells/delivered/<id>.json`. Any process may write
 * one; only the run's own process journals its delivery (`tell.delivered`).
 */
import { z } from "zod";
import { MAX_TELL_CHARS } from "../limits.js";
import { SAFE_ID_RULE, isSafeId } from "../paths.js";

export { MAX_TELL_CHARS } from "../limits.js";

/** An id that becomes a file name (it must not escape `.bosun/`). */
const IdSchema = z.string().refine(isSafeId, SAFE_ID_RULE);

/** A message from a human to a run's worker. */
export const TellSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** Tell id (file name): `tell-<run id>-<time>-<random>`, so a run's tells sort by time. */
  id: IdSchema,
  /** The run whose worker is told. */
  runId: IdSchema,
  /** The task whose next worker prompt carries it; absent: the run's next worker, whichever task. */
  taskId: IdSchema.optional(),
  /** The human's words, as given (trimmed), at most MAX_TELL_CHARS. */
  text: z.string().min(1).max(MAX_TELL_CHARS),
  /** The channel it came from (cli, contract, monitor, dashboard, …). */
  source: z.string(),
  /** ISO time written. */
  createdAt: z.string(),
});

/** A tell. */
export type Tell = z.infer<typeof TellSchema>;
