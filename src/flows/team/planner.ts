/**
 * The planning step of a team run: the planner agent turns the goal into a task graph, written
 * to plan.json and checked (schema, roles, dependencies, cycles) before anything else starts. An
 * invalid plan gets one re-prompt with the exact error; a second one fails the run clearly.
 */
import { readFile } from "node:fs/promises";
import { AgentError } from "../../errors.js";
import { writeJsonAtomic } from "../../store/json-file.js";
import { MAX_PLAN_TASKS } from "../../store/plan-check.js";
import { getRoundState } from "../../store/run-index.js";
import { PlanSchema, parsePlan, type Plan } from "../../store/schema/plan.js";
import { runSeatWithReprompt } from "../agent-step.js";
import type { RoundScope } from "../flow-context.js";
import type { ReportCheck } from "../report-check.js";
import { scopeFields } from "../task-round.js";
import { PLAN_TASK_ID, RESERVED_TASK_IDS, type TeamContext } from "./team-context.js";
import { PLANNER_TEMPLATE, formatIntelligence, renderTeamPrompt } from "./team-prompts.js";

/**
 * Reads and checks plan.json as the planner (or a human) left it. Owned paths are checked only
 * for a planner's new plan (`isNew`): a plan a run already works to, read back on resume, is not
 * failed by a `team.<role>.paths` added since.
 */
export async function readPlanFile(
  team: TeamContext,
  options: { isNew?: boolean } = {},
): Promise<ReportCheck<Plan>> {
  const file = team.ctx.paths.planFile(team.ctx.runId);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return { isValid: false, error: `no plan was written to ${file}` };
  }
  const parsed = parsePlan(text, {
    knownRoles: [...team.roles.keys()],
    ...(options.isNew === true ? { ownedPaths: getOwnedPaths(team) } : {}),
  });
  if (!parsed.ok) return { isValid: false, error: parsed.error };
  const reserved = parsed.plan.tasks.filter((task) => RESERVED_TASK_IDS.includes(task.id));
  if (reserved.length > 0)
    return {
      isValid: false,
      error: `task id(s) ${reserved.map((task) => `"${task.id}"`).join(", ")} are reserved by bosun; rename them`,
    };
  return { isValid: true, report: parsed.plan };
}

/** Runs (or recovers) the planner and journals the checked plan; returns it. */
export async function runPlanner(team: TeamContext): Promise<Plan> {
  const { ctx } = team;
  if (ctx.state.plannedTaskIds !== undefined) {
    const recorded = await readPlanFile(team);
    if (!recorded.isValid)
      throw new AgentError(`plan.json of run ${ctx.runId} is no longer valid: ${recorded.error}`, {
        isPermanent: true,
      });
    return recorded.report;
  }
  const scope: RoundScope = {
    taskId: PLAN_TASK_ID,
    round: 1,
    // Not the user's checkout: whatever a planner writes there must not land anywhere.
    cwd: team.integrationDir,
    harnesses: { planner: team.options.planner },
    maxRounds: 1,
    timeoutSec: team.options.timeoutSec,
    resumeCommand: team.resumeCommand,
  };
  if (getRoundState(ctx.state, PLAN_TASK_ID, 1) === undefined)
    await ctx.record({ type: "round.started", ...scopeFields(scope), head: team.baseCommit });
  const reportFile = ctx.paths.planFile(ctx.runId);
  const owned = getOwnedPaths(team);
  const roles = [...team.roles.values()]
    .map((role) => {
      const summary = role.summary === "" ? "" : ` — ${role.summary}`;
      const paths = owned[role.id];
      return `- ${role.id}: ${role.title}${summary}${paths === undefined ? "" : ` (owns: ${paths.join(", ")})`}`;
    })
    .join("\n");
  const plan = await runSeatWithReprompt(ctx, scope, {
    seat: "planner",
    basePrompt: renderTeamPrompt(PLANNER_TEMPLATE, {
      goal: team.goal.trim(),
      intelligence: formatIntelligence(team.intelligence),
      roles,
      report_file: reportFile,
      max_tasks: String(MAX_PLAN_TASKS),
      reserved_ids: RESERVED_TASK_IDS.map((id) => `"${id}"`).join(", "),
    }),
    reportFile,
    check: () => readPlanFile(team, { isNew: true }),
  });
  if (!plan.isValid)
    throw new AgentError(`The planner gave no valid plan after a re-prompt: ${plan.error}`, {
      isPermanent: true,
    });
  // Written back normalized (version, defaults) so a human editing it sees what bosun will run.
  await writeJsonAtomic(reportFile, PlanSchema, plan.report);
  const attempts = getRoundState(ctx.state, PLAN_TASK_ID, 1)?.completedDispatches.size ?? 1;
  await ctx.record({
    type: "plan.created",
    taskIds: plan.report.tasks.map((task) => task.id),
    attempt: Math.max(1, attempts),
  });
  return plan.report;
}

/** The paths each role owns under `team:` in bosun.yaml (roles without any left out). */
function getOwnedPaths(team: TeamContext): Record<string, string[]> {
  const owned: Record<string, string[]> = {};
  for (const [role, member] of Object.entries(team.ctx.config.team))
    if (member.paths !== undefined && member.paths.length > 0) owned[role] = member.paths;
  return owned;
}
