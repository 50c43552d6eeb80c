/**
 * `bosun pulse <verb>`: the definitions only (loaded at every start, so nothing heavy is
 * imported here); each verb's code is loaded when it runs.
 */
import { InvalidArgumentError, type Command } from "commander";
import type { CliContext } from "../context.js";
import type * as PulseModule from "./pulse.js";

const PULSE_HELP_FOOTER = `
The pulse watches the world through sensors (.bosun/pulse/sensors/*: executables printing one
JSON object {signal, detail}) and, only when a signal, a goal, the playbook or an ask changed,
asks a brain agent for one typed move toward the goals (.bosun/pulse/goals/*.md), within the
playbook (.bosun/pulse/PLAYBOOK.md). Safe moves run; destructive ones wait for a human
(bosun pulse approve|reject, or bosun _ answer); dangerous commands are blocked outright.
Every move is one line in .bosun/pulse/journal.md. Settings: pulse: in bosun.yaml.

  bosun pulse init          starter playbook, a setup goal, a sample sensor and a setup ask
  bosun pulse once --dry-run   the brain's prompt for the world now, nothing called
  bosun pulse up            the daemon, detached (bosun pulse watch follows it)`;

/** What the verbs need from main(). */
export interface PulseDeps {
  ctx: (command: Command) => CliContext;
  done: (code: number) => void;
}

/** Adds the verbs to `bosun pulse`. */
export function definePulseCommands(pulse: Command, deps: PulseDeps): void {
  const { ctx, done } = deps;
  const load = (): Promise<typeof PulseModule> => import("./pulse.js");
  pulse
    .description(
      "the autonomous loop: sense, decide one move when something changed, gate it, act (a daemon)",
    )
    .addHelpText("after", PULSE_HELP_FOOTER);
  pulse
    .command("init")
    .description(
      "create a starter PLAYBOOK.md, a setup goal, a sample sensor and a pending setup ask",
    )
    .option("--force", "overwrite the starter files")
    .action(async (options: { force?: boolean }, command: Command) =>
      done(await (await import("./pulse-init.js")).runPulseInit(ctx(command), options)),
    );
  pulse
    .command("up")
    .description("start the daemon, detached (refuses when one runs)")
    .action(async (_options: unknown, command: Command) =>
      done(await (await load()).runPulseUp(ctx(command))),
    );
  pulse
    .command("down")
    .description("stop the daemon and its workers (a killed daemon's workers too)")
    .action(async (_options: unknown, command: Command) =>
      done(await (await load()).runPulseDown(ctx(command))),
    );
  pulse
    .command("restart")
    .description("stop the daemon if it runs, then start it (never two at once)")
    .action(async (_options: unknown, command: Command) =>
      done(await (await load()).runPulseRestart(ctx(command))),
    );
  pulse
    .command("daemon")
    .description("run the loop in the foreground until Ctrl-C or SIGTERM (what up starts)")
    .action(async (_options: unknown, command: Command) =>
      done(await (await load()).runPulseDaemonCommand(ctx(command))),
    );
  pulse
    .command("status")
    .description(
      "the daemon, budgets, sensor readings, goals, held decision, workers, asks, journal",
    )
    .action(async (_options: unknown, command: Command) =>
      done(await (await load()).runPulseStatus(ctx(command))),
    );
  pulse
    .command("pause")
    .description("keep sensing, decide nothing until resume")
    .action(async (_options: unknown, command: Command) =>
      done(await (await load()).runPulsePause(ctx(command), true)),
    );
  pulse
    .command("resume")
    .description("decide again after a pause")
    .action(async (_options: unknown, command: Command) =>
      done(await (await load()).runPulsePause(ctx(command), false)),
    );
  pulse
    .command("once")
    .description("one beat in the foreground: sense, decide if the world changed, gate, act")
    .option("--dry-run", "print the brain's prompt; call no model, change nothing")
    .option("--force", "decide even if nothing changed")
    .action(async (options: { dryRun?: boolean; force?: boolean }, command: Command) =>
      done(await (await load()).runPulseOnce(ctx(command), options)),
    );
  pulse
    .command("watch")
    .description("follow the daemon's log and the journal live (read-only; Ctrl-C ends)")
    .action(async (_options: unknown, command: Command) =>
      done(await (await load()).runPulseWatch(ctx(command))),
    );
  pulse
    .command("improve")
    .description(
      "mine the pulse's own failures and file at most three proposals for its playbook or config (nothing applies without --apply N)",
    )
    .option("--apply <n>", "apply proposal N (.bosun/pulse/proposals/N.md)", parseProposalNumber)
    .action(async (options: { apply?: number }, command: Command) =>
      done(await (await load()).runPulseImprove(ctx(command), options)),
    );
  for (const verb of ["approve", "reject"] as const)
    pulse
      .command(verb)
      .argument("<decision>", "the decision id (bosun pulse status shows the held one)")
      .option(
        "--only <moves>",
        `${verb} only these moves, by number: 1,3 (default: every held move)`,
        parseMoveList,
      )
      .description(
        verb === "approve"
          ? "run the moves a decision holds for a human"
          : "drop the moves a decision holds for a human",
      )
      .action(async (decision: string, options: { only?: number[] }, command: Command) =>
        done(
          await (
            await load()
          ).runPulseSettle(ctx(command), decision, {
            isReject: verb === "reject",
            ...(options.only === undefined ? {} : { only: options.only }),
          }),
        ),
      );
}

/** "1,3" → [1, 3]. */
export function parseMoveList(value: string): number[] {
  const parts = value.split(",").map((part) => part.trim());
  if (parts.some((part) => !/^[1-9][0-9]*$/.test(part)))
    throw new InvalidArgumentError("expected move numbers separated by commas, such as 1,3.");
  return [...new Set(parts.map(Number))];
}

function parseProposalNumber(value: string): number {
  if (!/^[1-9][0-9]{0,6}$/.test(value))
    throw new InvalidArgumentError("expected a proposal number, such as 2.");
  return Number(value);
}
