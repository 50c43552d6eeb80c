/** `bosun review`: start or resume a worker/reviewer loop on one task card or goal. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { findHarnessBinary } from "../../agents/doctor.js";
import { checkHarnessFlag, checkOfflineScript } from "../../agents/config-check.js";
import { resolveHarness } from "../../agents/harnesses.js";
import { AgentNotFoundError, UsageError, getErrorMessage, isNodeError } from "../../errors.js";
import { resumeReview, startReview, type ReviewOutcome } from "../../flows/review.js";
import type { ResolvedConfig } from "../../store/config.js";
import { describeFsError } from "../../store/fs-errors.js";
import { formatIssues } from "../../store/json-file.js";
import { createBosunPaths, type BosunPaths } from "../../store/paths.js";
import { resolveRunId } from "../../store/run-read.js";
import type { Config } from "../../store/schema/config.js";
import type { ReviewOptions } from "../../store/schema/run-options.js";
import { TaskCardSchema, type TaskCard } from "../../store/schema/task-card.js";
import type { CliContext } from "../context.js";
import { getExitCode } from "../exit-code.js";
import { subscribePrinter, formatStatus } from "../printer.js";

/** Flags of `bosun review`. */
export interface ReviewFlags {
  task?: string;
  goal?: string;
  worker?: string;
  reviewer?: string;
  maxRounds?: number;
  verify?: string;
  timeout?: number;
  allowDirty?: boolean;
  resume?: string;
  singleRound?: boolean;
}

/** Runs the command; exit 0 succeeded, 1 failed, 3 needs a human, 130 stopped. */
export async function runReview(ctx: CliContext, flags: ReviewFlags): Promise<number> {
  const paths = await ctx.getPaths();
  const resolved = await ctx.getConfig();
  const { config } = resolved;
  const onEvent = subscribePrinter(ctx);
  const common = {
    paths,
    config,
    signal: ctx.signal,
    onEvent,
    isSingleRound: flags.singleRound === true,
  };
  let outcome: ReviewOutcome;
  if (flags.resume !== undefined) {
    if (flags.task !== undefined || flags.goal !== undefined) {
      throw new UsageError(
        "--resume continues a run with its own task; do not pass --task or --goal with it.",
      );
    }
    if (flags.allowDirty === true) {
      throw new UsageError(
        "--allow-dirty applies when a run starts; a resumed run continues on its own tree.",
      );
    }
    const runId = await resolveRunId(paths, flags.resume);
    checkHarnessFlags(flags, config);
    const overrides = getResumeOverrides(flags);
    const worker = overrides.worker;
    const reviewer = overrides.reviewer;
    await checkHarnessesInstalled(
      [worker, reviewer].filter((name) => name !== undefined),
      resolved,
      paths,
    );
    outcome = await resumeReview({ ...common, runId, overrides });
  } else {
    checkHarnessFlags(flags, config);
    const { task, request } = await readTask(flags, paths.root);
    const reviewOptions = createReviewOptions(flags, config);
    await checkHarnessesInstalled([reviewOptions.worker, reviewOptions.reviewer], resolved, paths);
    outcome = await startReview({
      ...common,
      task,
      request,
      reviewOptions,
      isDirtyAllowed: flags.allowDirty === true,
    });
  }
  return reportOutcome(ctx, outcome);
}

/** Prints the ending and maps it to an exit code. */
export function reportOutcome(ctx: CliContext, outcome: ReviewOutcome): number {
  const { run } = outcome;
  // One line, like the events printed before it: --json stdout stays valid JSON Lines.
  if (ctx.isJson)
    process.stdout.write(
      `${JSON.stringify({ type: "review.result", run, isPaused: outcome.isPaused })}\n`,
    );
  else {
    const lines = [`${formatStatus(run.status)} run ${run.id} · round ${run.round} · ${run.step}`];
    if (outcome.isPaused) lines.push(`Paused. Continue with: bosun review --resume ${run.id}`);
    const askId = run.openAskIds[0];
    if (run.status === "needs_human" && askId !== undefined) {
      lines.push(`A human is needed: bosun asks, then bosun answer ${askId} more|accept|abort`);
    }
    if (run.status === "failed") lines.push(`Fix the cause, then: bosun review --resume ${run.id}`);
    // Shown relative to the repository root, wherever that is: `.bosun/runs/<id>`.
    const paths = createBosunPaths(".");
    const runDir = path.relative(paths.root, paths.runDir(run.id));
    lines.push(
      run.round === 0
        ? `Files: ${runDir}`
        : `Files: ${runDir} (last round: ${path.relative(paths.root, paths.roundDir(run.id, run.taskId, run.round))})`,
    );
    process.stderr.write(`${lines.join("\n")}\n`);
  }
  return getExitCode(ctx, outcome);
}

async function readTask(
  flags: ReviewFlags,
  root: string,
): Promise<{ task: TaskCard; request: string }> {
  if (flags.task !== undefined && flags.goal !== undefined)
    throw new UsageError("Give --task or --goal, not both.");
  if (flags.task !== undefined) {
    if (flags.task.trim() === "")
      throw new UsageError("--task is empty. Give --task a task_card.json file.");
    const file = path.resolve(flags.task);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      const why =
        isNodeError(error) && error.code === "ENOENT"
          ? "not found"
          : `cannot be read: ${describeFsError(error, file)}`;
      throw new UsageError(`Task card ${file} ${why}. Give --task a task_card.json file.`, {
        cause: error,
      });
    }
    const task = parseTaskCard(text, path.relative(root, file) || file);
    return {
      task,
      request: `# ${task.task_id}: ${task.goal}\n\n\`\`\`json\n${text.trim()}\n\`\`\`\n`,
    };
  }
  if (flags.goal !== undefined && flags.goal.trim() !== "") {
    const task: TaskCard = {
      task_id: "T-001",
      goal: flags.goal.trim(),
      in_scope: [],
      out_of_scope: [],
      acceptance_criteria: [`The goal is met: ${flags.goal.trim()}`],
      constraints: [],
    };
    return { task, request: `${flags.goal.trim()}\n` };
  }
  throw new UsageError(
    'Say what to do: --task FILE (a task card) or --goal "…". See bosun init for an example card.',
  );
}

/** A task card given with --task: bad content is a usage error naming the file and fields. */
function parseTaskCard(text: string, file: string): TaskCard {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Invalid task card ${file}: not valid JSON (${getErrorMessage(error)}). Fix it; bosun init writes an example to .bosun/examples/task_card.json.`,
    );
  }
  const result = TaskCardSchema.safeParse(data);
  if (!result.success) {
    throw new UsageError(
      `Invalid task card ${file}: ${formatIssues(result.error.issues)}. Fix it; bosun init writes an example to .bosun/examples/task_card.json.`,
    );
  }
  return result.data;
}

/** --worker and --reviewer must name a harness bosun knows: a usage error naming the flag. */
function checkHarnessFlags(flags: ReviewFlags, config: Config): void {
  if (flags.worker !== undefined) checkHarnessFlag("--worker", flags.worker, config.agents);
  if (flags.reviewer !== undefined) checkHarnessFlag("--reviewer", flags.reviewer, config.agents);
}

/** The option flags given with --resume: they change the run's options from then on. */
function getResumeOverrides(flags: ReviewFlags): Partial<ReviewOptions> {
  return {
    ...(flags.worker === undefined ? {} : { worker: flags.worker }),
    ...(flags.reviewer === undefined ? {} : { reviewer: flags.reviewer }),
    ...(flags.maxRounds === undefined ? {} : { maxRounds: flags.maxRounds }),
    ...(flags.verify === undefined ? {} : { verify: flags.verify }),
    ...(flags.timeout === undefined ? {} : { timeoutSec: flags.timeout }),
  };
}

function createReviewOptions(flags: ReviewFlags, config: Config): ReviewOptions {
  return {
    worker: flags.worker ?? config.review.worker,
    reviewer: flags.reviewer ?? config.review.reviewer,
    maxRounds: flags.maxRounds ?? config.review.maxRounds,
    verify: flags.verify ?? config.review.verify,
    timeoutSec: flags.timeout ?? config.dispatch.timeoutSec,
  };
}

/**
 * Refuses to start a run whose agent cannot run: its CLI is not installed, or (the offline
 * agent) its script is unset, missing or invalid. One clear error, nothing recorded.
 */
export async function checkHarnessesInstalled(
  names: readonly string[],
  resolved: ResolvedConfig,
  paths: BosunPaths,
): Promise<void> {
  const { config } = resolved;
  for (const name of new Set(names)) {
    if (name === "manual") continue;
    const harness = resolveHarness(name, config.agents);
    if (harness.spec.parser === "offline")
      await checkOfflineScript(resolved, paths.root, paths.workspaceConfigFile);
    if ((await findHarnessBinary(harness.spec)) !== undefined) continue;
    // A template replaces `command`, so advising agents.<name>.command would not help there.
    const { npmPackage } = harness.spec;
    const hint =
      config.agents[name]?.template !== undefined
        ? `install it or fix agents.${name}.template in bosun.yaml`
        : `install it${npmPackage === undefined ? "" : ` with "npm install -g ${npmPackage}"`} or set agents.${name}.command in bosun.yaml`;
    throw new AgentNotFoundError(harness.spec.command, name, { hint });
  }
}
