/**
 * `bosun _ <verb>`: the machine contract's commands. Only their definitions live here (loaded at
 * every start, so nothing heavy is imported); each verb's code is loaded when it runs. Every
 * verb prints one JSON document on stdout, a failure too, with a documented exit code.
 */
import { InvalidArgumentError, type Command, type CommanderError } from "commander";
import { UsageError } from "../../errors.js";
import type { CliContext } from "../context.js";
import type * as PulseVerbsModule from "../contract/pulse-verbs.js";
import type * as ReadVerbsModule from "../contract/read-verbs.js";
import { createVerbRunner, parseTimerSec } from "./contract-args.js";
import { parseMoveList } from "./pulse-define.js";
// Small (no zod): the error path must print even when a verb's module fails to load.
import { printContractError } from "../contract/output.js";
import { definePulseFileVerbs } from "./contract-pulse.js";
import { defineWorkerHostVerbs } from "./worker-host.js";

const CONTRACT_HELP_FOOTER = `
Output: one JSON document on stdout, {"contract": 1, …}; its JSON Schema: bosun _ schema VERB.
A failure prints {"contract": 1, "error": {"code", "message", "exitCode"}} instead.

Exit codes: 0 done (wait: something changed), 1 bosun's state is in the way (code "state"),
2 usage or config error ("usage", "config"), 3 wait --actionable: the pulse's daemon is down,
124 wait --timeout passed with nothing changed,
130 interrupted ("cancelled"), 70 a bug ("internal").`;

/** The read verbs' module, loaded when one runs. */
type ReadVerbs = typeof ReadVerbsModule;

/** What the verbs need from main(). */
export interface ContractDeps {
  /** The invocation's context. */
  ctx: (command: Command) => CliContext;
  /** Sets the exit code. */
  done: (code: number) => void;
}

/** Adds the verbs to `bosun _` (the command main() created, with the program's settings). */
export function defineContractVerbs(contract: Command, deps: ContractDeps): void {
  contract
    .description(
      "the machine contract: versioned JSON in and out for scripts and agents (bosun _ --help lists the verbs)",
    )
    .addHelpText("after", CONTRACT_HELP_FOOTER)
    // Usage errors in JSON too, on stdout, where a script reads; commander's text stays on stderr.
    .exitOverride((error) => {
      if (error.exitCode !== 0) printUsageError(error);
      throw error;
    });
  const { ctx, done } = deps;
  /** Runs a verb; any failure becomes the contract's JSON error and its exit code. */
  const run = createVerbRunner(done);
  const reads = (): Promise<ReadVerbs> => import("../contract/read-verbs.js");
  const pulseVerbs = (): Promise<typeof PulseVerbsModule> => import("../contract/pulse-verbs.js");

  contract
    .command("runs")
    .description("every run of the repository, oldest first")
    .action((_options: unknown, command: Command) =>
      run(async () => (await reads()).runContractRuns(ctx(command))),
    );
  contract
    .command("status")
    .argument("<run>", 'run id, a unique prefix/suffix of it, or "latest"')
    .description("one run: its run.json, whether a process works on it, what continues it")
    .action((wanted: string, _options: unknown, command: Command) =>
      run(async () => (await reads()).runContractStatus(ctx(command), wanted)),
    );
  contract
    .command("board")
    .argument("<run>", 'team run id, a unique prefix/suffix of it, or "latest"')
    .description("a team run's board: tasks, statuses, costs, the critical path")
    .action((wanted: string, _options: unknown, command: Command) =>
      run(async () => (await reads()).runContractBoard(ctx(command), wanted)),
    );
  contract
    .command("events")
    .argument("<run>", 'run id, a unique prefix/suffix of it, or "latest"')
    .option("--since <seq>", "only events after this seq (default 0: all)", parseSeq)
    .description("a run's journal events, with lastSeq for the next --since")
    .action((wanted: string, options: { since?: number }, command: Command) =>
      run(async () => (await reads()).runContractEvents(ctx(command), wanted, options)),
    );
  contract
    .command("asks")
    .option("--all", "answered asks too")
    .description("open asks (every ask with --all), with their options and answers")
    .action((options: { all?: boolean }, command: Command) =>
      run(async () => (await reads()).runContractAsks(ctx(command), options)),
    );
  contract
    .command("answer")
    .argument("<ask>", "ask id")
    .argument(
      "<answer>",
      'one of the ask\'s options (or free text when it has none); "-" reads stdin',
    )
    .option("--note <text>", "a note passed to the next round's worker or producer")
    .description(
      "record an answer (as bosun answer --no-resume does); the output says how the run continues",
    )
    .action((askId: string, text: string, options: { note?: string }, command: Command) =>
      run(async () =>
        (await import("../contract/answer.js")).runContractAnswer(
          ctx(command),
          askId,
          text,
          options,
        ),
      ),
    );
  contract
    .command("tell")
    .argument("<run>", 'run id, a unique prefix/suffix of it, or "latest"')
    .argument("<text>", 'the message for the worker; "-" reads stdin')
    .option("--task <task>", "the task whose worker is told (default: the run's next worker)")
    .description(
      "tell a run's worker something (as bosun tell does): delivered once, with its next worker prompt",
    )
    .action((wanted: string, text: string, options: { task?: string }, command: Command) =>
      run(async () =>
        (await import("../contract/tell.js")).runContractTell(ctx(command), wanted, text, options),
      ),
    );
  contract
    .command("wait")
    .argument("[run]", "a run (default: every run)")
    .option("--only-asks", "only asks opened or answered count, not journal events")
    .option(
      "--since <seq>",
      "with RUN: events after this seq count, also those already written",
      parseSeq,
    )
    .option("--timeout <seconds>", "give up after this long: exit 124", parseTimerSec)
    .option(
      "--new",
      "with --actionable: only asks and held decisions that were not waiting when the wait began",
    )
    .option(
      "--actionable",
      "the pulse: return when an ask or a held decision waits for a human (at once if one does); exit 3 when its daemon is down",
    )
    .description(
      "block until something changes (a journal event, an ask opened or answered), print it, exit",
    )
    .action(
      (
        wanted: string | undefined,
        options: {
          onlyAsks?: boolean;
          since?: number;
          timeout?: number;
          actionable?: boolean;
          new?: boolean;
        },
        command: Command,
      ) =>
        run(async () =>
          options.actionable === true
            ? (await pulseVerbs()).runContractWaitActionable(ctx(command), {
                ...(options.timeout === undefined ? {} : { timeoutSec: options.timeout }),
                ...(options.new === true ? { isNewOnly: true } : {}),
                onReady: (what) => process.stderr.write(`waiting for ${what}\n`),
              })
            : (await import("../contract/wait.js")).runContractWait(ctx(command), wanted, {
                ...(options.onlyAsks === true ? { onlyAsks: true } : {}),
                ...(options.since === undefined ? {} : { since: options.since }),
                ...(options.timeout === undefined ? {} : { timeoutSec: options.timeout }),
                // On stderr: stdout holds only the result. A script may wait for this line.
                onReady: (what) => process.stderr.write(`waiting for ${what}\n`),
              }),
        ),
    );
  defineWorkerHostVerbs(contract, deps);
  contract
    .command("state")
    .description(
      "the pulse: daemon, budgets, sensor readings, goals, the held decision, workers, asks, journal tail",
    )
    .action((_options: unknown, command: Command) =>
      run(async () => (await pulseVerbs()).runContractState(ctx(command))),
    );
  contract
    .command("decision")
    .argument("<verb>", "approve or reject")
    .argument("<decision>", "the held decision's id (bosun _ state shows it)")
    .option("--only <moves>", "only these moves, by number: 1,3", parseMoveList)
    .description("approve (and run) or reject the moves a pulse decision holds for a human")
    .action((verb: string, decision: string, options: { only?: number[] }, command: Command) =>
      run(async () =>
        (await pulseVerbs()).runContractDecision(ctx(command), verb, decision, options.only),
      ),
    );
  contract
    .command("run")
    .argument("<command...>", "the command, after --")
    .option("--reason <text>", "why, for the journal")
    .description(
      "run a command through the pulse's gate (allow-listed: at once; else held for a human; dangerous: blocked)",
    )
    .action((words: string[], options: { reason?: string }, command: Command) =>
      run(async () => (await pulseVerbs()).runContractRun(ctx(command), words, options.reason)),
    );
  contract
    .command("schema")
    .argument(
      "<verb>",
      "runs, status, board, events, asks, answer, tell, wait, state, actionable, decision, schema, error, notify, or a pulse file verb (goal.write, schedule.list, claim, …)",
    )
    .description(
      "the JSON Schema (draft 2020-12) of a verb's output, of errors, or of notifications",
    )
    .action((verb: string) =>
      run(async () => (await import("../contract/read-verbs.js")).runContractSchema(verb)),
    );
  definePulseFileVerbs(contract, deps);
}

/** A commander usage error (unknown verb, missing argument, bad option) as the JSON error. */
function printUsageError(error: CommanderError): void {
  const message =
    error.code === "commander.help"
      ? "A verb is needed: bosun _ <verb>. bosun _ --help lists them."
      : `${error.message.replace(/^error: /, "")} (bosun _ --help)`;
  printContractError(new UsageError(message));
}

/** A journal seq: plain digits, 0 or more. */
function parseSeq(value: string): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected a seq: a whole number ≥ 0, in plain digits.");
  return n;
}
