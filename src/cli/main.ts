/**
 * The CLI: parses argv with commander, dispatches to one `run<Name>()` per command, and is the
 * one place that catches errors, prints them, and turns them into an exit code. Command modules
 * are imported when their command runs, so `bosun status` does not pay for loading the flows.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { killAllChildren } from "../proc/run-process.js";
import { BosunError, isNodeError } from "../errors.js";
import { DEFAULT_CONFIG } from "../store/schema/config.js";
import { createCliContext, type CliContext, type GlobalOptions } from "./context.js";
import { color } from "./format.js";
import type { ReviewFlags } from "./commands/review.js";

const VERSION = "0.1.0";

const MAIN_HELP_FOOTER = `
Global options go before or after the command: bosun --json status, bosun status --json.

Examples:
  bosun demo                                   see a whole loop, no keys needed
  bosun init                                   bosun.yaml, prompt templates, example task card
  bosun review --goal "Add --help" --worker claude --reviewer codex --verify "npm test"
  bosun status                                 the latest run; bosun log --follow to watch it
  bosun asks && bosun answer <ask> more        when a run needs a human

Files: bosun.yaml (config), .bosun/runs/<run>/ (run.json, events.jsonl, rounds/…), .bosun/asks/.
Docs: README.md; how bosun is built: docs/architecture.md.`;

const REVIEW_HELP_FOOTER = `
Each round: the worker works, bosun checkpoints its change with git, checks its work report,
runs the gates (report, something changed, --verify), then the reviewer judges the real diff.
approve ends the run; changes_required feeds a fix list to the next round; after --max-rounds
the run asks a human (bosun asks / bosun answer).

Defaults above are bosun's built-in ones; bosun.yaml (or the global config) can change them,
and "bosun config" shows the values in effect and the file each came from.

Exit codes: 0 succeeded (or paused), 1 failed, 2 usage or config error, 3 needs a human,
130 stopped by Ctrl-C (continue with --resume).`;

/** "(default: claude; review.worker in bosun.yaml)": a built-in default and the key that changes it. */
function formatDefault(value: string | number, key: string): string {
  return `(default: ${value === "" ? "none" : value}; ${key} in bosun.yaml)`;
}

/** Runs the CLI and returns the exit code. Never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write("\nStopping agents… (Ctrl-C again to force)\n");
      controller.abort();
    } else {
      killAllChildren();
      process.exitCode = 130;
      process.kill(process.pid, "SIGKILL");
    }
  };
  // A closed terminal (SIGHUP) or SIGQUIT must stop agents too: they run in their own sessions
  // and would not get the hangup, and Node would exit without running exit handlers.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
  for (const signal of signals) process.on(signal, onSigint);
  // Kept for the life of the process: EPIPE arrives asynchronously, possibly after main() returns.
  process.stdout.on("error", onStdoutError);
  let exitCode = 0;
  const program = createProgram(controller.signal, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    exitCode = reportError(error);
  } finally {
    for (const signal of signals) process.off(signal, onSigint);
    killAllChildren();
  }
  return exitCode;
}

/** The reader went away (`bosun log | head`): stop quietly, as Unix tools do. */
function onStdoutError(error: Error): void {
  if (!isNodeError(error) || error.code !== "EPIPE") throw error;
  killAllChildren();
  // main() is the one place allowed to end the process; nothing can be printed any more.
  // eslint-disable-next-line no-restricted-syntax
  process.exit(0);
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof BosunError) {
    process.stderr.write(`${color.red("error")} ${error.message}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `${color.red("internal error")} ${stack}\nThis is a bug in bosun; please report it with the command you ran.\n`,
  );
  return 70;
}

function createProgram(signal: AbortSignal, setExitCode: (code: number) => void): Command {
  const program = new Command("bosun")
    .description(
      "Drive AI coding agents (Claude Code, Codex, Gemini, opencode, pi, amp, cursor-agent, or any CLI) through verified loops, with every step in plain files under .bosun/.",
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
  const ctx = (command: Command): CliContext =>
    createCliContext(command.optsWithGlobals<GlobalOptions>(), signal);
  const done = (code: number | void): void => setExitCode(code ?? 0);
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
      parsePositiveInt,
    )
    .option(
      "--verify <cmd>",
      `shell command that must pass after each worker round, e.g. "npm test" ${formatDefault(review.verify, "review.verify")}`,
    )
    .option(
      "--timeout <seconds>",
      `per-dispatch timeout in seconds, 0 = none ${formatDefault(DEFAULT_CONFIG.dispatch.timeoutSec, "dispatch.timeoutSec")}`,
      parseNonNegativeInt,
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
    .command("status")
    .argument("[run]", 'run id, a unique prefix/suffix of it, or "latest"', "latest")
    .description("show a run: status, round, step, cost, open ask")
    .action(async (run: string, _options: unknown, command: Command) =>
      done(await (await import("./commands/status.js")).runStatus(ctx(command), run)),
    );

  program
    .command("runs")
    .description("list runs, newest last")
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/runs.js")).runRuns(ctx(command))),
    );

  program
    .command("log")
    .argument("[run]", 'run id or "latest"', "latest")
    .description("print a run's event history")
    .option("-f, --follow", "keep printing new events as they are written")
    .action(async (run: string, options: { follow?: boolean }, command: Command) =>
      done(await (await import("./commands/log.js")).runLog(ctx(command), run, options)),
    );

  program
    .command("diff")
    .argument("[run]", 'run id or "latest"', "latest")
    .description("show the git diff a run made (all rounds, or one with --round)")
    .option("--round <n>", "only this round's checkpoint", parsePositiveInt)
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
    .option("--note <text>", "a note passed to the next round's worker")
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
    .command("demo")
    .description(
      "run a review loop on a throwaway sample repo with the offline agent (no keys, no network)",
    )
    .action(async (_options: unknown, command: Command) =>
      done(await (await import("./commands/demo.js")).runDemo(ctx(command))),
    );

  return program;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError("expected a positive whole number.");
  return n;
}

function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number ≥ 0.");
  return n;
}
