/**
 * The offline agent's script: steps selected by the dispatch (task, seat, round, attempt), each a
 * list of actions — edits, shell commands, a report, a provider-style failure — played without
 * any model. Used by `bosun demo` and by tests, including team runs.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { getErrorMessage, isNodeError } from "../../errors.js";
import { describeFsError } from "../../store/fs-errors.js";
import { formatIssues } from "../../store/json-file.js";
import { SeatSchema, type Seat } from "../../store/schema/events.js";

/** One thing the offline agent does. */
export const OfflineActionSchema = z.union([
  /** Print assistant text. */
  z.strictObject({ say: z.string() }),
  /** Create or overwrite a file (relative to the working directory, or absolute: out of tree). */
  z.strictObject({ write: z.strictObject({ path: z.string(), content: z.string() }) }),
  /** Replace the first occurrence of `find` in a file. */
  z.strictObject({
    replace: z.strictObject({ path: z.string(), find: z.string(), with: z.string() }),
  }),
  /** Delete a file. */
  z.strictObject({ delete: z.string() }),
  /** Run a shell command in the working directory. */
  z.strictObject({ run: z.string() }),
  /**
   * Write this JSON object as the seat's report. For the seats that report on a task's round
   * (worker, reviewer, critic, verifier) `task_id` and `round` are filled in when missing; a
   * planner's plan and a brain's reply are written exactly as given.
   */
  z.strictObject({ report: z.record(z.string(), z.unknown()) }),
  /** Sleep (to simulate a slow or hung agent). */
  z.strictObject({ sleepMs: z.number().int().nonnegative() }),
  /** Print a raw line on stdout (to simulate garbage output). */
  z.strictObject({ emit: z.string() }),
  /** Exit at once with this code, without a final result (to simulate a crash). */
  z.strictObject({ exit: z.number().int() }),
  /**
   * Fail the way a provider's CLI does: the message as an error line (stderr and a fatal error
   * event), then exit with `exitCode` (1 when absent). bosun judges the message as it would a real
   * agent's, so "429 rate limit exceeded" is a transient failure it retries.
   */
  z.strictObject({
    fail: z.strictObject({
      /** The provider's error text, e.g. "429 rate limit exceeded, resets in 2s". */
      message: z.string().min(1, "must not be empty"),
      /** Exit code of the agent; 1 when absent. */
      exitCode: z.number().int().optional(),
    }),
  }),
]);

/** An offline action. */
export type OfflineAction = z.infer<typeof OfflineActionSchema>;

/** A step: which dispatches it plays for, and what it does. */
export const OfflineStepSchema = z
  .strictObject({
    /** Task id(s) this step plays for (BOSUN_TASK_ID); any task when absent. */
    task: z
      .union([z.string(), z.array(z.string()).min(1, "must name at least one task")])
      .optional(),
    /** Seat this step plays (BOSUN_SEAT); any seat when absent. */
    seat: SeatSchema.optional(),
    /**
     * The old name of `seat`, still accepted so scripts written before seats stay valid (it now
     * takes any seat, not only worker and reviewer). Not a team run's SME role (BOSUN_SME_ROLE).
     * Give `seat` or `role`, not both.
     */
    role: SeatSchema.optional(),
    /** Phase this step plays (BOSUN_PHASE: a pipeline's `plan`, `implement/<phase>`, …); any when absent. */
    phase: z.string().optional(),
    /** Round this step plays; any round when absent. */
    round: z.number().int().positive().optional(),
    /** Attempt (1 first prompt, 2 re-prompt); any when absent. */
    attempt: z.number().int().positive().optional(),
    /**
     * Plays only the first `times` dispatches it matches in a run (a critic that rejects once, a
     * worker rate-limited once); once used up, later steps are considered. Every time when absent.
     */
    times: z.number().int().positive().optional(),
    /** What to do. */
    actions: z.array(OfflineActionSchema),
  })
  .refine((step) => step.seat === undefined || step.role === undefined, {
    message: '"role" is the old name of "seat"; give only "seat"',
    path: ["role"],
  });

/** A script step. */
export type OfflineStep = z.infer<typeof OfflineStepSchema>;

/** A script file. */
export const OfflineScriptSchema = z.strictObject({
  /** Format version. */
  version: z.literal(1),
  /** Steps; the first that matches the dispatch (and is not used up) is played. */
  steps: z.array(OfflineStepSchema),
});

/** An offline script. */
export type OfflineScript = z.infer<typeof OfflineScriptSchema>;

/** Who the agent is for this dispatch, as bosun tells it through env. */
export interface OfflineDispatch {
  /** BOSUN_TASK_ID. */
  taskId?: string;
  /** BOSUN_SEAT, else BOSUN_ROLE (bosun before seats). */
  seat?: string;
  /** BOSUN_PHASE (a pipeline's pair and phase). */
  phase?: string;
  /** BOSUN_ROUND (1 when unset). */
  round: number;
  /** BOSUN_ATTEMPT (1 when unset). */
  attempt: number;
  /** BOSUN_RUN_ID. */
  runId?: string;
}

/** Reads the dispatch from the env bosun sets for an agent (see flows/agent-step.ts). */
export function getOfflineDispatch(env: NodeJS.ProcessEnv): OfflineDispatch {
  const value = (name: string): string | undefined => {
    const text = env[name];
    return text === undefined || text === "" ? undefined : text;
  };
  const taskId = value("BOSUN_TASK_ID");
  const seat = value("BOSUN_SEAT") ?? value("BOSUN_ROLE");
  const runId = value("BOSUN_RUN_ID");
  const phase = value("BOSUN_PHASE");
  return {
    ...(taskId === undefined ? {} : { taskId }),
    ...(phase === undefined ? {} : { phase }),
    ...(seat === undefined ? {} : { seat }),
    round: Number(value("BOSUN_ROUND") ?? "1"),
    attempt: Number(value("BOSUN_ATTEMPT") ?? "1"),
    ...(runId === undefined ? {} : { runId }),
  };
}

/** True when every selector the step sets matches the dispatch (`times` aside). */
export function isStepMatch(step: OfflineStep, dispatch: OfflineDispatch): boolean {
  const seat = step.seat ?? step.role;
  const tasks = typeof step.task === "string" ? [step.task] : step.task;
  return (
    (tasks === undefined || (dispatch.taskId !== undefined && tasks.includes(dispatch.taskId))) &&
    (seat === undefined || seat === dispatch.seat) &&
    (step.phase === undefined || step.phase === dispatch.phase) &&
    (step.round === undefined || step.round === dispatch.round) &&
    (step.attempt === undefined || step.attempt === dispatch.attempt)
  );
}

/**
 * The seats whose reports name their task and round (the planner's plan, a pipeline verifier's
 * verdict, an answerer's answer and the brain's reply do not).
 */
const ROUND_REPORT_SEATS: ReadonlySet<string> = new Set<Seat>(["worker", "reviewer", "critic"]);

/** The report a `report` action writes: `task_id` and `round` filled in for the seats that carry them. */
export function createOfflineReport(
  report: Readonly<Record<string, unknown>>,
  dispatch: OfflineDispatch,
): Record<string, unknown> {
  // No seat at all is an older bosun or a hand run: it only ever dispatched workers and reviewers.
  if (dispatch.seat !== undefined && !ROUND_REPORT_SEATS.has(dispatch.seat)) return { ...report };
  return { task_id: dispatch.taskId, round: dispatch.round, ...report };
}

/** A script file read and checked, or the exact reason it cannot be played. */
export type OfflineScriptRead =
  { isValid: true; script: OfflineScript } | { isValid: false; error: string };

/** Reads and validates a script file; never throws (the reason is returned, for any caller to word). */
export async function readOfflineScript(file: string): Promise<OfflineScriptRead> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const why =
      isNodeError(error) && error.code === "ENOENT" ? "not found" : describeFsError(error, file);
    return { isValid: false, error: why };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { isValid: false, error: `not valid JSON (${getErrorMessage(error)})` };
  }
  const result = OfflineScriptSchema.safeParse(data);
  if (!result.success) return { isValid: false, error: formatIssues(result.error.issues) };
  return { isValid: true, script: result.data };
}
