/**
 * task_card.json: what a worker is asked to do. Field names follow loop-kit's format so its
 * task cards are accepted as they are.
 */
import { z } from "zod";
import { SafeIdSchema } from "./ids.js";

/** A task card as written by a human or generated from `--goal`. */
export const TaskCardSchema = z.object({
  /** Stable id, used as a directory name. */
  task_id: SafeIdSchema,
  /** One-sentence goal. */
  goal: z.string().min(1),
  /** Files or modules the work may touch. */
  in_scope: z.array(z.string()).default([]),
  /** Things the work must not touch. */
  out_of_scope: z.array(z.string()).default([]),
  /** Measurable criteria the reviewer checks. */
  acceptance_criteria: z.array(z.string()).default([]),
  /** Constraints on how the work is done. */
  constraints: z.array(z.string()).default([]),
});

/** A normalized task card. */
export type TaskCard = z.infer<typeof TaskCardSchema>;
