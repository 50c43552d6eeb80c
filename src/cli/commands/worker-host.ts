/**
 * The pulse workers' verbs of `bosun _`: `ask`, `worker start|kill|list`, and the hidden
 * `worker-host` a started worker's detached host process runs. Definitions only (loaded at every
 * start); each verb's code is imported when it runs.
 */
import type { Command } from "commander";
import type { ContractDeps } from "./contract.js";
import { createVerbRunner, parseTimerSec } from "./contract-args.js";
import type * as WorkerVerbsModule from "../contract/worker-verbs.js";

type WorkerVerbs = typeof WorkerVerbsModule;

/** Adds `ask`, `worker …` and `worker-host` to `bosun _`. */
export function defineWorkerHostVerbs(contract: Command, deps: ContractDeps): void {
  const { ctx, done } = deps;
  const run = createVerbRunner(done);
  const verbs = (): Promise<WorkerVerbs> => import("../contract/worker-verbs.js");

  contract
    .command("ask")
    .argument("[question]", "the question for a human")
    .option(
      "--option <key:label>",
      "an allowed answer (repeat for each); without any, the answer is free text",
      collect,
      [],
    )
    .option("--context <text>", "what the human needs to know to answer (default: who asks)")
    .option("--wait <ask>", "wait again for an earlier ask (after a --timeout) instead of asking")
    .option(
      "--timeout <seconds>",
      "give up after this long: exit 124, the ask stays open",
      parseTimerSec,
    )
    .description(
      "ask a human and block until the answer (any channel: bosun _ answer, bosun answer, the dashboard); prints it",
    )
    .action(
      (
        question: string | undefined,
        options: { option: string[]; context?: string; wait?: string; timeout?: number },
        command: Command,
      ) =>
        run(async () =>
          (await verbs()).runContractAsk(ctx(command), question, {
            option: options.option,
            ...(options.context === undefined ? {} : { context: options.context }),
            ...(options.wait === undefined ? {} : { wait: options.wait }),
            ...(options.timeout === undefined ? {} : { timeoutSec: options.timeout }),
            // On stderr: stdout holds only the result.
            onWaiting: (ask) =>
              process.stderr.write(
                `asked ${ask.id}; waiting for an answer (bosun _ answer ${ask.id} ANSWER)\n`,
              ),
          }),
        ),
    );

  const worker = contract
    .command("worker")
    .description(
      "the pulse's workers: long-running agent sessions (start, tell, kill, clean, list)",
    );
  worker
    .command("start")
    .argument("<id>", "worker id (letters, digits, '.', '_', '-')")
    .requiredOption("--prompt <text>", 'what the worker is to do; "-" reads stdin')
    .option("--harness <name>", "the agent (default: pulse.worker in bosun.yaml)")
    .option("--model <model>", "its model")
    .option("--thinking <level>", "its thinking level")
    .option("--verify <command>", "shell command whose exit 0 proves the job done")
    .option("--verify-timeout <seconds>", "how long --verify may run", parseTimerSec)
    .option("--worktree", "work in an own git worktree (default when the repository has a commit)")
    .option("--no-worktree", "work in the repository itself")
    .description("start a worker in a detached host process; prints its worker.json")
    .action(
      (
        id: string,
        options: {
          prompt: string;
          harness?: string;
          model?: string;
          thinking?: string;
          verify?: string;
          verifyTimeout?: number;
          worktree?: boolean;
        },
        command: Command,
      ) =>
        run(async () =>
          (await verbs()).runContractWorkerStart(ctx(command), id, {
            prompt: options.prompt,
            ...(options.harness === undefined ? {} : { harness: options.harness }),
            ...(options.model === undefined ? {} : { model: options.model }),
            ...(options.thinking === undefined ? {} : { thinking: options.thinking }),
            ...(options.verify === undefined ? {} : { verify: options.verify }),
            ...(options.verifyTimeout === undefined
              ? {}
              : { verifyTimeoutSec: options.verifyTimeout }),
            ...(options.worktree === undefined ? {} : { worktree: options.worktree }),
          }),
        ),
    );
  worker
    .command("tell")
    .argument("<id>", "worker id")
    .argument("<text>", 'the message; "-" reads stdin')
    .description(
      "tell a worker something: it reads it with bosun _ told, or gets it when its current call ends",
    )
    .action((id: string, text: string, _options: unknown, command: Command) =>
      run(async () => (await verbs()).runContractWorkerTell(ctx(command), id, text)),
    );
  contract
    .command("told")
    .option(
      "--worker <id>",
      "whose messages (default: $BOSUN_WORKER_ID, set for a worker's commands)",
    )
    .description(
      "a worker's messages that waited for it, handed over once (what a worker runs between steps)",
    )
    .action((options: { worker?: string }, command: Command) =>
      run(async () => (await verbs()).runContractTold(ctx(command), options.worker)),
    );
  worker
    .command("kill")
    .argument("<id>", "worker id")
    .description("stop a worker (its agent and everything it started); prints its worker.json")
    .action((id: string, _options: unknown, command: Command) =>
      run(async () => (await verbs()).runContractWorkerKill(ctx(command), id)),
    );
  worker
    .command("clean")
    .argument("[ids...]", "worker ids (default: every ended worker with a worktree)")
    .option("--into <ref>", "where the work belongs: judged merged there (default: HEAD)")
    .option("--force", "remove worktrees whose work is not merged (branch and snapshot kept)")
    .description(
      "remove ended workers' worktrees, and their branches once the change is in --into; uncommitted work is saved to a ref first",
    )
    .action((ids: string[], options: { into?: string; force?: boolean }, command: Command) =>
      run(async () =>
        (await verbs()).runContractWorkerClean(ctx(command), ids, {
          ...(options.into === undefined ? {} : { into: options.into }),
          isForced: options.force === true,
        }),
      ),
    );
  worker
    .command("list")
    .description(
      "every worker with its health (busy, waiting-ask, stuck, dead, ended) and stranded asks",
    )
    .action((_options: unknown, command: Command) =>
      run(async () => (await verbs()).runContractWorkerList(ctx(command))),
    );
  contract
    .command("worker-host", { hidden: true })
    .argument("<id>", "worker id")
    .description("run a worker to its end (what `worker start` runs, detached)")
    .action((id: string, _options: unknown, command: Command) =>
      run(async () => (await verbs()).runContractWorkerHost(ctx(command), id)),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
