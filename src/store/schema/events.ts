/**
 * events.jsonl: the append-only history of a run. Every transition is one of these, written
 * (and synced) before bosun takes the next side effect, so replaying them resumes a run.
 */
import { z } from "zod";
import { ReviewOptionsSchema, RunStatusSchema, TokenTotalsSchema } from "./run.js";

/** Which agent role a dispatch played. */
export const RoleSchema = z.enum(["worker", "reviewer"]);
/** A role. */
export type Role = z.infer<typeof RoleSchema>;

const base = {
  /** 1-based position in the file. */
  seq: z.number().int().positive(),
  /** ISO timestamp. */
  ts: z.string(),
};

/** Every event a run records. */
export const RunEventSchema = z.discriminatedUnion("type", [
  z.object({
    ...base,
    type: z.literal("run.created"),
    /** Flow name. */
    flow: z.literal("review"),
    /** Task id. */
    taskId: z.string(),
    /** One-line title. */
    title: z.string(),
    /** HEAD at start. */
    baseCommit: z.string(),
    /** Options fixed at start. */
    options: ReviewOptionsSchema,
  }),
  z.object({
    ...base,
    type: z.literal("run.resumed"),
    /** Pid of the process that resumed it. */
    pid: z.number().int(),
  }),
  z.object({
    ...base,
    type: z.literal("run.paused"),
    /** Why the process stopped with the run unfinished (continue it with --resume). */
    reason: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("options.changed"),
    /** The run's options from now on (flags given with --resume). */
    options: ReviewOptionsSchema,
  }),
  z.object({
    ...base,
    type: z.literal("round.started"),
    /** Round number. */
    round: z.number().int().positive(),
    /** HEAD when the round started (the parent of its checkpoint). */
    head: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("dispatch.started"),
    /** Round number. */
    round: z.number().int().positive(),
    /** Role played. */
    role: RoleSchema,
    /** Harness name. */
    harness: z.string(),
    /** 1 for the first prompt, 2 for a re-prompt after a bad report. */
    attempt: z.number().int().positive(),
  }),
  z.object({
    ...base,
    type: z.literal("dispatch.completed"),
    /** Round number. */
    round: z.number().int().positive(),
    /** Role played. */
    role: RoleSchema,
    /** Harness name. */
    harness: z.string(),
    /** Prompt attempt (see dispatch.started). */
    attempt: z.number().int().positive(),
    /** Exit code of the agent. */
    exitCode: z.number().int().nullable(),
    /** Session/thread id for resume, if the CLI reported one. */
    sessionId: z.string().optional(),
    /** Model, if known. */
    model: z.string().optional(),
    /** Cost of this dispatch. */
    costUsd: z.number().nonnegative(),
    /** True when cost was computed from tokens and the price table. */
    isCostEstimated: z.boolean(),
    /** Tokens used. */
    tokens: TokenTotalsSchema,
    /** Wall time. */
    durationMs: z.number().nonnegative(),
    /** Spawns it took (retries included). */
    spawns: z.number().int().positive(),
    /** HEAD when the agent ended: commits on top of it since then are not this agent's. */
    head: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("dispatch.failed"),
    /** Round number. */
    round: z.number().int().positive(),
    /** Role played. */
    role: RoleSchema,
    /** Harness name. */
    harness: z.string(),
    /** Prompt attempt (see dispatch.started); absent in runs recorded before it was kept. */
    attempt: z.number().int().positive().optional(),
    /** What went wrong. */
    message: z.string(),
    /** True when retrying cannot help. */
    isPermanent: z.boolean(),
    /** HEAD when the agent ended (see dispatch.completed). */
    head: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("dispatch.cancelled"),
    /** Round number. */
    round: z.number().int().positive(),
    /** Role played. */
    role: RoleSchema,
    /** Harness name. */
    harness: z.string(),
    /** Prompt attempt (see dispatch.started). */
    attempt: z.number().int().positive(),
    /** HEAD when the agent was stopped (see dispatch.completed). */
    head: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("head.moved"),
    /** Round number. */
    round: z.number().int().positive(),
    /** HEAD as bosun last saw or left it in this round. */
    from: z.string(),
    /** HEAD found instead: what the round continues from. */
    to: z.string(),
    /** The commits in from..to (`<short sha> <subject>`, at most 20): not made by this run's agents. */
    commits: z.array(z.string()),
    /** How many commits from..to holds (`commits` lists at most 20 of them). */
    count: z.number().int().nonnegative(),
    /** Where the move was noticed: before a worker attempt, before the checkpoint, or before the gates. */
    stage: z.enum(["worker", "checkpoint", "gates"]),
  }),
  z.object({
    ...base,
    type: z.literal("checkpoint.started"),
    /** Round number: bosun is about to commit what its worker left (a commit of its own). */
    round: z.number().int().positive(),
  }),
  z.object({
    ...base,
    type: z.literal("checkpoint.created"),
    /** Round number. */
    round: z.number().int().positive(),
    /** Commit after the worker's changes. */
    commit: z.string(),
    /** Commit before the worker ran. */
    parent: z.string(),
    /** Files changed between the two, measured by git. */
    filesChanged: z.array(z.string()),
  }),
  z.object({
    ...base,
    type: z.literal("gate.completed"),
    /** Round number. */
    round: z.number().int().positive(),
    /** Gate name. */
    name: z.string(),
    /** True when it passed. */
    passed: z.boolean(),
    /** One-line explanation. */
    detail: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("review.completed"),
    /** Round number. */
    round: z.number().int().positive(),
    /** The reviewer's decision. */
    decision: z.enum(["approve", "changes_required"]),
    /** How many blocking issues were raised. */
    blockingIssues: z.number().int().nonnegative(),
  }),
  z.object({
    ...base,
    type: z.literal("round.completed"),
    /** Round number. */
    round: z.number().int().positive(),
    /** accept ends the run; fix starts another round; escalate asks a human. */
    verdict: z.enum(["accept", "fix", "escalate"]),
    /** Items in the fix list. */
    fixItems: z.number().int().nonnegative(),
    /** Why the round escalated, when it did. */
    reason: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("ask.created"),
    /** Ask id. */
    askId: z.string(),
    /** The question. */
    question: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("ask.answered"),
    /** Ask id. */
    askId: z.string(),
    /** The answer's option key. */
    answer: z.string(),
    /** Extra rounds granted, when the answer grants them. */
    extraRounds: z.number().int().nonnegative().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("run.completed"),
    /** Final or waiting status. */
    status: RunStatusSchema.exclude(["running", "paused"]),
    /** Why. */
    reason: z.string(),
  }),
]);

/** One run event. */
export type RunEvent = z.infer<typeof RunEventSchema>;

/** A run event before seq/ts are assigned. */
export type RunEventInput = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, "seq" | "ts">
    : never
  : never;
