/**
 * `bosun _ goal|sensor|playbook|schedule|claim|unclaim`: the contract's verbs over the pulse's
 * plain files. Only their definitions live here (loaded at every start); each verb's code is
 * loaded when it runs, from cli/contract/pulse-files.ts.
 */
import { InvalidArgumentError, type Command } from "commander";
import type * as PulseFilesModule from "../contract/pulse-files.js";
import type { ContractDeps } from "./contract.js";
import { createVerbRunner, parseTimerSec } from "./contract-args.js";

/** The verbs' module, loaded when one runs. */
type PulseFiles = typeof PulseFilesModule;

const TEXT_ARGUMENT = 'the text; "-" reads stdin';

/** Adds the pulse's file verbs to `bosun _`. */
export function definePulseFileVerbs(contract: Command, deps: ContractDeps): void {
  const { ctx, done } = deps;
  const runVerb = createVerbRunner(done);
  const run = (verb: (files: PulseFiles) => Promise<number>): Promise<void> =>
    runVerb(async () => verb(await import("../contract/pulse-files.js")));

  const goal = contract.command("goal").description("the pulse's goals: goals/<id>.md");
  goal
    .command("write")
    .argument("<id>", "goal id")
    .argument("<text>", TEXT_ARGUMENT)
    .description("write (or replace) a goal: the desired state the pulse works toward")
    .action((id: string, text: string, _options: unknown, command: Command) =>
      run((files) => files.runContractGoalWrite(ctx(command), id, text)),
    );
  goal
    .command("archive")
    .argument("<id>", "goal id")
    .description("move a goal to goals/archive/ (reached or dropped; never deleted)")
    .action((id: string, _options: unknown, command: Command) =>
      run((files) => files.runContractGoalArchive(ctx(command), id)),
    );
  goal
    .command("list")
    .description("the active goals, sorted by id")
    .action((_options: unknown, command: Command) =>
      run((files) => files.runContractGoalList(ctx(command))),
    );

  contract
    .command("sensor")
    .description("the pulse's sensors: executables under sensors/")
    .command("write")
    .argument("<name>", "sensor name (its file name)")
    .argument("<text>", 'the script, a shebang first; "-" reads stdin')
    .option(
      "--interval <seconds>",
      "keep a reading fresh this long (a # bosun:interval header)",
      parseTimerSec,
    )
    .description("write an executable sensor printing one JSON object {signal, detail}")
    .action((name: string, text: string, options: { interval?: number }, command: Command) =>
      run((files) =>
        files.runContractSensorWrite(ctx(command), name, text, {
          ...(options.interval === undefined ? {} : { intervalSec: options.interval }),
        }),
      ),
    );

  contract
    .command("playbook")
    .description("the pulse's PLAYBOOK.md")
    .command("write")
    .argument("<text>", TEXT_ARGUMENT)
    .description("replace PLAYBOOK.md, keeping the previous version in playbook-history/")
    .action((text: string, _options: unknown, command: Command) =>
      run((files) => files.runContractPlaybookWrite(ctx(command), text)),
    );

  const schedule = contract
    .command("schedule")
    .description("the pulse's timers: schedules/<id>.json");
  schedule
    .command("write")
    .argument("<id>", "schedule id")
    .option("--in <seconds>", "fire once, this long from now", parseTimerSec)
    .option("--every <seconds>", "fire every this long", parseTimerSec)
    .requiredOption("--note <text>", "what the pulse is reminded of when it fires")
    .description("write (or replace) a schedule that wakes the pulse with a note")
    .action(
      (id: string, options: { in?: number; every?: number; note: string }, command: Command) =>
        run((files) =>
          files.runContractScheduleWrite(ctx(command), id, {
            note: options.note,
            ...(options.in === undefined ? {} : { inSec: options.in }),
            ...(options.every === undefined ? {} : { everySec: options.every }),
          }),
        ),
    );
  schedule
    .command("rm")
    .argument("<id>", "schedule id")
    .description("remove a schedule")
    .action((id: string, _options: unknown, command: Command) =>
      run((files) => files.runContractScheduleRm(ctx(command), id)),
    );
  schedule
    .command("list")
    .description("every schedule, sorted by id, and when the next fires")
    .action((_options: unknown, command: Command) =>
      run((files) => files.runContractScheduleList(ctx(command))),
    );

  contract
    .command("claim")
    .argument("<resource>", "the shared resource (a port, a database, a deploy slot)")
    .requiredOption("--holder <name>", "who holds it (a worker id, a session)")
    .option("--ttl <seconds>", "the lease: it lapses this long after (default 1800)", parseTimerSec)
    .option(
      "--pid <pid>",
      "a long-lived process of the holder: its death frees the claim",
      parsePid,
    )
    .description(
      "claim a resource (exit 1, code state, when another holds it); claiming again renews",
    )
    .action(
      (
        resource: string,
        options: { holder: string; ttl?: number; pid?: number },
        command: Command,
      ) =>
        run((files) =>
          files.runContractClaim(ctx(command), resource, {
            holder: options.holder,
            ...(options.ttl === undefined ? {} : { ttlSec: options.ttl }),
            ...(options.pid === undefined ? {} : { pid: options.pid }),
          }),
        ),
    );
  contract
    .command("unclaim")
    .argument("<resource>", "the claimed resource")
    .requiredOption("--holder <name>", "who holds it")
    .description("release a claim (only its holder may; exit 1, code state, otherwise)")
    .action((resource: string, options: { holder: string }, command: Command) =>
      run((files) => files.runContractUnclaim(ctx(command), resource, options)),
    );
}

function parsePid(value: string): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError("expected a process id: a whole number above 0.");
  return n;
}
