/**
 * The plain and --json subscriber to BosunEvents: one compact progress line per step, tool use
 * and verdict (agent text too with --verbose), or every event as one JSON line with --json.
 */
import type { AgentEvent } from "../agents/agent-event.js";
import type { BosunEvent, BosunEventListener } from "../flows/events.js";
import type { CliContext } from "./context.js";
import { color, formatDuration, formatStatus, formatUsd, oneLine, shortSha } from "./format.js";

// Kept in format.ts, where status and board take it from without loading this printer.
export { formatStatus } from "./format.js";

/** Printer settings. */
export interface PrinterOptions {
  /** Print events as JSON lines. */
  isJson: boolean;
  /** Print agent text and results too. */
  isVerbose: boolean;
  /** Where lines go (stderr by default so stdout stays clean for --json summaries). */
  write?: (line: string) => void;
  /** While an agent prints nothing for this long, say it is still working (0 = never). */
  heartbeatMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Start each task's line with its id (a team run's tasks print interleaved). */
  showTaskIds?: boolean;
}

/** Agent text lines shown per second by default (--verbose shows all). */
export const TEXT_LINES_PER_SECOND = 20;

/** Default quiet time before a "still working" line. */
export const HEARTBEAT_MS = 30_000;

/**
 * Subscribes a printer (as the global options ask) to the invocation's event stream and returns
 * what the flow publishes with: the printer is one subscriber of the bus, like any other surface.
 */
export function subscribePrinter(
  ctx: Pick<CliContext, "events" | "isJson" | "isVerbose">,
  options: Pick<PrinterOptions, "showTaskIds"> = {},
): BosunEventListener {
  ctx.events.subscribe(createPrinter({ isJson: ctx.isJson, isVerbose: ctx.isVerbose, ...options }));
  return ctx.events.publish;
}

/** Creates an event listener that prints progress. */
export function createPrinter(options: PrinterOptions): (event: BosunEvent) => void {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (options.isJson) return (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
  const heartbeat = createHeartbeat(write, options.heartbeatMs ?? HEARTBEAT_MS);
  const textBudget = createTextBudget(options.now ?? Date.now);
  return (event) => {
    heartbeat.observe(event);
    const line = formatEvent(event, options.isVerbose);
    if (line === undefined) return;
    // A plain-text agent turns every output line into a message; never echo a flood.
    if (!options.isVerbose && event.type === "agent.output" && event.event.type === "text") {
      const skipped = textBudget.take();
      if (skipped === undefined) return;
      if (skipped > 0)
        write(color.dim(`    … ${skipped} more line(s) of agent text; all of it is in agent.log`));
    }
    write(options.showTaskIds === true ? prefixTask(event, line) : line);
  };
}

/** `[task] line`, for an event of one task (the planner's and run-level lines stay as they are). */
export function prefixTask(event: BosunEvent, line: string): string {
  const taskId = "taskId" in event ? event.taskId : undefined;
  if (taskId === undefined || taskId === "plan" || event.type === "run.created") return line;
  return line
    .split("\n")
    .map((part) => `${color.cyan(`[${taskId}]`)} ${part.trimStart()}`)
    .join("\n");
}

/** At most TEXT_LINES_PER_SECOND agent text lines a second; returns lines skipped since the last one shown, or undefined to skip. */
function createTextBudget(now: () => number): { take(): number | undefined } {
  let windowStart = 0;
  let shown = 0;
  let skipped = 0;
  return {
    take() {
      const t = now();
      if (t - windowStart >= 1000) {
        windowStart = t;
        shown = 0;
      }
      if (shown >= TEXT_LINES_PER_SECOND) {
        skipped += 1;
        return undefined;
      }
      shown += 1;
      const result = skipped;
      skipped = 0;
      return result;
    },
  };
}

/**
 * Says "still working" while a dispatch is silent, so a long agent run never looks hung. One
 * timer per wait, re-armed by output: no work is done per event beyond resetting it.
 */
function createHeartbeat(
  write: (line: string) => void,
  quietMs: number,
): { observe(event: BosunEvent): void } {
  let timer: NodeJS.Timeout | undefined;
  let label = "";
  let startedAt = 0;
  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const arm = (): void => {
    stop();
    timer = setTimeout(() => {
      write(`  ${label} ${color.dim(`still working · ${formatDuration(Date.now() - startedAt)}`)}`);
      arm();
    }, quietMs);
    // A heartbeat must never keep bosun alive on its own.
    timer.unref();
  };
  return {
    observe(event) {
      if (quietMs <= 0) return;
      switch (event.type) {
        case "dispatch.started":
          label = `${event.seat} ${event.harness}`;
          startedAt = Date.now();
          arm();
          break;
        case "agent.output":
        case "agent.retry":
          if (timer !== undefined) arm();
          break;
        case "manual.waiting":
          label = `${event.seat} (manual: waiting for ${event.reportFile})`;
          arm();
          break;
        case "dispatch.completed":
        case "dispatch.failed":
        case "run.completed":
          stop();
          break;
        default:
          break;
      }
    },
  };
}

/** One human line for an event, or undefined to say nothing. */
export function formatEvent(event: BosunEvent, isVerbose: boolean): string | undefined {
  switch (event.type) {
    case "run.created":
      if (event.flow === "team")
        return `${color.bold("▶ team run")} ${event.runId} · ${event.title} · planner ${event.options.planner}, workers ${event.options.worker}, critic ${event.options.critic}, ${event.options.maxParallel} at once`;
      if (event.flow === "pipeline")
        return `${color.bold("▶ pipeline")} ${event.runId} · task ${event.taskId}${event.parentRunId === undefined ? "" : ` · follow-up of ${event.parentRunId}`} · ${event.options.pairs.join(" → ")} · producer ${event.options.producer}, verifier ${event.options.verifier}, up to ${event.options.maxIterations} iteration(s) a pair`;
      return `${color.bold("▶ review")} ${event.runId} · task ${event.taskId} · worker ${event.options.worker}, reviewer ${event.options.reviewer}, up to ${event.options.maxRounds} round(s)`;
    case "run.resumed":
      return `${color.bold("▶ resumed")} ${event.runId}`;
    case "run.paused":
      return `${formatStatus("paused")} ${event.reason}`;
    case "head.moved": {
      const list = event.commits.slice(0, 3).join("; ") + (event.commits.length > 3 ? "; …" : "");
      const what =
        event.commits.length === 0 ? "" : ` (${event.commits.length} commit(s): ${list})`;
      const done =
        event.stage === "gates"
          ? `kept on top of the checkpoint; the worker's change is still the checkpoint's diff, and the gates run on the tree as it is`
          : `they are not the worker's: round ${event.round} measures the worker's change from ${shortSha(event.to)}`;
      return `  ${color.yellow("HEAD moved")} outside the run, ${shortSha(event.from)} → ${shortSha(event.to)}${what}; ${done}`;
    }
    case "options.changed":
      if ("pairs" in event.options)
        return `  options now: ${event.options.pairs.join(" → ")}, producer ${event.options.producer}, verifier ${event.options.verifier}, up to ${event.options.maxIterations} iteration(s) a pair, timeout ${event.options.timeoutSec}s`;
      if (!("reviewer" in event.options)) {
        const { maxParallel, maxRepairs, timeoutSec, budgetUsd, taskBudgetUsd } = event.options;
        return `  options now: ${maxParallel} task(s) at once, ${maxRepairs} repair round(s), timeout ${timeoutSec}s, budget ${budgetUsd === undefined ? "no cap" : formatUsd(budgetUsd)}, each task ${taskBudgetUsd === undefined ? "no cap" : formatUsd(taskBudgetUsd)}`;
      }
      return `  options now: worker ${event.options.worker}, reviewer ${event.options.reviewer}, up to ${event.options.maxRounds} round(s), timeout ${event.options.timeoutSec}s${event.options.verify === "" ? "" : `, verify \`${event.options.verify}\``}`;
    case "round.started":
      return event.phase === undefined
        ? color.bold(`── round ${event.round}`)
        : color.bold(`── ${event.phase} · iteration ${event.round}`);
    case "dispatch.started": {
      const what = event.attempt > 1 ? `re-prompt (attempt ${event.attempt})` : "working";
      const session =
        event.resumeSessionId === undefined
          ? ""
          : `, resuming session ${event.resumeSessionId.slice(0, 12)}`;
      return `  ${event.seat} ${event.harness} ${color.dim(`${what}${session}…`)}`;
    }
    case "dispatch.completed": {
      const session =
        event.sessionId === undefined
          ? ""
          : color.dim(` · session ${event.sessionId.slice(0, 12)}`);
      const cost = `${formatUsd(event.costUsd)}${event.isCostEstimated ? "~" : ""}`;
      return `  ${event.seat} ${color.green("✓")} ${formatDuration(event.durationMs)} · ${cost} · ${event.tokens.inputTokens + event.tokens.outputTokens} tok${session}`;
    }
    case "dispatch.failed":
      return `  ${event.seat} ${color.red("✗")} ${event.message}`;
    case "dispatch.cancelled":
      return `  ${event.seat} ${color.yellow("stopped")}`;
    case "checkpoint.started":
      return undefined;
    case "checkpoint.created":
      if (event.commit === "") return `  ${color.dim("no checkpoint (--no-git)")}`;
      return `  checkpoint ${shortSha(event.commit)} · ${event.filesChanged.length} file(s) changed`;
    case "gate.completed":
      return `  gate ${event.name} ${event.passed ? color.green("✓") : color.red("✗")} ${color.dim(oneLine(event.detail))}`;
    case "review.completed":
      return `  ${event.seat === "reviewer" ? "review" : event.seat} ${event.decision === "approve" ? color.green("approve") : color.yellow("changes_required")}${event.blockingIssues > 0 ? ` · ${event.blockingIssues} blocking issue(s)` : ""}`;
    case "round.completed":
      return `  round ${event.round} → ${event.verdict}${event.fixItems > 0 ? ` (${event.fixItems} item(s) to fix)` : ""}`;
    case "ask.created":
      return `${color.yellow("? ask")} ${event.askId}: ${event.question}`;
    case "ask.answered":
      return `${color.cyan("! answer")} ${event.askId}: ${event.answer}`;
    case "tell.delivered":
      return `${color.cyan("! told")} the worker of ${event.taskId} round ${event.round}: ${oneLine(event.text)}`;
    case "verdict.recorded": {
      const shade = {
        complete: color.green,
        continue: color.yellow,
        question: color.cyan,
        blocked: color.red,
      }[event.verdict];
      return `  verdict ${shade(event.verdict)}${event.missing > 0 ? ` · ${event.missing} item(s) missing` : ""} ${color.dim(oneLine(event.detail))}`;
    }
    case "phases.planned":
      return `  phases: ${oneLine(event.phaseIds.join(" → "))}`;
    case "followup.started":
      return `${color.bold("▶ follow-up")} ${event.childRunId} takes on ${event.gaps} gap(s) the audit found`;
    case "plan.created":
      return `  plan: ${event.taskIds.length} task(s): ${oneLine(event.taskIds.join(", "))}`;
    case "plan.approved":
      return `  plan approved${event.by === "human" ? " by a human" : ""}`;
    case "task.status":
      return `  task ${event.taskId} → ${event.status}${event.reason === undefined ? "" : color.dim(` · ${oneLine(event.reason)}`)}`;
    case "worktree.created":
      return `  task ${event.taskId}: worktree ${event.dir} on ${event.branch}`;
    case "worktree.removed":
      return `  task ${event.taskId}: worktree removed${event.snapshotRef === undefined ? "" : ` (uncommitted work saved as ${event.snapshotRef})`}`;
    case "merge.started":
      return undefined;
    case "merge.completed":
      return `  task ${event.taskId} ${color.green("merged")} ${shortSha(event.commit)}`;
    case "merge.conflicted":
      return `  task ${event.taskId} ${color.yellow("conflicts")} with the integration branch: ${oneLine(event.files.join(", "))}`;
    case "merge.reverted":
      return `  task ${event.taskId} ${color.red("reverted")} ${shortSha(event.commit)}: ${oneLine(event.reason)}`;
    case "budget.exhausted":
      return `${color.yellow("budget")} the ${event.scope} cap of ${formatUsd(event.limitUsd)} would be passed (${formatUsd(event.spentUsd)} spent or reserved): nothing new starts`;
    case "baseline.checked":
      return `  baseline tests ${event.passed ? color.green("✓") : color.red("✗")} on ${shortSha(event.commit)} ${color.dim(oneLine(event.detail))}${event.passed ? "" : color.dim(" (a merge will not be blamed for red tests)")}`;
    case "harness.paused":
      return `  ${color.yellow("paused")} ${event.harness} until ${event.until}: ${oneLine(event.reason)}`;
    case "run.completed":
      return `${formatStatus(event.status)} ${event.reason}`;
    case "agent.output":
      return formatAgentEvent(event.seat, event.event, isVerbose);
    case "agent.retry":
      return `  ${event.seat} ${color.yellow("retry")} in ${formatDuration(event.delayMs)}: ${oneLine(event.message)}`;
    case "manual.waiting":
      return `  ${event.seat} is manual: read ${event.promptFile}\n  and write ${event.reportFile} — bosun is waiting for it.`;
    case "warning":
      return `  ${color.yellow("warning")} ${event.message}`;
  }
}

function formatAgentEvent(role: string, event: AgentEvent, isVerbose: boolean): string | undefined {
  const prefix = color.dim(`    ${role} ·`);
  switch (event.type) {
    case "tool.use":
      return `${prefix} ${event.tool} ${oneLine(event.summary, 90)}`;
    case "text":
      // One compact line per message; --verbose shows the whole text.
      return isVerbose
        ? `${prefix} ${event.text.trim().replace(/\n/g, "\n      ")}`
        : `${prefix} ${color.dim(oneLine(event.text, 100))}`;
    case "error":
      return `${prefix} ${color.yellow("error")} ${oneLine(event.message)}`;
    case "final":
      return isVerbose
        ? `${prefix} result: ${event.text.trim().replace(/\n/g, "\n      ")}`
        : undefined;
    case "unknown":
      return isVerbose ? `${prefix} ${color.dim(oneLine(event.raw, 120))}` : undefined;
    case "tool.result":
      if (!isVerbose)
        return event.isError
          ? `${prefix} ${color.yellow("tool failed")} ${oneLine(event.output ?? "", 120)}`
          : undefined;
      return `${prefix} ${event.isError ? color.yellow("tool failed") : "tool ok"} ${color.dim(oneLine(event.output ?? "", 160))}`;
    case "file.edit":
      return isVerbose ? `${prefix} ${event.kind} ${event.path}` : undefined;
    case "session":
      return isVerbose
        ? `${prefix} session ${event.sessionId}${event.model === undefined ? "" : ` · ${event.model}`}`
        : undefined;
    case "usage":
      return isVerbose
        ? `${prefix} tokens ${event.usage.inputTokens} in / ${event.usage.outputTokens} out${event.costUsd === undefined ? "" : ` · $${event.costUsd.toFixed(4)}`}`
        : undefined;
  }
}
