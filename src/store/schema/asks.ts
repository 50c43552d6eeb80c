/**
 * The human mailbox: `.bosun/asks/<id>.json` holds a question from a loop, and
 * `.bosun/asks/answers/<id>.json` the human's answer. An ask without an answer file is open.
 */
import { z } from "zod";
import { SAFE_ID_RULE, isSafeId } from "../paths.js";

/**
 * The run id of the asks the pulse and its workers write: not a run (no run is resumed by their
 * answer); the pulse's daemon wakes on the answer instead.
 */
export const PULSE_ASK_RUN_ID = "pulse";

/** An id that becomes a file name (it must not escape `.bosun/`). */
const IdSchema = z.string().refine(isSafeId, SAFE_ID_RULE);

/** A question waiting for a human. */
export const AskSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** Ask id (file name). */
  id: IdSchema,
  /** Run that asked. */
  runId: IdSchema,
  /** ISO time asked. */
  createdAt: z.string(),
  /** The question, one paragraph. */
  question: z.string(),
  /** Allowed answers; free text is refused when options exist. */
  options: z.array(
    z.object({
      /** What the human types. */
      key: z.string(),
      /** What it does. */
      label: z.string(),
    }),
  ),
  /** Context: open issues, paths to look at. */
  context: z.string(),
  /** The pulse worker that asked (`bosun _ ask` run by its agent); absent for any other asker. */
  workerId: IdSchema.optional(),
});

/** An ask. */
export type Ask = z.infer<typeof AskSchema>;

/** A human's answer to an ask. */
export const AnswerSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** The ask answered. */
  askId: IdSchema,
  /** The chosen option key. */
  answer: z.string(),
  /** Optional note from the human, passed to the next round. */
  note: z.string().optional(),
  /** ISO time answered. */
  answeredAt: z.string(),
  /** Channel it came from (cli, tui, dashboard, script). */
  source: z.string(),
});

/** An answer. */
export type Answer = z.infer<typeof AnswerSchema>;
