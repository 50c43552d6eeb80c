/**
 * The pulse workers' outputs in the machine contract: `bosun _ ask` (blocks until a human
 * answers) and `bosun _ worker start|kill|list` (and the hidden `worker-host`). Spread into
 * CONTRACT_OUTPUTS (schemas.ts).
 */
import { z } from "zod";
import { TellSchema } from "../../store/schema/tells.js";
import { AnswerSchema, AskSchema } from "../../store/schema/asks.js";
import { WorkerFileSchema } from "../../store/schema/pulse-worker.js";

const envelope = { contract: z.literal(1) };

/** A worker's health (flows/pulse/worker-health.ts). */
const WorkerHealthSchema = z.enum([
  "busy",
  "waiting-ask",
  "stuck",
  "dead",
  "done",
  "failed",
  "killed",
]);

/** One worker in `bosun _ worker list`. */
export const WorkerListItemSchema = z.object({
  /** Its worker.json. */
  worker: WorkerFileSchema,
  /** busy, waiting-ask, stuck (silent past pulse.workerStuckSec), dead (host gone), or how it ended. */
  health: WorkerHealthSchema,
  /** Its host process lives. */
  isHostAlive: z.boolean(),
  /** When its agent.log last grew (ms since the epoch), null before any output. */
  lastOutputAtMs: z.number().nullable(),
  /** Its open asks. */
  openAskIds: z.array(z.string()),
});

/** An open ask whose worker is dead, ended or gone. */
export const StrandedAskSchema = z.object({
  /** The ask. */
  ask: AskSchema,
  /** The worker that made it. */
  workerId: z.string(),
  /** That worker's health, or "missing" when its folder is gone. */
  workerHealth: z.union([WorkerHealthSchema, z.literal("missing")]),
});

/** The worker verbs' outputs. */
export const WORKER_CONTRACT_OUTPUTS = {
  /** `bosun _ ask QUESTION [--option K:L]…` / `--wait ASK`: the answer (exit 0), or none by --timeout (124). */
  ask: z.object({
    ...envelope,
    /** The ask as written to `.bosun/asks/<id>.json`. */
    ask: AskSchema,
    /** Its answer; null when --timeout passed first. */
    answer: AnswerSchema.nullable(),
    /** True when --timeout passed with no answer (wait again with --wait ASK). */
    isTimedOut: z.boolean(),
  }),
  /** `bosun _ worker start ID --prompt TEXT|-`: the worker as written; its host runs it now. */
  "worker-start": z.object({ ...envelope, worker: WorkerFileSchema }),
  /** `bosun _ worker kill ID`: the worker after the kill. */
  "worker-kill": z.object({
    ...envelope,
    worker: WorkerFileSchema,
    /** False when it had already ended. */
    wasRunning: z.boolean(),
  }),
  /** `bosun _ worker clean [ID…] [--into REF] [--force]`: what was removed and kept, per worker. */
  "worker-clean": z.object({
    ...envelope,
    /** The commit the work was judged against. */
    into: z.string(),
    workers: z.array(
      z.object({
        workerId: z.string(),
        /** removed; absent (already gone); refused (see reason); none (it had no worktree). */
        worktree: z.enum(["removed", "absent", "refused", "none"]),
        /** Where its uncommitted work was saved, if it had any. */
        snapshotRef: z.string().optional(),
        /** True when its branch was deleted (its change is in `into`). */
        isBranchDeleted: z.boolean(),
        /** Why the worktree or the branch was kept. */
        reason: z.string().optional(),
      }),
    ),
  }),
  /** `bosun _ worker list`: every worker with its health, and the asks stranded by dead ones. */
  "worker-list": z.object({
    ...envelope,
    workers: z.array(WorkerListItemSchema),
    strandedAsks: z.array(StrandedAskSchema),
  }),
  /** `bosun _ worker tell ID TEXT|-`: the tell written for the worker. */
  "worker-tell": z.object({
    ...envelope,
    tell: TellSchema,
    /** The worker's status when it was told. */
    workerStatus: z.string(),
    /** When the worker gets it, for a human. */
    message: z.string(),
  }),
  /** `bosun _ told [--worker ID]`: the messages that waited for the worker, handed over once. */
  told: z.object({ ...envelope, workerId: z.string(), tells: z.array(TellSchema) }),
  /** `bosun _ worker-host ID` (run by `worker start`, detached): the worker as it ended. */
  "worker-host": z.object({ ...envelope, worker: WorkerFileSchema }),
} as const;
