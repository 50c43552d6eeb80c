/**
 * A pulse worker: one long-running agent session the loop started, in
 * `.bosun/pulse/workers/<id>/worker.json` beside its `prompt.md` and `agent.log`. Written by
 * `startWorker` until its host process starts, then by that host alone (and by `killWorker` once
 * the host is gone), so no two processes ever write it at once.
 */
import { z } from "zod";
import { SafeIdSchema } from "./ids.js";

/** The current worker.json format. */
export const WORKER_FILE_VERSION = 1 as const;

/**
 * Where a worker stands. `starting`: written, its host not running yet; `running`: the agent
 * works; `verifying`: the agent ended and the post-condition runs; `done`: verified (or, with no
 * verify given, the agent exited 0: `verify` is then absent, and that is unverified); `failed`;
 * `killed`: stopped by `killWorker` or a signal to its host.
 */
export const WORKER_STATUSES = [
  "starting",
  "running",
  "verifying",
  "done",
  "failed",
  "killed",
] as const;

/** Where a worker stands. */
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

/** Statuses after which nothing runs for the worker any more. */
export const ENDED_WORKER_STATUSES: ReadonlySet<WorkerStatus> = new Set([
  "done",
  "failed",
  "killed",
]);

/** The worker's own git worktree, when it touches code. */
export const WorkerWorktreeSchema = z.object({
  /** Its directory (outside the user's checkout, under the worktrees root). */
  path: z.string(),
  /** The branch checked out there: `bosun/pulse/<id>`. */
  branch: z.string(),
});

/** The post-condition's outcome. */
export const WorkerVerifyResultSchema = z.object({
  /** The command's exit code, null when a signal or the timeout ended it. */
  exitCode: z.number().int().nullable(),
  /** True when it ran out of time. */
  isTimedOut: z.boolean(),
  /** The last lines of its output (stdout and stderr merged). */
  outputTail: z.string(),
});

/** `worker.json`. */
export const WorkerFileSchema = z.object({
  /** Format version. */
  version: z.literal(WORKER_FILE_VERSION),
  /** Worker id (its folder's name). */
  id: SafeIdSchema,
  /** What it was asked to do (the task part of prompt.md). */
  prompt: z.string().min(1),
  /** The harness that runs it. */
  harness: z.string().min(1),
  /** Model, when one was chosen. */
  model: z.string().optional(),
  /** Thinking level, when one was chosen. */
  thinking: z.string().optional(),
  /** The post-condition: a shell command in `cwd` whose exit 0 proves the job done. */
  verify: z.string().optional(),
  /** Seconds the post-condition may run. */
  verifyTimeoutSec: z.number().int().positive(),
  /** Where the agent works: its worktree, else the repository root. */
  cwd: z.string(),
  /** Its own git worktree, when it has one. */
  worktree: WorkerWorktreeSchema.optional(),
  status: z.enum(WORKER_STATUSES),
  /** The host process (`bosun _ worker-host <id>`), once it runs: pid and /proc start time. */
  host: z.object({ pid: z.number().int().positive(), startTime: z.string().optional() }).optional(),
  /** ISO time `startWorker` wrote it. */
  startedAt: z.string(),
  /** ISO time it ended (done, failed or killed). */
  endedAt: z.string().optional(),
  /** The agent's last exit code (null: a signal ended it). */
  exitCode: z.number().int().nullable().optional(),
  /** Why it failed or was killed, in one line. */
  reason: z.string().optional(),
  /** The post-condition's outcome, once it ran. */
  verifyResult: WorkerVerifyResultSchema.optional(),
  /** The agent's session id, for follow-up calls that carry tells. */
  sessionId: z.string().optional(),
  /** Tells delivered to it (each in a follow-up call after the one before ended). */
  deliveredTellIds: z.array(z.string()),
  /** USD its agent calls spent. */
  costUsd: z.number().nonnegative(),
});

/** `worker.json`. */
export type WorkerFile = z.infer<typeof WorkerFileSchema>;
