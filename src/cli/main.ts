/**
 * The CLI: parses argv with commander, dispatches to one `run<Name>()` per command, and is the
 * one place that catches errors, prints them, and turns them into an exit code. Command modules
 * are imported when their command runs, so `bosun status` does not pay for loading the flows.
 */
import type { RunFlags } from "./commands/run.js";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { DEFAULT_GRACE_MS, killAllChildren } from "../proc/run-process.js";
import { BosunError, isNodeError } from "../errors.js";
import { describeFsError, getFsHint } from "../store/fs-errors.js";
import { MAX_ROUNDS, MAX_TELL_CHARS, MAX_TIMER_SEC } from "../store/limits.js";
import { DEFAULT_CONFIG } from "../store/schema/config-defaults.js";
import { defineContractVerbs } from "./commands/contract.js";
import { definePulseCommands } from "./commands/pulse-define.js";
import { createCliContext, type CliContext, type GlobalOptions } from "./context.js";
import { subscribeNotifier, type Notifier } from "./notify.js";
import { color } from "./format.js";
import type { LearnFlags } from "./commands/learn.js";
import type { PipelineFlags } from "./commands/pipeline.js";
import type { ReviewFlags } from "./commands/review.js";
import type { DashboardFlags } from "./commands/dashboard.js";

const VERSION = "0.1.0";

const MAIN_HELP_FOOTER = `
Global options go before or after the command: bosun --json status, bosun status --json.

Examples:
  bosun demo                                   see a whole loop, no keys needed
  bosun init                                   bosun.yaml, prompt templates, example task card
  bosun review --goal "Add --help" --worker claude --reviewer codex --verify "npm test"
  bosun pipeline --intent "Add /health" --verify "npm test"   plan, implement, test, audit
  bosun run "Add /health" --verify "npm test"  a team run, as a dry run; --execute runs it
  bosun status                                 the latest run; bosun log --follow to watch it
  bosun board                                  a team run's tasks by status, with costs
  bosun dashboard                              watch and steer runs live in the browser
  bosun asks && bosun answer <ask> more        when a run needs a human
  bosun tell latest "keep the old API"         a message for the worker's next prompt
  bosun _ wait latest --only-asks              JSON for scripts and agents (bosun _ --help)
  bosun monitor                                watch and steer the latest run in the terminal
  bosun pulse init && bosun pulse up           the autonomous loop: sensors, goals, one move a beat

Files: bosun.yaml (config), .bosun/runs/<run>/ (run.json, events.jsonl, plan.json, tasks/…),
.bosun/asks/, .bosun/tells/, .bosun/pulse/ (the loop's playbook, goals, sensors, journal); a team run's worktrees are outside the repository (bosun run --help).
Docs: README.md; how bosun is built: docs/architecture.md.`;

const REVIEW_HELP_FOOTER = `
Each round: the worker works, bosun checkpoints its change with git, checks its work report,
runs the gates (report, something changed, --verify), then the reviewer judges the real diff.
approve ends the run; changes_required feeds a fix list to the next round; after --max-rounds
the run asks a human (bosun asks / bosun answer).

Defaults above are bosun's built-in ones; bosun.yaml (or the global config) can change them,
and "bosun config" shows the values in effect and the file each came from.

Commits you make while a run is stopped are never counted as the worker's; uncommitted changes
stop a resume until you commit or stash them. What bosun discards is saved under
refs/bosun/discarded/ first.

Exit codes: 0 succeeded (or paused by --single-round), 1 failed, 2 usage or config error,
3 needs a human, 130 stopped by Ctrl-C, a signal or bosun stop (paused; continue with --resume).`;

const LEARN_HELP_FOOTER = `
Commands are taken only from the repository's own files (package.json scripts, Makefile and
justfile targets, pyproject.toml and friends, Cargo.toml, go.mod, pom.xml, build.gradle,
Gemfile); a kind with none is written as "none found", never guessed. The test command --check
runs is the first test command listed; its output goes to .bosun/intelligence-check.log.

Exit codes: 0 written (and the check green, or not run), 1 the check ran red, 2 usage error.`;

const ROLES_HELP_FOOTER = `
Project files win: docs/roles/<id>.md replaces a built-in role's prompt, or defines a new role.
Assign roles in bosun.yaml:

  team:
    backend: { harness: codex, model: gpt-5.5, thinking: high, paths: [src/server] }
    frontend: { harness: claude, paths: [web] }`;

const RUN_HELP_FOOTER = `
Without --execute nothing is launched: bosun prints the agents with their exact commands, the
schedule, the budget, the branches, where the worktrees go and the planner's prompt.

The planner writes plan.json (with --gate-plan you approve it: bosun approve RUN). Each task then
works in rounds on branch bosun/<run>/<task>, in its own worktree outside your checkout (under
$BOSUN_WORKTREES_DIR, else $BOSUN_HOME/worktrees, else $XDG_STATE_HOME/bosun/worktrees): worker,
gates (report, noop, protected test/CI files, outside writes, --verify), then the critic. Accepted
tasks merge one at a time into bosun/<run>/integration, with the tests after each merge; a merge
that turns them red is reverted. Your branches are never touched unless --merge-to.

Watch: bosun board RUN, bosun log -f RUN. Stop: bosun stop RUN (or Ctrl-C); continue: --resume,
with new limits if you like (bosun run --resume RUN --max-parallel 6 --budget-usd 20).
A task that needs a human: bosun asks, then bosun answer ASK more|abort. Tidy up: bosun clean RUN.

Exit codes: 0 succeeded (or a dry run), 1 failed, 2 usage or config error, 3 needs a human,
4 budget exhausted, 130 stopped by Ctrl-C, a signal or bosun stop (paused; continue with --resume).`;

const PIPELINE_HELP_FOOTER = `
Pairs run in order: plan writes a phase plan (artifacts/plan/plan.json); implement and test run
per phase in dependency order (--phase-mode multi) or once over the whole plan (single); audit
compares the request and the clarification ledger with what was delivered. Each iteration: the
producer works (its session resumed where the CLI can), bosun checkpoints its change with git,
the gates run (report, the plan or audit document, --verify for implement and test), then the
verifier, in a fresh session, answers complete, continue (what is missing), question (asked
through bosun asks / bosun answer, or by a model with --full-auto-answers) or blocked.

Gaps the audit finds go to artifacts/audit/revised_request.md and a follow-up run of the same
task that starts by itself (up to --followup-depth deep; --no-followup to stop there).

Files: .bosun/runs/<run>/ request.md (never changed), events.jsonl, raw_phase_log.md (the story),
decisions.md (the ledger), artifacts/plan/, artifacts/<pair>/phases/<phase>/rounds/<n>/, artifacts/audit/.
Defaults come from pipeline: in bosun.yaml (bosun config shows them); autoloop users: README.

Exit codes: 0 succeeded, 1 failed, 2 usage or config error, 3 needs a human,
130 stopped by Ctrl-C, a signal or bosun stop (paused; continue with --resume).`;

const DASHBOARD_HELP_FOOTER = `
The page shows every run of the repository and, for one run, a KPI bar, what needs you (asks,
answerable with their options as buttons and a note), the agents with idle timers, the board,
cost and throughput plots and the live timeline, all live (Server-Sent Events, no polling).
Answers and plan approvals given on the page continue the run in this process.

Security: 127.0.0.1 by default. Any other --host makes every request need the token printed at
start (Authorization: Bearer <token>), or the one-time login link, which sets an HttpOnly cookie.
Agent logs need the token on any host; a change (POST) needs the token or the page's own origin.

API (JSON): GET /api/runs, /api/runs/RUN, /api/runs/RUN/board, /api/runs/RUN/events?since=SEQ,
/api/runs/RUN/costs, /api/asks?run=RUN; GET /api/runs/RUN/stream (SSE, Last-Event-ID = seq);
POST /api/asks/ASK/answer {"answer","note"}, /api/runs/RUN/stop, /api/runs/RUN/approve,
/api/runs/RUN/tell {"taskId","text"}.

Exit codes: 0 stopped by Ctrl-C or a signal, 1 could not start (the port is taken), 2 usage error.`;

const CLEAN_HELP_FOOTER = `
A task's branch is deleted only when its change is in the integration branch (judged by
content); the integration branch itself is kept. Uncommitted work in a worktree is saved under
refs/bosun/snapshots/ before the worktree is removed.

Exit codes: 0 every worktree removed, 1 one was kept (its work is not merged: --force) or a live
process holds the run, 2 not a team run.`;

const MONITOR_HELP_FOOTER = `
Live from the run's journal (no polling). A run another process works on is shown live, and s
stops it as bosun stop does; a run no process works on is a read-only view, except that
answering its ask (a, or p for a gated plan) continues it inside the monitor. q quits; a run the
monitor continued is paused first (continue it with --resume). t tells the selected agent's
worker something, as bosun tell does, in any run. NO_COLOR turns colours off.

--pulse shows the pulse instead (bosun pulse status, live): j / k select a held move, a approves
it and r rejects it (A / R every held move; each after y), as bosun pulse approve|reject does.

Exit codes: 0 quit, 1 no runs yet, 2 usage error (no terminal, no such run).`;

const TELL_HELP_FOOTER = `
The message is written to .bosun/tells/ at once; the run's own process puts it into the next
prompt of that task's worker (a team task, a review round, a pipeline producer) under "Messages
from the human, sent while you worked", journals tell.delivered, and moves the file to
.bosun/tells/delivered/. A paused or waiting run gets it when it continues. bosun status lists
tells not delivered yet. The monitor's t key and the dashboard's API do the same.

Exit codes: 0 written, 1 the run has finished or its task will not run again, 2 usage error.`;

const CLIENT_HELP_FOOTER = `
Keys: j / k select an ask, a or Enter answers it (a number picks an option, or type the answer
and press Enter), q quits. The answer is recorded as bosun answer --no-resume records it; the
screen says the command that continues its run.

Exit codes: 0 quit, 2 usage error (no terminal).`;

/**
 * Commands whose flow events go to the `notify:` command of bosun.yaml: those that drive a run,
 * including the surfaces that continue one (an answer or approval from the dashboard or the
 * monitor continues the run in their process, so they are the ones to notify).
 */
const NOTIFY_COMMANDS = new Set([
  "review",
  "run",
  "pipeline",
  "approve",
  "answer",
  "dashboard",
  "monitor",
]);

/** Commands that drive a run: their outcome must not depend on whether anyone still reads their output. */
const FLOW_COMMANDS = new Set([
  "daemon",
  "once",
  "review",
  "run",
  "pipeline",
  "approve",
  "answer",
  "demo",
  "dashboard",
]);

/**
 * After a stop signal, the flow stops its agents (TERM, then KILL after the grace period) and
 * records the pause; this margin on top of the grace is what that takes. Past it, bosun exits
 * anyway: whatever it was doing, a stop signal ends it (the journal makes that safe to resume).
 */
const STOP_MARGIN_MS = 3_000;

/** "(default: claude; review.worker in bosun.yaml)": a built-in default and the key that changes it. */
function formatDefault(value: string | number, key: string): string {
  return `(default: ${value === "" ? "none" : value}; ${key} in bosun.yaml)`;
}

/** Runs the CLI and returns the exit code. Never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  let graceMs = DEFAULT_GRACE_MS;
  const onStopSignal = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      // Only a command that drives a run has agents to stop (`pulse watch` or `log -f` has none).
      const what = isFlowCommand ? "Stopping agents…" : "Stopping…";
      process.stderr.write(`\n${what} (Ctrl-C again to force)\n`);
      controller.abort();
      // Node's timers hold at most 2^31-1 ms; a longer one would fire at once.
      setTimeout(exitNow, Math.min(graceMs + STOP_MARGIN_MS, 2 ** 31 - 1)).unref();
    } else {
      killAllChildren();
      process.exitCode = 130;
      process.kill(process.pid, "SIGKILL");
    }
  };
  // A closed terminal (SIGHUP) or SIGQUIT must stop agents too: they run in their own sessions
  // and would not get the hangup, and Node would exit without running exit handlers.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
  for (const signal of signals) process.on(signal, onStopSignal);
  // Kept for the life of the process: EPIPE arrives asynchronously, possibly after main() returns.
  // Added once, however often main() runs in one process (the in-process tests run it many times).
  for (const stream of [process.stdout, process.stderr])
    if (!stream.listeners("error").includes(onOutputError)) stream.on("error", onOutputError);
  let exitCode = 0;
  const notifiers: Notifier[] = [];
  const program = createProgram(controller.signal, {
    setExitCode: (code) => (exitCode = code),
    setGraceMs: (ms) => (graceMs = ms),
    addNotifier: (notifier) => notifiers.push(notifier),
  });
  program.hook("preAction", (_program, command) => {
    isFlowCommand = FLOW_COMMANDS.has(command.name());
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    exitCode = reportError(error);
  } finally {
    // A run's last notification (run.finished) starts as the run ends: let it finish (each is
    // bounded by notify.timeoutSec; a stop signal's own deadline still ends bosun).
    for (const notifier of notifiers) await notifier.drain();
    for (const signal of signals) process.off(signal, onStopSignal);
    killAllChildren();
  }
  return exitCode;
}

/** True while a command that drives a run is running (see FLOW_COMMANDS). */
let isFlowCommand = false;

/**
 * The reader of bosun's output went away (`bosun … | head`). A read command stops quietly, as
 * Unix tools do. A run keeps working quietly instead: its outcome is on disk and in the exit
 * code, and a closed pipe must never turn into a failed or half-recorded run.
 */
function onOutputError(error: Error): void {
  const isClosed =
    isNodeError(error) && (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED");
  if (!isClosed) throw error;
  if (isFlowCommand) return;
  exitNow(0);
}

/** Ends bosun at once (after killing its agents); main() is the one place allowed to. */
function exitNow(code = 130): void {
  killAllChildren();
  // eslint-disable-next-line no-restricted-syntax
  process.exit(code);
}

/**
 * Node file-system errors that mean a path is in the way (not a bug in bosun). Call sites turn
 * them into StateError/ConfigError naming the file; this net catches any that slip through.
 */
const FS_NET_CODES = new Set([
  "EISDIR",
  "ENOTDIR",
  "ELOOP",
  "EACCES",
  "EPERM",
  "ENOSPC",
  "EROFS",
  "ENAMETOOLONG",
]);

function reportError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof BosunError) {
    process.stderr.write(`${color.red("error")} ${error.message}\n`);
    return error.exitCode;
  }
  if (isNodeError(error) && FS_NET_CODES.has(error.code ?? "") && typeof error.path === "string") {
    const subject = error.path;
    process.stderr.write(
      `${color.red("error")} Cannot ${error.syscall ?? "use"} ${subject}: ${describeFsError(error, subject)}. ${getFsHint(error)}\n`,
    );
    return 1;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `${color.red("internal error")} ${stack}\nThis is a bug in bosun; please report it with the command you ran.\n`,
  );
  return 70;
}

/** What commands tell main() back. */
interface ProgramHooks {
  /** The command's exit code. */
  setExitCode(code: number): void;
  /** The agents' TERM→KILL grace from config: how long a stop may take. */
  setGraceMs(ms: number): void;
  /** A notifier whose notifications main() waits for before it returns. */
  addNotifier(notifier: Notifier): void;
}

function createProgram(signal: AbortSignal, hooks: ProgramHooks): Command {
  const program = new Command("bosun")
    .description(
      "Drive AI coding agents (Claude Code, Codex, Gemini, opencode, pi, amp, cursor-agent, or any CLI) through verified loops: one task in your checkout (review), one task through plan, implement, test and audit pairs (pipeline), or a planned team in parallel worktrees (run). Every step is kept in plain files under .bosun/.",
    )
    .version(VERSION, "-V, --version")
    .option("--root <dir>", "repository root (default: the git top level of the current directory)")
    .option("--json", "machine-readable output on read commands and events as JSON lines")
    .option(
      "-v, --verbose",
      "stream every agent event in full (text, tool results, tokens), not one line each",
    )
    .showHelpAfterError("(run bosun --help for usage)")
    // Before any .command(): subcommands copy it, so "bosun review --help" lists --json too.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", MAIN_HELP_FOOTER)
    .exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const ctx = (command: Command): CliContext => {
    // Only bosun's own flow commands: `bosun _ answer` is named like one but runs no flow.
    const isNotifying = command.parent === program && NOTIFY_COMMANDS.has(command.name());
    let hasNotifier = false;
    const context = createCliContext(command.optsWithGlobals<GlobalOptions>(), signal, {
      onConfig: (config) => {
        hooks.setGraceMs(config.dispatch.graceSec * 1000);
        // The flow commands load the config before their flow emits anything.
        if (!isNotifying || hasNotifier) return;
        hasNotifier = true;
        const notifier = subscribeNotifier(config.notify, {
          events: context.events,
          getPaths: () => context.getStatePaths(),
          getCwd: () => context.getStatePaths().then((paths) => paths.root),
        });
        if (notifier !== undefined) hooks.addNotifier(notifier);
      },
    });
    return context;
  };
  const done = (code: number | void): void => hooks.setExitCode(code ?? 0);
  const { review } = DEFAULT_CONFIG;

  program
    .command("init")
    .description(
      "create bosun.yaml, .bosun/ with editable prompt templates, and an example task card",
    )
    .option("--force", "overwrite files that already exist")
    .action(async (options: { force?: boolean }, command: Command) =>
      done(await (await import("./commands/init.js")).runInit(ctx(command), options)),
    );

  program
    .command("review")
    .description(
      "run worker/reviewer rounds on one task until the reviewer approves (the verified review loop)",
    )
    .option("--task <file>", "task card JSON (loop-kit task_card.json accepted as is)")
    .option("--goal <text>", "goal text, when there is no task card")
    .option(
      "--worker <harness>",
      `worker agent: claude, codex, gemini, opencode, pi, amp, cursor-agent, custom, offline, manual ${formatDefault(review.worker, "review.worker")}`,
    )
    .option(
      "--reviewer <harness>",
      `reviewer agent, same choices ${formatDefault(review.reviewer, "review.reviewer")}`,
    )
    .option(
      "--max-rounds <n>",
      `rounds before asking a human ${formatDefault(review.maxRounds, "review.maxRounds")}`,
      parseMaxRounds,
    )
    .option(
      "--verify <cmd>",
      `shell command that must pass after each worker round, e.g. "npm test" ${formatDefault(review.verify, "review.verify")}`,
    )
    .option(
      "--timeout <seconds>",
      `per-dispatch timeout in seconds, 0 = none ${formatDefault(DEFAULT_CONFIG.dispatch.timeoutSec, "dispatch.timeoutSec")}`,
      parseTimeoutSec,
    )
    .option("--allow-dirty", "start even if the working tree has uncommitted changes")
    .option(
      "--resume <run>",
      "continue a run after a crash, Ctrl-C, --single-round, a failure or an answer; --worker, --reviewer, --max-rounds, --verify and --timeout given with it change the run from then on",
    )
    .option("--single-round", "run one round, then stop (resume later with --resume)")
    .addHelpText("after", REVIEW_HELP_FOOTER)
    .action(async (options: ReviewFlags, command: Command) =>
      done(await (await import("./commands/review.js")).runReview(ctx(command), options)),
    );

  program
    .command("run")
    .argument("[goal]", "what the team should achieve (or --goal-file)")
    .description(
      "plan a goal into tasks and run a team of agents on them in parallel worktrees, with tests, an independent critic and a deterministic merge queue (a dry run unless --execute)",
    )
    .option("--goal-file <file>", "read the goal from a file")
    .option(
      "--execute",
      "run it (without it, print the roles, planner prompt, agent commands and budget, and launch nothing)",
    )
    .option("--max-parallel <n>", "tasks worked on at once (default: 3)", parsePositiveInt)
    .option(
      "--budget-usd <usd>",
      "cap on the run's spend; no dispatch starts that would pass it",
      parseUsd,
    )
    .option("--task-budget-usd <usd>", "cap on each task's spend", parseUsd)
    .option(
      "--gate-plan",
      "stop after planning until a human approves plan.json (bosun approve RUN)",
    )
    .option(
      "--merge-to <branch>",
      "fast-forward this branch to the integration branch when every task merged (else your branches are never touched)",
    )
    .option("--planner <harness>", "planner agent (default: the workers' harness)")
    .option(
      "--worker <harness>",
      `workers' agent; a role's team: entry may name another ${formatDefault(review.worker, "review.worker")}`,
    )
    .option(
      "--critic <harness>",
      `critic agent, a different harness than the workers ${formatDefault(review.reviewer, "review.reviewer")}`,
    )
    .option(
      "--verify <cmd>",
      `the project's test command, run in each worktree and after each merge ("" for none; default: review.verify in a config file, else the test command bosun learn finds)`,
    )
    .option(
      "--max-repairs <n>",
      "repair rounds after the first before a task asks a human (default: 2)",
      parseDigitsOption,
    )
    .option(
      "--timeout <seconds>",
      `per-dispatch timeout in seconds, also for the test command; 0 = none ${formatDefault(DEFAULT_CONFIG.dispatch.timeoutSec, "dispatch.timeoutSec")}`,
      parseTimeoutSec,
    )
    .option(
      "--resume <run>",
      "continue a team run after a crash, a stop, an approval or answers; --max-parallel, --budget-usd, --task-budget-usd, --timeout and --max-repairs given with it change the run from then on (a higher cap continues a budget_exhausted run); --planner, --worker, --critic, --verify, --gate-plan, --merge-to and a goal are the run's for life (refused: start a new run)",
    )
    .addHelpText("after", RUN_HELP_FOOTER)
    .action(async (goal: string | undefined, options: RunFlags, command: Command) =>
      done(await (await import("./commands/run.js")).runTeam(ctx(command), goal, options)),
    );

  const pipeline = DEFAULT_CONFIG.pipeline;
  program
    .command("pipeline")
    .description(
      "take a task through plan → implement → test → audit producer/verifier pairs, with follow-up runs for what the audit finds missing",
    )
    .option("--intent <text>", "what to deliver (the request, kept as request.md)")
    .option("--intent-file <file>", "read the request from a file")
    .option(
      "--pairs <list>",
      `pairs to run, in this order ${formatDefault(String(pipeline.pairs), "pipeline.pairs")}`,
    )
    .option(
      "--max-iterations <n>",
      `iterations a pair may take before the run fails ${formatDefault(pipeline.maxIterations, "pipeline.maxIterations")}`,
      parseMaxRounds,
    )
    .option(
      "--phase-mode <mode>",
      `multi: implement and test per phase; single: once over the whole plan ${formatDefault(pipeline.phaseMode, "pipeline.phaseMode")}`,
    )
    .option(
      "--intent-mode <mode>",
      `for a task that has runs: preserve its request, replace it, or append to it ${formatDefault(pipeline.intentMode, "pipeline.intentMode")}`,
    )
    .option(
      "--producer <harness>",
      "producers' agent (default: the first installed of claude, codex, …)",
    )
    .option("--verifier <harness>", "verifiers' agent (default: a different installed one)")
    .option("--verify <cmd>", "the project's test command, a gate of the implement and test pairs")
    .option("--full-auto-answers", "a model answers verifiers' questions instead of a human")
    .option("--no-git", "no checkpoints or diffs: works in a folder that is not a repository")
    .option("--no-followup", "do not start a follow-up run for gaps the audit finds")
    .option(
      "--followup-depth <n>",
      `follow-ups of follow-ups at most ${formatDefault(pipeline.followupDepth, "pipeline.followupDepth")}`,
      parseFollowupDepth,
    )
    .option("--task-id <id>", "the task (default: made from the intent); its runs share a ledger")
    .option(
      "--timeout <seconds>",
      `per-dispatch timeout in seconds, also for the test command; 0 = none ${formatDefault(DEFAULT_CONFIG.dispatch.timeoutSec, "dispatch.timeoutSec")}`,
      parseTimeoutSec,
    )
    .option(
      "--resume [run]",
      "continue a run (default: the latest, of --task-id when given); --max-iterations, --timeout, --full-auto-answers and the follow-up flags given with it apply from then on",
    )
    .option("--list-tasks", "list tasks, their runs, status and follow-up links")
    .addHelpText("after", PIPELINE_HELP_FOOTER)
    .action(async (options: PipelineFlags, command: Command) =>
      done(await (await import("./commands/pipeline.js")).runPipeline(ctx(command), options)),
    );

  program
    .command("stop")
    .argument(
      "<run>",
      'a run a live process is working on: id, a unique prefix/suffix, or "latest"',
    )
    .description(
      "stop a run another process is working on (that run only, even in a dashboard or monitor driving several): its agents are stopped and its state kept; --resume continues it",
    )
    .action(async (run: string, _options: unknown, command: Command) =>
      done(await (await import("./commands/stop.js")).runStop(ctx(command), run)),
    );

  program
    .command("clean")
    .argument(
      "<run>",
      'a team run no process is working on: id, a unique prefix/suffix, or "latest"',
    )
    .description(
      "remove a team run's worktrees and its merged branches; uncommitted work is saved to a ref first, unmerged work needs --force",
    )
    .option(
      "--force",
      "remove worktrees whose change is not merged too (their branch and a snapshot are kept)",
    )
    .addHelpText("after", CLEAN_HELP_FOOTER)
    .action(async (run: string, options: { force?: boolean }, command: Command) =>
      done(await (await import("./commands/clean.js")).runClean(ctx(command), run, options)),
    );

  program
    .command("approve")
    .argument("<run>", "a team run waiting for its plan to be approved (started with --gate-plan)")
    .description("approve a team run's plan (plan.json, maybe edited) and continue the run")
    .action(async (run: string, _options: unknown, command: Command) =>
      done(await (await import("./commands/approve.js")).runApprove(ctx(command), run)),
    );

  program
    .command("status")
    .argument("[run]", 'run id, a unique prefix/suffix of it, or "latest"', "latest")
    .description("show a run: status, progress, last step, commits, cost, open asks")
    .action(async (run: string, _options: unknown, command: Command) =>
      done(await (await import("./commands/status.js")).runStatus(ctx(command), run)),
    );

  program
    .command("board")
    .argument("[run]", 'team run id, a unique prefix/suffix of it, or "latest"', "latest")
    .description(
      "show a team run's tasks by status: role, harness, round, cost, what each waits on, the critical path and totals",
    )
    .action(async (run: string, _options: unknown, command: Command) =>
      done(await (await import("./commands/board.js")).runBoard(ctx(command), run)),
    );

  program
    .command("dashboard")
    .description(
      "serve a live web dashboard of this repository's runs: board, agents, asks to answer, costs, timeline",
    )
    .option("--port <port>", "port to listen on (0: any free one)", parsePort, 4318)
    .option(
      "--host <address>",
      "address to bind; anything but loopback requires the token printed at start",
      "127.0.0.1",
    )
    .option("--open", "open the page in the desktop's browser")
    .addHelpText("after", DASHBOARD_HELP_FOOTER)
    .action(async (options: DashboardFlags, command: Command) =>
      done(await (await import("./commands/dashboard.js")).runDashboard(ctx(command), options)),
    );

  program
    .command("runs")
    .description("list runs, newest last")
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/runs.js")).runRuns(ctx(command))),
    );

  program
    .command("log")
    .argument("[run]", 'run id, a unique prefix/suffix of it, or "latest"', "latest")
    .description("print a run's event history")
    .option("-f, --follow", "keep printing new events as they are written")
    .action(async (run: string, options: { follow?: boolean }, command: Command) =>
      done(await (await import("./commands/log.js")).runLog(ctx(command), run, options)),
    );

  program
    .command("diff")
    .argument("[run]", 'run id, a unique prefix/suffix of it, or "latest"', "latest")
    .description(
      "show the git diff a run made (a review: all rounds, or one with --round; a team run: its integration branch)",
    )
    .option("--round <n>", "only this round's checkpoint (review runs)", parsePositiveInt)
    .action(async (run: string, options: { round?: number }, command: Command) =>
      done(await (await import("./commands/diff.js")).runDiff(ctx(command), run, options)),
    );

  program
    .command("asks")
    .description("list questions waiting for a human")
    .option("--all", "include answered asks")
    .action(async (options: { all?: boolean }, command: Command) =>
      done(await (await import("./commands/asks.js")).runAsks(ctx(command), options)),
    );

  program
    .command("answer")
    .argument("<ask>", "ask id (see bosun asks)")
    .argument("<answer>", "one of the ask's options, e.g. more, accept, abort")
    .description("answer an ask; the run it belongs to then continues")
    .option(
      "--note <text>",
      "a note passed to the next round's worker (review and team runs) or producer (pipeline)",
    )
    .option("--no-resume", "only record the answer; do not continue the run now")
    .action(
      async (
        ask: string,
        answer: string,
        options: { note?: string; resume: boolean },
        command: Command,
      ) =>
        done(
          await (
            await import("./commands/answer.js")
          ).runAnswer(ctx(command), ask, answer, options),
        ),
    );

  program
    .command("tell")
    .argument("<run>", 'run id, a unique prefix/suffix of it, or "latest"')
    .argument(
      "<message>",
      `what to tell the worker (at most ${MAX_TELL_CHARS} characters); "-" reads stdin`,
    )
    .description(
      "tell a run's worker something: the message goes into its next worker prompt, once (the run need not be running)",
    )
    .option(
      "--task <task>",
      "the task whose worker is told (default: the run's next worker, whichever task)",
    )
    .addHelpText("after", TELL_HELP_FOOTER)
    .action(async (run: string, message: string, options: { task?: string }, command: Command) =>
      done(await (await import("./commands/tell.js")).runTell(ctx(command), run, message, options)),
    );

  program
    .command("monitor")
    .argument("[run]", 'run id, a unique prefix/suffix of it, or "latest"', "latest")
    .description(
      "watch and steer a run in the terminal: board, agents with idle timers, live output, asks, spend; keys answer, approve, tell, stop (? lists them)",
    )
    .option(
      "--pulse",
      "the pulse instead of a run: daemon, budgets, goals, readings, workers, the held decision (a / r approve or reject a move), the journal",
    )
    .addHelpText("after", MONITOR_HELP_FOOTER)
    .action(async (run: string, options: { pulse?: boolean }, command: Command) =>
      done(await (await import("./commands/monitor.js")).runMonitor(ctx(command), run, options)),
    );

  program
    .command("client")
    .description(
      "keep the repository's open asks on screen as they open, and answer them by hand (nothing else)",
    )
    .addHelpText("after", CLIENT_HELP_FOOTER)
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/client.js")).runClient(ctx(command))),
    );

  program
    .command("config")
    .description("print the resolved config and where each value came from")
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/config.js")).runConfig(ctx(command))),
    );

  program
    .command("validate")
    .description("check bosun.yaml and the global config; exit 2 when invalid")
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/validate.js")).runValidate(ctx(command))),
    );

  program
    .command("doctor")
    .description(
      "for each agent CLI: found or not, version, which auth env vars are set (names only); exit 1 when the configured worker's or reviewer's CLI is missing",
    )
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/doctor.js")).runDoctor(ctx(command))),
    );

  program
    .command("auth")
    .description("agent authentication")
    .command("status")
    .description("same as bosun doctor")
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/doctor.js")).runDoctor(ctx(command))),
    );

  program
    .command("learn")
    .description(
      "scan the repository and write .bosun/intelligence.md: stack, frameworks, layout and the real test, build and lint commands agents must use",
    )
    .option("--check", "also run the test command once and record green or red (exit 1 when red)")
    .option(
      "--timeout <seconds>",
      "how long --check lets the test command run, 0 = no limit (default: 600)",
      parseTimeoutSec,
    )
    .addHelpText("after", LEARN_HELP_FOOTER)
    .action(async (options: LearnFlags, command: Command) =>
      done(await (await import("./commands/learn.js")).runLearn(ctx(command), options)),
    );

  program
    .command("roles")
    .argument("[role]", "a role id: print its full prompt")
    .description(
      "list the team's roles: the built-in specialists and the project's docs/roles/<id>.md, with who plays each (team: in bosun.yaml)",
    )
    .addHelpText("after", ROLES_HELP_FOOTER)
    .action(async (role: string | undefined, _options: unknown, command: Command) =>
      done(await (await import("./commands/roles.js")).runRoles(ctx(command), role)),
    );

  defineContractVerbs(program.command("_"), { ctx, done });
  definePulseCommands(program.command("pulse"), { ctx, done });

  program
    .command("skill")
    .description("bosun's operator skill for agent concierges (Claude Code, Codex, pi, …)")
    .command("install")
    .description(
      "place SKILL.md in .claude/skills/bosun/ and .agents/skills/bosun/ of this repository (--global: of your home)",
    )
    .option("--dir <dir>", "install into <dir>/bosun/SKILL.md instead")
    .option("--global", "install under your home directory")
    .action(async (options: { dir?: string; global?: boolean }, command: Command) =>
      done(await (await import("./commands/skill.js")).runSkillInstall(ctx(command), options)),
    );

  program
    .command("demo")
    .description(
      "run a review loop on a throwaway sample repo with the offline agent (no keys, no network)",
    )
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/demo.js")).runDemo(ctx(command))),
    );

  return program;
}

/** Plain decimal digits only: "3", not "", " 3", "3.0", "1e3", "0x3" or "+3" (Number() takes all of them). */
const DIGITS = /^[0-9]+$/;

function parseDigits(value: string): number | undefined {
  if (!DIGITS.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parsePositiveInt(value: string): number {
  const n = parseDigits(value);
  if (n === undefined || n <= 0)
    throw new InvalidArgumentError("expected a whole number ≥ 1, in plain digits (e.g. 3).");
  return n;
}

function parsePort(value: string): number {
  const n = parseDigits(value);
  if (n === undefined || n > 65_535)
    throw new InvalidArgumentError(
      "expected a port from 0 (any free one) to 65535, in plain digits.",
    );
  return n;
}

function parseDigitsOption(value: string): number {
  const n = parseDigits(value);
  if (n === undefined || n > MAX_ROUNDS)
    throw new InvalidArgumentError(
      `expected a whole number from 0 to ${MAX_ROUNDS}, in plain digits.`,
    );
  return n;
}

/** Dollars: "5", "0.50" — plain decimal, above 0. */
function parseUsd(value: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || Number(value) <= 0 || Number(value) > 1_000_000)
    throw new InvalidArgumentError("expected US dollars above 0 in plain decimal, e.g. 5 or 0.50.");
  return Number(value);
}

function parseFollowupDepth(value: string): number {
  const n = parseDigits(value);
  if (n === undefined || n > MAX_ROUNDS)
    throw new InvalidArgumentError(
      `expected a whole number from 0 to ${MAX_ROUNDS}, in plain digits (e.g. 3).`,
    );
  return n;
}

function parseMaxRounds(value: string): number {
  const n = parseDigits(value);
  if (n === undefined || n <= 0 || n > MAX_ROUNDS)
    throw new InvalidArgumentError(
      `expected a whole number from 1 to ${MAX_ROUNDS}, in plain digits (e.g. 3).`,
    );
  return n;
}

function parseTimeoutSec(value: string): number {
  const n = parseDigits(value);
  if (n === undefined || n > MAX_TIMER_SEC)
    throw new InvalidArgumentError(
      `expected whole seconds in plain digits, from 0 (no timeout) to ${MAX_TIMER_SEC} (about 24 days, the longest a timer can wait).`,
    );
  return n;
}
