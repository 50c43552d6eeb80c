/**
 * How a team run ended, for a human: summary.md (tasks merged, failed, escalated, cost, wall time,
 * the integration branch) and per task an evidence bundle (evidence.md: its merged diff, where its
 * test output and the critic's verdict are).
 */
import { existsSync } from "node:fs";
import { writeTextAtomic } from "../../store/json-file.js";
import { getTaskState } from "../../store/run-index.js";
import type { RunStore } from "../../store/run-store.js";
import type { Plan } from "../../store/schema/plan.js";
import { getDiff } from "../../workspace/git.js";
import type { TeamContext } from "./team-context.js";

/** Writes summary.md and each task's evidence.md. */
export async function writeTeamSummary(
  team: TeamContext,
  plan: Plan,
  store: RunStore,
  mergeNote: string,
): Promise<void> {
  const { ctx } = team;
  const run = store.run;
  const rows: string[] = [];
  for (const task of plan.tasks) {
    const state = getTaskState(ctx.state, task.id);
    const status = state?.status ?? "pending";
    const rounds = state?.lastStartedRound ?? 0;
    rows.push(
      `| ${task.id} | ${task.title.replaceAll("|", "/")} | ${task.role} | ${status} | ${rounds} | $${(state?.costUsd ?? 0).toFixed(4)} | ${state?.merged?.commit.slice(0, 7) ?? ""} |`,
    );
    // Written when the task merged or failed (`writeTaskEvidence`); here everything else: tasks
    // that never ran or wait for a human (their status may have changed since), and one whose
    // process died between its end and its evidence. Only a merged task's needs a git call.
    const isFinal = status === "merged" || status === "failed";
    if (!isFinal || !existsSync(ctx.paths.taskFile(ctx.runId, task.id, "evidence.md")))
      await writeTaskEvidence(team, task.id, task.title);
  }
  const wallMs = Date.parse(run.updatedAt) - Date.parse(run.createdAt);
  const text = [
    `# Team run ${ctx.runId}`,
    "",
    `Goal: ${team.goal.split("\n")[0] ?? ""}`,
    `Integration branch: ${team.integrationRef.replace("refs/heads/", "")}${mergeNote === "" ? "" : ` (${mergeNote})`}`,
    `Cost: $${run.costUsd.toFixed(4)} · wall time ${Math.round(wallMs / 1000)} s`,
    "",
    "| task | title | role | status | rounds | cost | merge |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "Each task's evidence (diff, test output, the critic's verdict): tasks/<task>/evidence.md.",
    "",
  ].join("\n");
  await writeTextAtomic(ctx.paths.summaryFile(ctx.runId), text);
}

/**
 * Writes a task's evidence.md: its status, where its last round's files are, and its merged diff.
 * Called as each task settles, so the run's end does not pay for every task at once.
 */
export async function writeTaskEvidence(
  team: TeamContext,
  taskId: string,
  title: string,
): Promise<void> {
  const { ctx } = team;
  const state = getTaskState(ctx.state, taskId);
  const merged = state?.merged;
  const last = state?.lastStartedRound ?? 0;
  const diff =
    merged === undefined
      ? "(not merged)"
      : await getDiff(team.mainRoot, merged.previous, merged.commit);
  const lines = [
    `# Task ${taskId}: ${title}`,
    "",
    `Status: ${state?.status ?? "pending"} after ${last} round(s)${state?.lastStatus?.reason === undefined ? "" : ` — ${state.lastStatus.reason}`}`,
    "",
    last === 0
      ? "No round ran."
      : `Last round's files: ${ctx.paths.roundDir(ctx.runId, taskId, last)} (verify.log: the tests; review_report.json: the critic's verdict; gates.json: every gate).`,
    merged === undefined
      ? ""
      : `Tests after the merge: ${ctx.paths.taskFile(ctx.runId, taskId, "merge-verify.log")}`,
    "",
    "## Merged change",
    "```diff",
    diff.length > 200_000 ? `${diff.slice(0, 200_000)}\n… (cut)` : diff,
    "```",
    "",
  ];
  await writeTextAtomic(ctx.paths.taskFile(ctx.runId, taskId, "evidence.md"), lines.join("\n"));
}
