/**
 * The agents' reports and bosun's per-round records: work_report.json (worker),
 * review_report.json (reviewer), fix_list.json and gates.json (bosun). Report field names
 * follow loop-kit's bus format.
 */
import { z } from "zod";

/** The worker's account of a round. bosun checks it against git; it is never taken on faith. */
export const WorkReportSchema = z
  .object({
    /** Must match the task card. */
    task_id: z.string(),
    /** Must match the round being run (a stale report from an older round is rejected). */
    round: z.number().int().positive(),
    /** Commit the worker claims to have left (bosun measures its own). */
    head_sha: z.string().optional(),
    /** Files the worker says it changed. */
    files_changed: z.array(z.string()).default([]),
    /** What was done. */
    notes: z.string().default(""),
    /** Tests the worker says it ran. */
    tests: z.array(z.object({ name: z.string(), result: z.string() }).loose()).default([]),
  })
  .loose();

/** A normalized work report. */
export type WorkReport = z.infer<typeof WorkReportSchema>;

/** One blocking issue raised by a reviewer. */
export const BlockingIssueSchema = z.union([
  z
    .object({
      /** high | medium | low, free text accepted. */
      severity: z.string().optional(),
      /** File the issue is about. */
      file: z.string().optional(),
      /** What is wrong. */
      reason: z.string().min(1),
    })
    .loose(),
  // Reviewers often write plain strings; accept them and normalize.
  z
    .string()
    .min(1)
    .transform((reason): { reason: string; file?: string; severity?: string } => ({ reason })),
]);

/** The reviewer's verdict on a round. */
export const ReviewReportSchema = z
  .object({
    /** Must match the task card. */
    task_id: z.string(),
    /** Must match the round. */
    round: z.number().int().positive(),
    /** approve ends the run; changes_required sends blocking issues to the next round. */
    decision: z.enum(["approve", "changes_required"]),
    /** Issues that must be fixed. */
    blocking_issues: z.array(BlockingIssueSchema).default([]),
    /** Suggestions that do not block approval. */
    non_blocking_suggestions: z.array(z.unknown()).default([]),
  })
  .loose();

/** A normalized review report. */
export type ReviewReport = z.infer<typeof ReviewReportSchema>;

/** Where a fix item came from. */
export const FixSourceSchema = z.enum([
  "verify",
  "review",
  "noop",
  "report",
  "human",
  "critic",
  "protected",
  "out_of_tree",
  "merge",
  "conflict",
  "regression",
  "budget",
  "audit",
  "verifier",
  "plan",
]);

/** The list of things the next round must fix (written by bosun). */
export const FixListSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** Task the list belongs to. */
  task_id: z.string(),
  /** Round that produced the list; the next round works from it. */
  round: z.number().int().positive(),
  /** The items. */
  items: z.array(
    z.object({
      /** Which gate raised it. */
      source: FixSourceSchema,
      /** What must change. */
      reason: z.string(),
      /** File concerned, if known. */
      file: z.string().optional(),
      /** Severity from the reviewer, if any. */
      severity: z.string().optional(),
    }),
  ),
});

/** A fix list. */
export type FixList = z.infer<typeof FixListSchema>;
/** One fix item. */
export type FixItem = FixList["items"][number];

/** Result of one gate in a round. */
export const GateResultSchema = z.object({
  /** Gate name: report, noop, verify, review. */
  name: z.string(),
  /** True when the gate passed. */
  passed: z.boolean(),
  /** One-line explanation. */
  detail: z.string(),
  /** How long it took. */
  durationMs: z.number().nonnegative().optional(),
  /** What the next round must fix when the gate failed. */
  fixItems: z.array(FixListSchema.shape.items.element).default([]),
  /** Set when the failure is not the worker's to fix next round: a human must look (why, in detail). */
  isEscalation: z.boolean().optional(),
});

/** A gate result. */
export type GateResult = z.infer<typeof GateResultSchema>;

/** gates.json: every gate's result for one round. */
export const GatesFileSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** The round. */
  round: z.number().int().positive(),
  /** Gates in the order they ran. */
  gates: z.array(GateResultSchema),
});
