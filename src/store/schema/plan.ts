/**
 * plan.json: a team run's plan, the task graph a planner agent made from the goal. `parsePlan`
 * turns the planner's reply into a checked plan, or into one exact message to re-prompt it with.
 */
import { z } from "zod";
import { suggestKey } from "../config-issues.js";
import { parseJsonReply } from "../json-reply.js";
import { checkPlan } from "../plan-check.js";
import { SafeIdSchema } from "./ids.js";

/** The longest estimate a task may carry: a week of work is already a plan of its own. */
export const MAX_ESTIMATE_MINUTES = 7 * 24 * 60;

/** What a scope entry is told when it is not a repository-relative path or glob. */
const SCOPE_RULE =
  'a scope entry is a path or glob relative to the repository root, without ".." or a leading "/" (such as "src/store/" or "src/**/*.test.ts")';

/** True when a scope entry stays inside the repository: relative, no `..`, no backslash. */
function isRelativeScope(entry: string): boolean {
  if (entry.trim() === "" || entry.startsWith("/") || entry.includes("\\")) return false;
  return !entry.split("/").includes("..");
}

/** One task of the plan: a unit of work for one worker, in its own worktree and branch. */
export const PlanTaskSchema = z.strictObject({
  /** Unique in the plan; names the task's directory and branch. */
  id: SafeIdSchema,
  /** A short title for lists and the dashboard. */
  title: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  /** What to do, for the worker: context, approach, pitfalls. */
  description: z.string().min(1, "must not be empty"),
  /** The seat that does the work: one of the run's configured roles. */
  role: z.string().min(1, "must not be empty"),
  /** Ids of the tasks whose work must be merged before this one starts (`[]` for none). */
  depends_on: z.array(z.string()),
  /** Checkable statements the reviewer holds the work to; at least one. */
  acceptance_criteria: z
    .array(z.string().min(1, "must not be empty"))
    .min(1, "needs at least one criterion the reviewer can check"),
  /**
   * Paths or globs (`*`, `**`, `?`, `{a,b}`) the work is expected to change, relative to the
   * repository root; a directory covers everything under it. A hint for ordering, not a lock.
   */
  scope: z
    .array(z.string().refine(isRelativeScope, SCOPE_RULE))
    .min(1, 'needs at least one path or glob ("**" when the task may touch anything)'),
  /** 1 (first) to 5 (last): the order among tasks that are ready at the same time. */
  priority: z
    .number()
    .int("must be a whole number from 1 (first) to 5 (last)")
    .min(1, "must be from 1 (first) to 5 (last)")
    .max(5, "must be from 1 (first) to 5 (last)"),
  /** The planner's guess of the work's size; optional. */
  estimate: z
    .strictObject({
      /** Minutes of agent work, a whole number. */
      minutes: z
        .number()
        .int("must be a whole number")
        .positive("must be at least 1")
        .max(MAX_ESTIMATE_MINUTES, `must be at most ${MAX_ESTIMATE_MINUTES} (a week)`),
    })
    .optional(),
});

/** A task of a plan. */
export type PlanTask = z.infer<typeof PlanTaskSchema>;

/** plan.json */
export const PlanSchema = z.strictObject({
  /** Format version. */
  version: z.literal(1, "must be 1"),
  /** The goal the plan serves, as the planner understood it. */
  goal: z.string().min(1, "must not be empty"),
  /** The tasks, in the planner's order (the tie-break after priority). */
  tasks: z.array(PlanTaskSchema).min(1, "empty; a plan needs at least one task"),
});

/** A plan. */
export type Plan = z.infer<typeof PlanSchema>;

/** A planner need not write `version`; everything else is as in plan.json. */
const PlannerReplySchema = PlanSchema.extend({
  /** Format version; the planner may leave it out. */
  version: z.literal(1, "must be 1 (or left out)").default(1),
});

/** What `parsePlan` needs to know beyond the text. */
export interface ParsePlanOptions {
  /** The roles the run has seats for; a task naming another one is refused. */
  knownRoles: readonly string[];
  /** Most tasks allowed (default MAX_PLAN_TASKS). */
  maxTasks?: number;
  /** Paths each role owns: only that role's tasks may change them. */
  ownedPaths?: Readonly<Record<string, readonly string[]>>;
}

/** A checked plan, or the exact reason there is none (for a re-prompt of the planner). */
export type ParsePlanResult = { ok: true; plan: Plan } | { ok: false; error: string };

/** Most schema issues listed in one message; the rest are counted. */
const MAX_LISTED_ISSUES = 20;

/**
 * Parses a planner's reply: the JSON (bare, in one ```json fence or inside prose), the schema,
 * then the graph (`checkPlan`: unique ids, known roles and dependencies, no cycle, the cap).
 * Every problem found at a stage is listed, so one re-prompt can fix them all.
 */
export function parsePlan(text: string, options: ParsePlanOptions): ParsePlanResult {
  const json = parseJsonReply(text);
  if (!json.ok) return json;
  const result = PlannerReplySchema.safeParse(json.value, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => formatPlanIssue(issue, json.value));
    return { ok: false, error: joinProblems(problems, MAX_LISTED_ISSUES) };
  }
  const plan = result.data;
  const problems = checkPlan(plan, options);
  if (problems.length > 0) return { ok: false, error: joinProblems(problems, MAX_LISTED_ISSUES) };
  return { ok: true, plan };
}

/** One problem as it is; several as a counted list, one per line. */
export function joinProblems(problems: readonly string[], maxListed: number): string {
  if (problems.length === 1) return problems[0] ?? "";
  const listed = problems.slice(0, maxListed).map((problem) => `- ${problem}`);
  const more = problems.length - listed.length;
  if (more > 0) listed.push(`- and ${more} more`);
  return `the plan has ${problems.length} problems:\n${listed.join("\n")}`;
}

/** The fields of each object in a plan, for "did you mean" on an unknown field. */
const FIELDS = {
  plan: Object.keys(PlannerReplySchema.shape),
  task: Object.keys(PlanTaskSchema.shape),
  estimate: ["minutes"],
};

/** `tasks[2] ("api").priority: must be …`, from a zod issue and the data it was about. */
function formatPlanIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const where = formatPath(issue.path, data);
  if (issue.code === "unrecognized_keys") {
    const known =
      issue.path.length === 0
        ? FIELDS.plan
        : issue.path.length === 2
          ? FIELDS.task
          : FIELDS.estimate;
    const parts = issue.keys.map((key) => {
      const alias = FIELD_ALIASES[key];
      const suggestion =
        alias !== undefined && known.includes(alias) ? alias : suggestKey(key, known);
      return suggestion === undefined ? `"${key}"` : `"${key}" (did you mean "${suggestion}"?)`;
    });
    const subject = where === "" ? "the plan" : where;
    return `${subject}: unknown field${parts.length > 1 ? "s" : ""} ${parts.join(", ")}; the fields are ${known.join(", ")}`;
  }
  const message =
    issue.code === "invalid_type" && TYPE_NAMES[issue.expected] !== undefined
      ? issue.input === undefined
        ? `missing (expected ${TYPE_NAMES[issue.expected]})`
        : `expected ${TYPE_NAMES[issue.expected]}, got ${describeType(issue.input)}`
      : issue.message;
  return `${where === "" ? "the plan" : where}: ${message}`;
}

/** zod's type names as a message says them. */
const TYPE_NAMES: Partial<Record<string, string>> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "an array",
  object: "an object",
};

/** The JSON type of a value, as a message says it. */
function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  return typeof value;
}

/**
 * Field names planners reach for, from other tools' formats (Task Master's `dependencies`,
 * touches/files for scope): suggested when edit distance would not find them.
 */
const FIELD_ALIASES: Partial<Record<string, string>> = {
  dependencies: "depends_on",
  deps: "depends_on",
  depends: "depends_on",
  dependsOn: "depends_on",
  blocked_by: "depends_on",
  blockedBy: "depends_on",
  acceptance: "acceptance_criteria",
  acceptanceCriteria: "acceptance_criteria",
  criteria: "acceptance_criteria",
  touches: "scope",
  files: "scope",
  paths: "scope",
  name: "title",
  details: "description",
};

/** `tasks[2] ("api").acceptance_criteria[0]`: indexes in brackets, a task named by its id. */
function formatPath(path: readonly PropertyKey[], data: unknown): string {
  let text = "";
  let node: unknown = data;
  for (const key of path) {
    node = isRecord(node) ? node[String(key)] : undefined;
    text += typeof key === "number" ? `[${key}]` : `${text === "" ? "" : "."}${String(key)}`;
    const id = isRecord(node) ? node["id"] : undefined;
    if (
      typeof key === "number" &&
      path[0] === "tasks" &&
      text === `tasks[${key}]` &&
      typeof id === "string"
    ) {
      text += ` (${JSON.stringify(id)})`;
    }
  }
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
