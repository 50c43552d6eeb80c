/**
 * events.jsonl: the append-only history of a run. Every transition is one of these, written
 * (and synced) before bosun takes the next side effect, so replaying them resumes a run.
 *
 * Version 2 (this file): every round-scoped event names its task (`taskId`, and `phase` where a
 * flow has phases), agents sit in a fixed *seat* (worker, reviewer, critic, planner, …) apart
 * from the open SME *role* they play (backend, security, …), `run.created` is a union over flows,
 * and team runs add plan, task, worktree, merge and budget events. Version 1 journals (written by
 * bosun before v2: one review task, `role` meaning the seat) are upgraded line by line when read
 * (`schema/migrate.ts`), so old runs still resume; the file itself is never rewritten.
 */
import { z } from "zod";
import { PipelineOptionsSchema, ReviewOptionsSchema, TeamOptionsSchema } from "./run-options.js";
import { RunStatusSchema, TokenTotalsSchema } from "./run.js";
import { TaskStatusSchema } from "./task-status.js";

export { TaskStatusSchema, type TaskStatus } from "./task-status.js";

/** The journal format this bosun writes (recorded in run.created). */
export const EVENTS_VERSION = 2 as const;

/**
 * The fixed seat an agent fills in a loop: what bosun expects of it, whatever its discipline.
 * worker produces; reviewer (review runs) and critic (team runs) judge a worker's diff; planner
 * turns a goal into tasks; a pipeline pair's producer sits in the worker seat and its verifier in
 * the verifier seat, and an answerer answers a verifier's question with --full-auto-answers;
 * brain is the pulse's.
 */
export const SeatSchema = z.enum([
  "worker",
  "reviewer",
  "critic",
  "planner",
  "verifier",
  "answerer",
  "brain",
]);
/** A seat. */
export type Seat = z.infer<typeof SeatSchema>;

const base = {
  /** 1-based position in the file. */
  seq: z.number().int().positive(),
  /** ISO timestamp. */
  ts: z.string(),
};

/** Fields of every event that belongs to one task's round. */
const roundScope = {
  /** The task the round works on. */
  taskId: z.string(),
  /** The flow's phase (pipeline: plan, implement, test, audit), when it has phases. */
  phase: z.string().optional(),
  /** Round number, counted per task (and phase). */
  round: z.number().int().positive(),
};

/** Fields naming the agent of a dispatch. */
const agentScope = {
  ...roundScope,
  /** The seat it filled. */
  seat: SeatSchema,
  /** The SME discipline it played (backend, security, …), when the flow assigns one. */
  role: z.string().optional(),
  /** Harness name. */
  harness: z.string(),
};

const createdBase = {
  ...base,
  type: z.literal("run.created"),
  /** Journal format (absent in version 1 journals, which the reader upgrades). */
  version: z.literal(EVENTS_VERSION),
  /** One-line title. */
  title: z.string(),
  /** HEAD at start. */
  baseCommit: z.string(),
  /** The run this one follows up, if any. */
  parentRunId: z.string().optional(),
};

/** The first event of every run: which flow, with what options. */
export const RunCreatedSchema = z.discriminatedUnion("flow", [
  z.object({
    ...createdBase,
    flow: z.literal("review"),
    /** The one task a review works on. */
    taskId: z.string(),
    /** Options fixed at start. */
    options: ReviewOptionsSchema,
  }),
  z.object({
    ...createdBase,
    flow: z.literal("team"),
    /** The branch the run's tasks merge into (`bosun/<run>/integration`), cut from `baseCommit`. */
    integrationBranch: z.string(),
    /** Options fixed at start. */
    options: TeamOptionsSchema,
  }),
  z.object({
    ...createdBase,
    flow: z.literal("pipeline"),
    /** The task the run works on: every run of a task shares its request history and ledger. */
    taskId: z.string(),
    /** How deep in a chain of follow-ups the run is (0: started by a human). */
    depth: z.number().int().nonnegative(),
    /** Options fixed at start. */
    options: PipelineOptionsSchema,
  }),
]);

const runEventSchemas = [
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
    options: z.union([ReviewOptionsSchema, TeamOptionsSchema, PipelineOptionsSchema]),
  }),
  z.object({
    ...base,
    type: z.literal("round.started"),
    ...roundScope,
    /** HEAD when the round started (the parent of its checkpoint). */
    head: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("dispatch.started"),
    ...agentScope,
    /** 1 for the first prompt, 2 for a re-prompt after a bad report. */
    attempt: z.number().int().positive(),
    /**
     * The dispatch's estimated cost in USD, reserved against the budgets for an uncapped call
     * (counted as spent if bosun dies during it). Absent: the run had no cap.
     */
    reservedUsd: z.number().nonnegative().optional(),
    /**
     * For a call whose CLI caps its own spend: the cap handed to it in USD, which is what it
     * reserved (counted as spent if bosun dies during it). Absent: not capped, or journaled
     * before capped calls reserved their caps (then `reservedUsd` is what was reserved).
     */
    capUsd: z.number().nonnegative().optional(),
    /**
     * The agent session this attempt first tried to resume (a short continuation prompt); when
     * that fails, the same attempt runs a fresh session with the whole context. Absent: fresh.
     */
    resumeSessionId: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("dispatch.completed"),
    ...agentScope,
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
    /**
     * Only for an attempt that tried to resume a session (`resumeSessionId`): true when it did,
     * false when the resume failed and a fresh session ran instead (the cost, tokens, time and
     * spawns here are both calls' together).
     */
    isSessionResumed: z.boolean().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("dispatch.failed"),
    ...agentScope,
    /** Prompt attempt (see dispatch.started); absent in runs recorded before it was kept. */
    attempt: z.number().int().positive().optional(),
    /** What went wrong. */
    message: z.string(),
    /** True when retrying cannot help. */
    isPermanent: z.boolean(),
    /**
     * When bosun killed the agent as stalled, the signal that fired (see agents/stall-watch.ts):
     * `silent`, `tool_hung` or `tool_failing`. Surfaces show the agent as stalled.
     */
    stall: z.enum(["silent", "tool_hung", "tool_failing"]).optional(),
    /** What the call spent in USD, when bosun knows it (a capped call that spent its cap). */
    costUsd: z.number().nonnegative().optional(),
    /** HEAD when the agent ended (see dispatch.completed). */
    head: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("dispatch.cancelled"),
    ...agentScope,
    /** Prompt attempt (see dispatch.started). */
    attempt: z.number().int().positive(),
    /** HEAD when the agent was stopped (see dispatch.completed). */
    head: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("head.moved"),
    ...roundScope,
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
    /** bosun is about to commit what its worker left (a commit of its own). */
    ...roundScope,
  }),
  z.object({
    ...base,
    type: z.literal("checkpoint.created"),
    ...roundScope,
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
    ...roundScope,
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
    ...roundScope,
    /** The seat that judged (reviewer, critic); reviewer in version 1 journals. */
    seat: SeatSchema,
    /** The verifier's decision. */
    decision: z.enum(["approve", "changes_required"]),
    /** How many blocking issues were raised. */
    blockingIssues: z.number().int().nonnegative(),
  }),
  z.object({
    ...base,
    type: z.literal("round.completed"),
    ...roundScope,
    /** accept ends the task's rounds; fix starts another round; escalate asks a human. */
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
    /** The task it is about (absent when it is about the whole run). */
    taskId: z.string().optional(),
    /** The phase of the task it is about (a pipeline's `<pair>` or `<pair>/<phase>`). */
    phase: z.string().optional(),
    /** The round (a pipeline's iteration) that asked, when a round did. */
    round: z.number().int().positive().optional(),
    /** The question. */
    question: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("ask.answered"),
    /** Ask id. */
    askId: z.string(),
    /** The task it is about (absent when it is about the whole run). */
    taskId: z.string().optional(),
    /** The phase of the task it is about (see ask.created). */
    phase: z.string().optional(),
    /** The answer's option key. */
    answer: z.string(),
    /** Extra rounds granted, when the answer grants them. */
    extraRounds: z.number().int().nonnegative().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("tell.delivered"),
    ...roundScope,
    /** The tell (`.bosun/tells/<id>.json`, moved under `tells/delivered/` after this event). */
    tellId: z.string(),
    /** The human's words, as put into the round's worker prompt (a resumed round re-sends them). */
    text: z.string(),
    /** The channel the tell came from (cli, contract, monitor, dashboard, …). */
    source: z.string(),
    /** ISO time the human sent it. */
    sentAt: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("plan.created"),
    /** The planned task ids, in plan order (the plan itself is plan.json, checked before this). */
    taskIds: z.array(z.string()),
    /** Planner prompt attempts it took (2 after a re-prompt with the error). */
    attempt: z.number().int().positive(),
  }),
  z.object({
    ...base,
    type: z.literal("plan.approved"),
    /** Who approved the plan (a human with `bosun approve`, or the run itself without --gate-plan). */
    by: z.enum(["human", "auto"]),
  }),
  z.object({
    ...base,
    type: z.literal("task.status"),
    /** The task. */
    taskId: z.string(),
    /** Its new status. */
    status: TaskStatusSchema,
    /** Why, in one line. */
    reason: z.string().optional(),
    /** Failed attempts so far (for the retry backoff). */
    failures: z.number().int().nonnegative().optional(),
    /** ISO time a retry-queued task may start again. */
    retryAt: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("worktree.created"),
    /** The task that works in it. */
    taskId: z.string(),
    /** Its directory (outside the user's checkout). */
    dir: z.string(),
    /** Its branch (`bosun/<run>/<task>`). */
    branch: z.string(),
    /** The commit it was cut from. */
    base: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("worktree.removed"),
    /** The task that worked in it. */
    taskId: z.string(),
    /** Its directory. */
    dir: z.string(),
    /** Where uncommitted work was saved first, if there was any. */
    snapshotRef: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("merge.started"),
    /** The task whose branch is merged. */
    taskId: z.string(),
    /** The commit merged (the task's accepted head). */
    source: z.string(),
    /** The integration branch's head before the merge (the compare-and-swap's old value). */
    expectedOld: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("merge.completed"),
    /** The task merged. */
    taskId: z.string(),
    /** The merge commit, now the integration branch's head. */
    commit: z.string(),
    /** The head before it. */
    previous: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("merge.conflicted"),
    /** The task sent back to rebase. */
    taskId: z.string(),
    /** Files in conflict. */
    files: z.array(z.string()),
  }),
  z.object({
    ...base,
    type: z.literal("merge.reverted"),
    /** The task whose merge turned the tests red. */
    taskId: z.string(),
    /** The merge commit taken back. */
    commit: z.string(),
    /** The integration head restored. */
    restored: z.string(),
    /** What failed. */
    reason: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("baseline.checked"),
    /** The integration commit the project's tests ran on before any task merged (a team run's start). */
    commit: z.string(),
    /** True when they passed: only then can a merge be blamed for turning them red. */
    passed: z.boolean(),
    /** One-line explanation. */
    detail: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("budget.exhausted"),
    /** Which cap would be exceeded. */
    scope: z.enum(["run", "task"]),
    /** The task, for a task cap. */
    taskId: z.string().optional(),
    /** The cap in USD. */
    limitUsd: z.number().nonnegative(),
    /** Spent (and reserved in flight) when the next dispatch was refused. */
    spentUsd: z.number().nonnegative(),
  }),
  z.object({
    ...base,
    type: z.literal("harness.paused"),
    /** The harness a provider limited. */
    harness: z.string(),
    /** ISO time it may be used again. */
    until: z.string(),
    /** The provider's message. */
    reason: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("verdict.recorded"),
    ...roundScope,
    /** A pipeline verifier's verdict on the iteration (`verdict.json`, checked). */
    verdict: z.enum(["complete", "continue", "question", "blocked"]),
    /** Items the producer must do next (continue). */
    missing: z.number().int().nonnegative(),
    /** The verifier's summary, its question, or why it is blocked: one line for the log. */
    detail: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("phases.planned"),
    /** A pipeline's phase ids in the order implement and test take them (dependencies first). */
    phaseIds: z.array(z.string()).min(1),
  }),
  z.object({
    ...base,
    type: z.literal("followup.started"),
    /** The follow-up run that takes on the gaps the audit found (its parent is this run). */
    childRunId: z.string(),
    /** Material gaps it takes on. */
    gaps: z.number().int().positive(),
  }),
  z.object({
    ...base,
    type: z.literal("run.completed"),
    /** Final or waiting status. */
    status: RunStatusSchema.exclude(["running", "paused"]),
    /** Why. */
    reason: z.string(),
  }),
] as const;

/** Every event a run records. */
export const RunEventSchema = z.discriminatedUnion("type", [RunCreatedSchema, ...runEventSchemas]);

/** One run event. */
export type RunEvent = z.infer<typeof RunEventSchema>;

/** The first event of a run. */
export type RunCreatedEvent = Extract<RunEvent, { type: "run.created" }>;

/** A run event before seq/ts are assigned. */
export type RunEventInput = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, "seq" | "ts">
    : never
  : never;
