/**
 * The pulse brain's reply: a short critique of the world and up to N typed moves (one by
 * default). Checked here before anything acts on it; the gate then sorts moves by their shape —
 * the irreversible ones (`merge`, `deploy`, `delete`) and any command outside the allow-list are
 * prepared and asked, never run on the brain's word alone.
 */
import { z } from "zod";
import { SafeIdSchema as IdSchema } from "./ids.js";

/** The flows a `start_run` may start. */
export const PULSE_RUN_FLOWS = ["review", "team", "pipeline"] as const;

/** One move. */
export const PulseActionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("noop"), reason: z.string().optional() }),
  z.object({ type: z.literal("write_goal"), id: IdSchema, text: z.string().min(1) }),
  z.object({ type: z.literal("archive_goal"), id: IdSchema, reason: z.string().optional() }),
  z.object({
    type: z.literal("write_sensor"),
    name: IdSchema,
    /** The executable's whole text (a shebang first). */
    script: z.string().min(1),
    intervalSec: z.number().positive().optional(),
  }),
  z.object({ type: z.literal("write_playbook"), text: z.string().min(1) }),
  z.object({
    type: z.literal("write_schedule"),
    id: IdSchema,
    /** Fire once, this many seconds from now… */
    inSec: z.number().positive().optional(),
    /** …or every this many seconds. */
    everySec: z.number().positive().optional(),
    /** What the brain is reminded of when it fires. */
    note: z.string().min(1),
  }),
  z.object({ type: z.literal("drop_schedule"), id: IdSchema }),
  z.object({ type: z.literal("run_command"), command: z.string().min(1), reason: z.string() }),
  z.object({
    type: z.literal("start_run"),
    flow: z.enum(PULSE_RUN_FLOWS),
    request: z.string().min(1),
  }),
  z.object({
    type: z.literal("start_worker"),
    id: IdSchema,
    prompt: z.string().min(1),
    harness: z.string().optional(),
    model: z.string().optional(),
    thinking: z.string().optional(),
    /** A command whose exit 0 proves the worker's job done: its own exit status never does. */
    verify: z.string().optional(),
  }),
  z.object({ type: z.literal("tell_worker"), worker: IdSchema, text: z.string().min(1) }),
  z.object({ type: z.literal("kill_worker"), worker: IdSchema, reason: z.string().optional() }),
  z.object({
    type: z.literal("ask"),
    question: z.string().min(1),
    options: z.array(z.object({ key: IdSchema, label: z.string() })).optional(),
  }),
  z.object({ type: z.literal("merge"), branch: z.string().min(1), into: z.string().min(1) }),
  z.object({ type: z.literal("deploy"), command: z.string().min(1), target: z.string() }),
  z.object({ type: z.literal("delete"), path: z.string().min(1), reason: z.string() }),
]);

/** One move. */
export type PulseAction = z.infer<typeof PulseActionSchema>;

/** Moves that cannot be taken back: always prepared, then asked. */
export const IRREVERSIBLE_ACTIONS: ReadonlySet<PulseAction["type"]> = new Set([
  "merge",
  "deploy",
  "delete",
]);

/** The most moves one decision may hold (the default is one, looop's one move per beat). */
export const MAX_ACTIONS_PER_DECISION = 8;

/** The brain's reply, for a loop allowing `maxActions` moves per beat. */
export function createPulseDecisionSchema(maxActions = 1) {
  return z.object({
    /** What the brain makes of the world, in a few sentences. */
    critique: z.string().min(1),
    actions: z
      .array(PulseActionSchema)
      .min(1)
      .max(Math.min(Math.max(1, maxActions), MAX_ACTIONS_PER_DECISION)),
    /** Decide again after this long even if nothing changes (a move that wants a look back). */
    next_interval_s: z.number().positive().optional(),
  });
}

/** The brain's reply. */
export type PulseDecision = z.infer<ReturnType<typeof createPulseDecisionSchema>>;
