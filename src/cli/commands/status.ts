/** `bosun status [RUN]`: one run's snapshot, read from run.json alone (fast at any history size). */
import path from "node:path";
import { StateError } from "../../errors.js";
import { readTells } from "../../human/tells.js";
import { getResumeCommand } from "../../flows/resume-command.js";
import { readRun, resolveRunId } from "../../store/run-lookup.js";
import { readLiveLockHolder } from "../../store/run-lock.js";
import type { CliContext } from "../context.js";
import { formatStatus, formatUsd, oneLine, printJson, shortSha } from "../format.js";

/** Prints the status of a run. */
export async function runStatus(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted);
  const run = await readRun(paths, runId);
  if (run === null)
    throw new StateError(
      `Run ${runId} has no run.json yet (${paths.runFile(runId)}). Try "bosun log ${runId}", or "bosun review --resume ${runId}" to rebuild it from events.jsonl.`,
    );
  const writerPid = await readLiveLockHolder(paths.lockFile(runId));
  const isLive = writerPid !== undefined;
  const tells = await readTells(paths, runId);
  if (ctx.isJson) {
    printJson({
      ...run,
      isLive,
      writerPid: writerPid ?? null,
      tells: { pending: tells.pending, delivered: tells.delivered },
    });
    return 0;
  }
  const resume = getResumeCommand(run.flow, run.id);
  const liveness = isLive
    ? ` (process ${writerPid})`
    : run.status === "running"
      ? ` (interrupted: no live process; continue with ${resume})`
      : run.status === "paused"
        ? ` (continue with ${resume})`
        : "";
  const lines = [`run      ${run.id}  ${formatStatus(run.status)}${liveness}`];
  if (run.flow === "review") {
    const { options } = run;
    lines.push(
      `task     ${run.taskId}: ${run.title}`,
      `agents   worker ${options.worker} · reviewer ${options.reviewer}${options.verify === "" ? "" : ` · verify \`${options.verify}\``}`,
      `round    ${run.round} of ${options.maxRounds} · last step ${run.step}`,
    );
  } else if (run.flow === "pipeline") {
    const { options } = run;
    lines.push(
      `task     ${run.taskId}: ${run.title}`,
      `agents   producer ${options.producer} · verifier ${options.verifier}${options.verify === "" ? "" : ` · verify \`${options.verify}\``}`,
      `pairs    ${options.pairs.join(" → ")} · now ${run.phase ?? "(not started)"} iteration ${run.round} of ${options.maxIterations} · last step ${run.step}`,
    );
    if (run.parentRunId !== undefined) lines.push(`parent   ${run.parentRunId}`);
    if (run.followupRunId !== undefined) lines.push(`followup ${run.followupRunId}`);
  } else {
    const { options } = run;
    lines.push(
      `goal     ${run.title}`,
      `agents   planner ${options.planner} · workers ${options.worker} · critic ${options.critic} · ${options.maxParallel} at once`,
      `branch   ${run.integrationBranch} · last step ${run.step}`,
    );
  }
  lines.push(
    `commits  ${shortSha(run.baseCommit)} → ${shortSha(run.headCommit)}`,
    `cost     ${formatUsd(run.costUsd)} · ${run.tokens.inputTokens} in / ${run.tokens.outputTokens} out tokens`,
    `updated  ${run.updatedAt} · ${run.eventCount} events`,
  );
  if (run.reason !== undefined) lines.push(`reason   ${run.reason}`);
  const files =
    run.flow === "review" && run.round > 0
      ? paths.roundDir(run.id, run.taskId, run.round)
      : paths.runDir(run.id);
  lines.push(`files    ${formatPathFromCwd(files)}  (prompts, agent logs, reports)`);
  const choices =
    run.flow === "review"
      ? "more|accept|abort"
      : run.flow === "pipeline"
        ? '"<answer>"'
        : "<option>";
  for (const askId of run.openAskIds)
    lines.push(`ask      ${askId} (bosun answer ${askId} ${choices})`);
  // Tells wait in the mailbox until the run's process puts them into a worker prompt; a run that
  // finished first (an accept or abort after the tell) never will.
  const isFinished = run.status === "succeeded" || run.status === "cancelled";
  for (const tell of tells.pending)
    lines.push(
      `tell     ${tell.id} for ${tell.taskId ?? "the next worker"}, ${isFinished ? `never delivered: the run ${run.status} before a worker ran` : "not delivered yet"}: ${oneLine(tell.text, 60)}`,
    );
  if (tells.delivered.length > 0)
    lines.push(`told     ${tells.delivered.length} delivered (bosun log ${run.id} shows them)`);
  for (const problem of tells.problems) lines.push(`warning  ${problem}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** Relative to the cwd when inside it; absolute otherwise (e.g. with --root), so it works as typed. */
function formatPathFromCwd(file: string): string {
  const relative = path.relative(process.cwd(), file);
  if (relative === "") return ".";
  return relative.split(path.sep)[0] === ".." || path.isAbsolute(relative) ? file : relative;
}
