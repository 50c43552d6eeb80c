/**
 * One task of a team run, worked to a verdict in its own git worktree: SME worker → bosun's
 * checkpoint → outside-write, report, noop, protected-file and verify gates → an independent
 * critic on the real diff. A fix verdict starts the next round with the fix list (self-healing,
 * up to max repairs); past that, or on a gate that says a human must look, the task escalates.
 */
import { getErrorMessage } from "../../errors.js";
import { readAsk } from "../../human/asks.js";
import { readJson, writeJsonAtomic } from "../../store/json-file.js";
import { getTaskState, type TaskState } from "../../store/run-index.js";
import type { PlanTask } from "../../store/schema/plan.js";
import { FixListSchema, type FixItem } from "../../store/schema/reports.js";
import { TaskCardSchema, type TaskCard } from "../../store/schema/task-card.js";
import { getDiff, readRef } from "../../workspace/git.js";
import { canChangesConflict, findConflicts, snapshotTree } from "../../workspace/overlap.js";
import type { RoundScope } from "../flow-context.js";
import { createNoopGate, createReportGate, createVerifyGate } from "../gates.js";
import { formatFixList } from "../prompts.js";
import type { Gate } from "../round.js";
import { getScopeRound } from "../round-head.js";
import { runTaskRound, type WorkerProduction } from "../task-round.js";
import { runVerifierSeat } from "../verifier-step.js";
import { getTaskVerify, getWorkerHarness, type TeamContext } from "./team-context.js";
import { createOutsideWriteGate, createProtectedGate, recordOutsideBefore } from "./team-gates.js";
import {
  CRITIC_TEMPLATE,
  TEAM_WORKER_TEMPLATE,
  formatIntelligence,
  renderTeamPrompt,
} from "./team-prompts.js";

/** Most times a task's accepted work may come back from the merge queue before a human is asked. */
export const MAX_MERGE_SEND_BACKS = 3;

/** How a task's rounds ended. */
export type TaskVerdict =
  | { kind: "accepted"; commit: string; round: number }
  | { kind: "escalated"; round: number; reason: string };

/** What a task needs besides the team context. */
export interface TaskWork {
  /** The plan's task. */
  task: PlanTask;
  /** Its worktree. */
  cwd: string;
  /** Protected files (from the run's base). */
  protectedFiles: readonly string[];
  /** Environment for its agents and commands (BOSUN_PORT). */
  env: Readonly<Record<string, string>>;
  /** Other tasks' worktrees running now, for early conflict warnings. */
  listOtherWorktrees(): ReadonlyArray<{ taskId: string; cwd: string }>;
}

/** Works the task's rounds until its work is accepted or it escalates. */
export async function runTeamTask(team: TeamContext, work: TaskWork): Promise<TaskVerdict> {
  const { ctx } = team;
  const { task } = work;
  await writeTaskCard(team, task);
  for (;;) {
    const state = getTaskState(ctx.state, task.id);
    const next = getTaskNextRound(state, team.options.maxRepairs);
    if (next.kind !== "round") return next;
    const scope: RoundScope = {
      taskId: task.id,
      round: next.round,
      cwd: work.cwd,
      harnesses: { worker: getWorkerHarness(team, task), critic: team.options.critic },
      role: task.role,
      ...getWorkerModel(team, task),
      maxRounds: next.maxRounds,
      timeoutSec: team.options.timeoutSec,
      resumeCommand: team.resumeCommand,
      isVerifyFixed: true,
      env: work.env,
    };
    await recordOutsideBefore(ctx, scope, team.mainRoot);
    const carried = await readCarriedFixes(team, state, next.round);
    const warnings = formatOverlapWarnings(team, task.id);
    const gates: Array<Gate<WorkerProduction>> = [
      // First, though not the cheapest: a failed gate ends the round, and writes into the main
      // checkout must be undone whatever else is wrong (a worker that wrote only there fails noop).
      createOutsideWriteGate(ctx, scope, team.mainRoot),
      createReportGate(),
      createNoopGate(next.round),
      createProtectedGate({
        files: work.protectedFiles,
        scope: task.scope,
        cwd: work.cwd,
        base: getTaskState(ctx.state, task.id)?.worktree?.base ?? team.baseCommit,
        readIntegrationHead: async () =>
          (await readRef(team.mainRoot, team.integrationRef)) ?? team.baseCommit,
      }),
    ];
    const verify = getTaskVerify(team);
    if (verify !== "") gates.push(createVerifyGate(ctx, scope, verify));
    await runTaskRound(ctx, scope, {
      buildWorkerPrompt: (reportFile) => {
        const role = team.roles.get(task.role);
        return Promise.resolve(
          renderTeamPrompt(TEAM_WORKER_TEMPLATE, {
            task_id: task.id,
            round: String(next.round),
            max_rounds: String(next.maxRounds),
            cwd: work.cwd,
            role_title: role?.title ?? task.role,
            role_prompt: role?.prompt ?? "",
            intelligence: formatIntelligence(team.intelligence),
            agents_md: "",
            task_card: JSON.stringify(toTaskCard(task), null, 2),
            fix_list: formatFixList(carried.items, carried.note),
            warnings,
            report_file: reportFile,
          }),
        );
      },
      gates,
      verifier: (production) =>
        runVerifierSeat(
          ctx,
          scope,
          {
            seat: "critic",
            buildPrompt: async (reportFile) => {
              const verifyGate = getScopeRound(ctx, scope)?.gates.get("verify");
              return renderTeamPrompt(CRITIC_TEMPLATE, {
                task_id: task.id,
                round: String(next.round),
                cwd: work.cwd,
                intelligence: formatIntelligence(team.intelligence),
                task_card: JSON.stringify(toTaskCard(task), null, 2),
                work_report: production.report.isValid
                  ? JSON.stringify(production.report.report, null, 2)
                  : "(none)",
                files_changed: production.filesChanged.join(", "),
                diff: await getDiff(work.cwd, production.parent, production.commit),
                verify:
                  verifyGate === undefined
                    ? "(no test command configured)"
                    : `\`${team.options.verify}\` passed in the worktree: ${verifyGate.detail}`,
                report_file: reportFile,
              });
            },
          },
          production,
        ),
    });
    // Its worker's change is what it is now: tell both sides of any conflict before they go on.
    // Advice only: a check that fails (a worktree gone meanwhile) must not stop the task.
    await checkOverlaps(team, work).catch((error: unknown) =>
      ctx.emit({
        type: "warning",
        runId: ctx.runId,
        taskId: task.id,
        message: `The conflict check after task ${task.id}'s round failed: ${getErrorMessage(error)}`,
      }),
    );
  }
}

/** What a task does next, from its indexed state alone (pure; the heart of a task's resume). */
export function getTaskNextRound(
  task: TaskState | undefined,
  maxRepairs: number,
): { kind: "round"; round: number; maxRounds: number } | Exclude<TaskVerdict, { kind: "round" }> {
  const sendBacks = task?.mergeSendBacks ?? 0;
  const maxRounds =
    1 + maxRepairs + Math.min(sendBacks, MAX_MERGE_SEND_BACKS) + (task?.extraRounds ?? 0);
  const lastStarted = task?.lastStartedRound ?? 0;
  const last = task?.lastCompleted;
  if (lastStarted === 0) return { kind: "round", round: 1, maxRounds };
  if (last === undefined || last.round < lastStarted)
    return { kind: "round", round: lastStarted, maxRounds };
  const sentBackSeq = task?.lastSendBack?.seq ?? 0;
  const isSentBack = sentBackSeq > last.seq;
  // A human's answer counts for what it answered: given after the last verdict and after the
  // merge queue last sent the work back (an accepted merge that then conflicts is asked again).
  const answerSeq = task?.lastAnswer?.seq ?? 0;
  const answer =
    answerSeq > last.seq && answerSeq > sentBackSeq ? task?.lastAnswer?.answer : undefined;
  // "accept": the last round's work goes to the merge queue as it is.
  if (answer === "accept") {
    const commit = task?.rounds.get(last.round)?.checkpoint?.commit;
    if (commit !== undefined) return { kind: "accepted", commit, round: last.round };
    return {
      kind: "escalated",
      round: last.round,
      reason: `round ${last.round} made no checkpoint, so there is no work to accept; answer "more" or "abort"`,
    };
  }
  if (last.verdict === "accept" && !isSentBack) {
    const commit = task?.rounds.get(last.round)?.checkpoint?.commit ?? "";
    return { kind: "accepted", commit, round: last.round };
  }
  if (isSentBack && sendBacks > MAX_MERGE_SEND_BACKS && answer === undefined)
    return {
      kind: "escalated",
      round: last.round,
      reason: `its work came back from the merge queue ${sendBacks} times`,
    };
  if (last.verdict === "escalate" && answer === undefined && !isSentBack)
    return { kind: "escalated", round: last.round, reason: last.reason ?? "the round escalated" };
  if (last.round < maxRounds) return { kind: "round", round: last.round + 1, maxRounds };
  return {
    kind: "escalated",
    round: last.round,
    reason: `${last.round} round(s) ran without the critic's approval (${maxRepairs} repair(s) allowed)`,
  };
}

/** The model and thinking level a task's role names under team: in bosun.yaml, if any. */
function getWorkerModel(team: TeamContext, task: PlanTask): Pick<RoundScope, "workerModel"> {
  const member = team.ctx.config.team[task.role];
  if (member?.model === undefined && member?.thinking === undefined) return {};
  return {
    workerModel: {
      ...(member.model === undefined ? {} : { model: member.model }),
      ...(member.thinking === undefined ? {} : { thinking: member.thinking }),
    },
  };
}

/** The task card of a plan task (the format review's task cards use). */
function toTaskCard(task: PlanTask): TaskCard {
  return {
    task_id: task.id,
    goal: `${task.title}\n\n${task.description}`,
    in_scope: task.scope,
    out_of_scope: [],
    acceptance_criteria: task.acceptance_criteria,
    constraints: [],
  };
}

async function writeTaskCard(team: TeamContext, task: PlanTask): Promise<void> {
  const file = team.ctx.paths.taskCardFile(team.ctx.runId, task.id);
  if ((await readJson(file, TaskCardSchema)) === null)
    await writeJsonAtomic(file, TaskCardSchema, toTaskCard(task));
}

/**
 * The previous round's fix list, plus what came back from the merge queue since (a conflict to
 * resolve, tests a merge turned red) and a human's note with an answer.
 */
async function readCarriedFixes(
  team: TeamContext,
  task: TaskState | undefined,
  round: number,
): Promise<{ items: FixItem[]; note?: string }> {
  if (round === 1 || task === undefined) return { items: [] };
  const { ctx } = team;
  const previous = await readJson(
    ctx.paths.roundFile(ctx.runId, task.taskId, round - 1, "fix_list.json"),
    FixListSchema,
  );
  const items = [...(previous?.items ?? [])];
  const previousEnd = task.rounds.get(round - 1)?.completed?.seq ?? 0;
  if (task.lastSendBack !== undefined && task.lastSendBack.seq > previousEnd) {
    const sent = task.lastSendBack;
    items.push(
      sent.type === "merge.conflicted"
        ? {
            source: "conflict",
            reason: `Your accepted change conflicts with the integration branch (${team.integrationRef.replace("refs/heads/", "")}) in: ${sent.files.join(", ")}. Merge it into your branch ("git merge ${team.integrationRef.replace("refs/heads/", "")}"), resolve the conflicts keeping both sides' intent, and make the tests pass.`,
          }
        : {
            source: "regression",
            reason: `Merging your change turned the project's tests red on the integration branch; it was reverted. Merge the integration branch into yours ("git merge ${team.integrationRef.replace("refs/heads/", "")}") and fix this: ${sent.reason}`,
          },
    );
  }
  // A human's note with an answer given since the previous round ended speaks to this round.
  const answered = task.lastAnswer;
  const note =
    answered !== undefined && answered.seq > previousEnd
      ? (await readAsk(ctx.paths, answered.askId)).answer?.note
      : undefined;
  return { items, ...(note === undefined ? {} : { note }) };
}

/**
 * Checks the task's change (uncommitted work included) against every other running task's, once
 * its worker's round is done: changed paths first (kept looks, see change-measurer.ts), a
 * read-only three-way merge only where they touch. A conflict is noted for both workers' next
 * prompts and shown as a warning; a pair that no longer conflicts is cleared.
 */
export async function checkOverlaps(team: TeamContext, work: TaskWork): Promise<void> {
  const { ctx } = team;
  const me = work.task.id;
  const others = work.listOtherWorktrees();
  if (others.length === 0) return;
  const mine = await team.changes.measure(me, work.cwd);
  const touching: Array<{ taskId: string; cwd: string }> = [];
  for (const other of others) {
    // A task the scheduler just started may not have its worktree yet: nothing to compare.
    const theirs = await team.changes.measure(other.taskId, other.cwd);
    if (canChangesConflict(mine, theirs)) touching.push(other);
    else team.overlapNotes.clear(me, other.taskId);
  }
  if (touching.length === 0) return;
  const base = (await readRef(team.mainRoot, team.integrationRef)) ?? team.baseCommit;
  const mineTree = await snapshotTree(work.cwd);
  for (const other of touching) {
    const conflicts = await snapshotTree(other.cwd)
      .then((theirs) => findConflicts(team.mainRoot, { base, a: mineTree, b: theirs }))
      // Its worktree went away meanwhile (it merged or failed): nothing left to warn about.
      .catch(() => []);
    if (conflicts.length === 0) {
      team.overlapNotes.clear(me, other.taskId);
      continue;
    }
    const message = `Tasks ${me} and ${other.taskId} are changing the same lines of ${conflicts.join(", ")}; the one merged second will have to resolve the conflict.`;
    team.overlapNotes.note(me, other.taskId, message);
    for (const taskId of [me, other.taskId])
      ctx.emit({ type: "warning", runId: ctx.runId, taskId, message });
  }
}

/** The conflict warnings for a task's worker prompt ("" when there are none). */
export function formatOverlapWarnings(team: TeamContext, taskId: string): string {
  const lines = team.overlapNotes.listFor(taskId).map((message) => `- ${message}`);
  return lines.length === 0
    ? ""
    : `\n## Heads-up: overlapping work\n${lines.join("\n")}\nKeep your change to your task's scope.\n`;
}
