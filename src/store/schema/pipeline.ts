/**
 * The documents of a pipeline run (`bosun pipeline`): its options, the phase plan the plan pair
 * writes, and the verdict a pair's verifier gives each iteration. `parsePhasePlan` and
 * `parseVerdict` turn an agent's reply into a checked value, or into one exact message to
 * re-prompt it with.
 */
import { z } from "zod";
import { formatIssues } from "../json-file.js";
import { checkDependencyGraph } from "../plan-check.js";
import { SafeIdSchema } from "./ids.js";
import { joinProblems } from "./plan.js";

export {
  PIPELINE_PAIRS,
  PipelineOptionsSchema,
  PipelinePairSchema,
  type PipelineOptions,
  type PipelinePair,
} from "./run-options.js";

const nonEmpty = z.string().trim().min(1, "must not be empty");

/** One phase of the plan: a slice of the work implemented and tested on its own. */
export const PhaseSchema = z.strictObject({
  /** Unique in the plan; names the phase's artifact folders. */
  id: SafeIdSchema,
  /** A short title. */
  title: nonEmpty.max(200, "must be at most 200 characters"),
  /** What the phase covers and what it leaves out, for its producer. */
  scope: nonEmpty,
  /** Ids of the phases that must be done before this one (`[]` for none). */
  depends_on: z.array(z.string()),
  /** Checkable statements the phase's verifiers hold the work to; at least one. */
  acceptance_criteria: z
    .array(nonEmpty)
    .min(1, "needs at least one criterion a verifier can check"),
  /** What could go wrong (`[]` for nothing known). */
  risks: z.array(nonEmpty),
  /** How to undo the phase if it has to be. */
  rollback: nonEmpty,
});

/** A phase. */
export type Phase = z.infer<typeof PhaseSchema>;

/** The phase plan: artifacts/plan/plan.json. */
export const PhasePlanSchema = z.strictObject({
  /** Format version. */
  version: z.literal(1, "must be 1"),
  /** The phases, in the planner's order (the tie-break among phases ready together). */
  phases: z.array(PhaseSchema).min(1, "empty; a plan needs at least one phase"),
});

/** A phase plan. */
export type PhasePlan = z.infer<typeof PhasePlanSchema>;

/** Most phases a plan may hold: more is a plan gone wrong (a phase is implemented and tested apart). */
export const MAX_PHASES = 50;

/** Problems listed in one message; the rest are counted. */
const MAX_LISTED_PROBLEMS = 10;

/** A checked value, or the one message that says what to fix. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks a phase plan the plan pair wrote: its schema, then its dependency graph. */
export function parsePhasePlan(value: unknown): Checked<PhasePlan> {
  const parsed = PhasePlanSchema.safeParse(value);
  if (!parsed.success)
    return {
      ok: false,
      error: `the phase plan is not valid: ${formatIssues(parsed.error.issues)}`,
    };
  const plan = parsed.data;
  const problems = checkDependencyGraph(plan.phases, {
    item: "phase",
    list: "phases",
    whole: "plan",
  });
  if (plan.phases.length > MAX_PHASES)
    problems.unshift(
      `the plan has ${plan.phases.length} phases, more than the ${MAX_PHASES} allowed: merge small phases`,
    );
  if (problems.length === 0) return { ok: true, value: plan };
  return { ok: false, error: joinProblems(problems, MAX_LISTED_PROBLEMS) };
}

/**
 * The verifier's verdict on one iteration of its pair: verdict.json. Keys a verdict does not
 * use are dropped, not refused: a model's stray "summary" on a question must not cost the one
 * re-prompt a pair gets.
 */
export const VerdictSchema = z.discriminatedUnion("verdict", [
  z.object({
    /** The pair's checklist holds on the real diff: the pair is done. */
    verdict: z.literal("complete"),
    /** What was checked, in a sentence or two. */
    summary: nonEmpty,
  }),
  z.object({
    /** Not done yet: what is missing goes to the producer's next iteration. */
    verdict: z.literal("continue"),
    /** What the producer must do next, one item per line of work. */
    missing: z.array(nonEmpty).min(1, "needs at least one thing the producer must do"),
    /** What was checked. */
    summary: nonEmpty,
  }),
  z.object({
    /** Only a human (or, with --full-auto-answers, a model) can settle this. */
    verdict: z.literal("question"),
    /** The question, answerable without reading the code. */
    question: nonEmpty,
    /** Suggested answers, when there are a few obvious ones. */
    options: z.array(nonEmpty).optional(),
  }),
  z.object({
    /** Cannot go on: a missing dependency, an impossible request. */
    verdict: z.literal("blocked"),
    /** Why, and what would unblock it. */
    reason: nonEmpty,
  }),
]);

/** A verdict. */
export type Verdict = z.infer<typeof VerdictSchema>;

/** Checks a verifier's verdict. */
export function parseVerdict(value: unknown): Checked<Verdict> {
  const parsed = VerdictSchema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: `the verdict is not valid: ${formatIssues(parsed.error.issues)}` };
}

/** The audit pair's finding: artifacts/audit/audit.json. */
export const AuditReportSchema = z
  .strictObject({
    /** Format version. */
    version: z.literal(1, "must be 1"),
    /** What the request (and the clarification ledger) asked for that was delivered, in short. */
    delivered: z.array(nonEmpty),
    /** Material gaps: what was asked for and is not delivered (`[]` for none). */
    gaps: z.array(nonEmpty),
    /** The request for a follow-up run that closes the gaps; required when there are gaps. */
    revised_request: z.string().optional(),
  })
  .refine((audit) => audit.gaps.length === 0 || (audit.revised_request ?? "").trim() !== "", {
    message: "names gaps but no revised_request: write the request a follow-up run would take on",
    path: ["revised_request"],
  });

/** An audit finding. */
export type AuditReport = z.infer<typeof AuditReportSchema>;

/** Checks the audit pair's finding. */
export function parseAuditReport(value: unknown): Checked<AuditReport> {
  const parsed = AuditReportSchema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: `the audit is not valid: ${formatIssues(parsed.error.issues)}` };
}

/** A model's answer to a verifier's question (--full-auto-answers): answer.json. */
export const ModelAnswerSchema = z.strictObject({
  /** The answer, as a human would give it. */
  answer: nonEmpty,
});
