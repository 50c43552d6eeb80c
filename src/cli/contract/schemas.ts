/**
 * The machine contract's outputs (`bosun _ <verb>`), one zod schema per verb: the one source of
 * their TypeScript types and of the JSON Schemas `bosun _ schema VERB` prints. Run, event, board
 * and ask objects are bosun's file formats as they are on disk, each with its own `version`.
 */
import { z } from "zod";
import { AnswerSchema, AskSchema } from "../../store/schema/asks.js";
import { BoardSchema } from "../../store/schema/board.js";
import { NOTIFY_KINDS } from "../../store/schema/config-defaults.js";
import { RunEventSchema } from "../../store/schema/events.js";
import { RunSchema, RunStatusSchema } from "../../store/schema/run.js";
import { TellSchema } from "../../store/schema/tells.js";
import { PULSE_FILE_OUTPUTS } from "./pulse-file-schemas.js";
import { PULSE_CONTRACT_OUTPUTS } from "./pulse-schemas.js";
import { WORKER_CONTRACT_OUTPUTS } from "./worker-schemas.js";

/**
 * The contract's version, in every output as `contract`. It changes only when a field is removed
 * or changes meaning; new fields may appear in any version.
 */
export const CONTRACT_VERSION = 1 as const;

const envelope = {
  /** The contract version (CONTRACT_VERSION). */
  contract: z.literal(CONTRACT_VERSION),
};

/** The command that continues a run (`bosun review|run|pipeline --resume <id>`). */
const ResumeCommandSchema = z.string();

/** One run in `bosun _ runs`. */
export const RunSummarySchema = z.object({
  /** Run id. */
  id: z.string(),
  /** The flow: review, team (bosun run) or pipeline. */
  flow: z.enum(["review", "team", "pipeline"]),
  /** Status in run.json. */
  status: RunStatusSchema,
  /** A live process is working on it now (it holds the run's lock). */
  isLive: z.boolean(),
  /** One line of the goal. */
  title: z.string(),
  /** The task (review and pipeline runs). */
  taskId: z.string().optional(),
  /** The run this one follows up (pipeline). */
  parentRunId: z.string().optional(),
  /** ISO time of creation. */
  createdAt: z.string(),
  /** ISO time of the last event. */
  updatedAt: z.string(),
  /** Spend so far in USD. */
  costUsd: z.number().nonnegative(),
  /** Asks waiting for a human. */
  openAskIds: z.array(z.string()),
  /** Why it failed, paused or needs a human. */
  reason: z.string().optional(),
  /** What continues it. */
  resumeCommand: ResumeCommandSchema,
});

/** An ask with its answer. */
export const AskItemSchema = z.object({
  /** The question (`.bosun/asks/<id>.json`). */
  ask: AskSchema,
  /** Its answer, null while there is none. */
  answer: AnswerSchema.nullable(),
  /** Still waiting for a human: no answer, or one that is not an option. */
  isOpen: z.boolean(),
  /** Why the answer file does not answer the ask, when it does not. */
  answerProblem: z.string().optional(),
});

/** One thing `bosun _ wait` saw change. */
export const WaitChangeSchema = z.discriminatedUnion("kind", [
  z.object({
    /** An event was appended to a run's journal. */
    kind: z.literal("event"),
    /** The run. */
    runId: z.string(),
    /** The event, as in events.jsonl (`seq` is what `--since` takes). */
    event: RunEventSchema,
  }),
  z.object({
    /** An ask was opened. */
    kind: z.literal("ask.opened"),
    /** The ask. */
    ask: AskSchema,
  }),
  z.object({
    /** An ask was answered (from any channel). */
    kind: z.literal("ask.answered"),
    /** The ask. */
    ask: AskSchema,
    /** Its answer. */
    answer: AnswerSchema,
  }),
]);

/** Each verb's output. */
export const CONTRACT_OUTPUTS = {
  /** `bosun _ runs`: every run of the repository, oldest first. */
  runs: z.object({ ...envelope, runs: z.array(RunSummarySchema) }),
  /** `bosun _ status RUN`: one run's run.json and whether a process works on it. */
  status: z.object({
    ...envelope,
    /** run.json as it is on disk. */
    run: RunSchema,
    /** A live process holds the run's lock. */
    isLive: z.boolean(),
    /** That process's pid, null when none. */
    writerPid: z.number().int().nullable(),
    /** What continues the run. */
    resumeCommand: ResumeCommandSchema,
  }),
  /** `bosun _ board RUN`: a team run's board. */
  board: z.object({ ...envelope, board: BoardSchema }),
  /** `bosun _ events RUN [--since SEQ]`: journal events after SEQ. */
  events: z.object({
    ...envelope,
    /** The run. */
    runId: z.string(),
    /** Events with `seq` > SEQ, in order. */
    events: z.array(RunEventSchema),
    /** Seq of the journal's last event (0 for none): the next call's `--since`. */
    lastSeq: z.number().int().nonnegative(),
  }),
  /** `bosun _ asks [--all]`: open asks (every ask with --all), oldest first. */
  asks: z.object({ ...envelope, asks: z.array(AskItemSchema) }),
  /** `bosun _ answer ID TEXT|-`: the answer recorded; the run continues with `resumeCommand`. */
  answer: z.object({
    ...envelope,
    /** The answer as written to `.bosun/asks/answers/<id>.json`. */
    answer: AnswerSchema,
    /** The run that asked. */
    runId: z.string(),
    /** Its status now (the answer takes effect when the run continues). */
    runStatus: RunStatusSchema.nullable(),
    /** A live process holds the run (it takes the answer when it next resumes the task). */
    isRunLive: z.boolean(),
    /** What continues the run with the answer; null for the pulse's asks (runId "pulse"), which its daemon takes. */
    resumeCommand: ResumeCommandSchema.nullable(),
  }),
  /** `bosun _ tell RUN [--task T] TEXT|-`: the tell written; the run's worker gets it with its next prompt. */
  tell: z.object({
    ...envelope,
    /** The tell as written to `.bosun/tells/<id>.json`. */
    tell: TellSchema,
    /** The run's status when it was written. */
    runStatus: RunStatusSchema,
    /** A live process works on the run (it delivers the tell at its next worker dispatch). */
    isRunLive: z.boolean(),
    /** When the worker gets it, for a human. */
    message: z.string(),
    /** What continues the run, when no process works on it. */
    resumeCommand: ResumeCommandSchema,
  }),
  /** `bosun _ wait [RUN]`: what changed (exit 0), or nothing before --timeout (exit 124). */
  wait: z.object({
    ...envelope,
    /** True when --timeout passed with nothing changed (`changes` is then empty). */
    isTimedOut: z.boolean(),
    /** What changed, in the order seen. */
    changes: z.array(WaitChangeSchema),
  }),
  /** `bosun _ schema VERB`: a verb's output as JSON Schema (draft 2020-12). */
  schema: z.object({
    ...envelope,
    /** The verb (or "error", "notify"). */
    verb: z.string(),
    /** Its JSON Schema. */
    schema: z.record(z.string(), z.unknown()),
  }),
  /** What every verb prints instead when it fails (exit code ≠ 0 and ≠ 124). */
  error: z.object({
    ...envelope,
    error: z.object({
      /** usage, config, state, agent, budget, cancelled or internal. */
      code: z.enum(["usage", "config", "state", "agent", "budget", "cancelled", "internal"]),
      /** What failed and what to do. */
      message: z.string(),
      /** The process's exit code. */
      exitCode: z.number().int(),
    }),
  }),
  ...PULSE_CONTRACT_OUTPUTS,
  ...WORKER_CONTRACT_OUTPUTS,
  /** What a `notify:` command gets on stdin. */
  notify: z.object({
    ...envelope,
    /** What happened. */
    kind: z.enum(NOTIFY_KINDS),
    /** The run. */
    runId: z.string(),
    /** One line for a human (a phone notification's text). */
    message: z.string(),
    /** The journal event behind it. */
    event: RunEventSchema,
    /** The ask (ask.opened). */
    ask: AskSchema.optional(),
    /** The run's status (run.finished). */
    status: RunStatusSchema.optional(),
    /** Spend and cap (budget.near, budget.exhausted). */
    budget: z
      .object({
        /** Spent in USD. */
        spentUsd: z.number().nonnegative(),
        /** The cap in USD. */
        capUsd: z.number().nonnegative(),
      })
      .optional(),
  }),
  /** The pulse's plain-file verbs: goals, sensors, the playbook, schedules, claims. */
  ...PULSE_FILE_OUTPUTS,
} as const;

/** A name `bosun _ schema` takes. */
export type ContractSchemaName = keyof typeof CONTRACT_OUTPUTS;

/** The output of a verb. */
export type ContractOutput<N extends ContractSchemaName> = z.infer<(typeof CONTRACT_OUTPUTS)[N]>;

/** A notification, as a `notify:` command reads it. */
export type Notification = ContractOutput<"notify">;

/** A `wait` change. */
export type WaitChange = z.infer<typeof WaitChangeSchema>;

/** True when `name` is a schema `bosun _ schema` knows. */
export function isContractSchemaName(name: string): name is ContractSchemaName {
  return Object.hasOwn(CONTRACT_OUTPUTS, name);
}

/** The JSON Schema of a verb's output. */
export function getContractJsonSchema(name: ContractSchemaName): Record<string, unknown> {
  return z.toJSONSchema(CONTRACT_OUTPUTS[name], { io: "output" });
}
