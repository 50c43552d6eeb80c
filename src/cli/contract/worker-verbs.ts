/**
 * The pulse workers' verbs of the machine contract: `bosun _ ask` (blocks until a human answers,
 * event-driven on the answers folder), `bosun _ worker start|kill|list|clean`, and the hidden
 * `bosun _ worker-host ID` a started worker's detached host runs.
 */
import path from "node:path";
import { CancelledError, UsageError, type StateError } from "../../errors.js";
import { cleanWorkers } from "../../flows/pulse/worker-clean.js";
import { listStrandedAsks, listWorkers } from "../../flows/pulse/worker-health.js";
import { WORKER_ID_VAR, runWorkerHost } from "../../flows/pulse/worker-host.js";
import {
  killWorker,
  startWorker,
  takeWorkerTells,
  writeWorkerTell,
} from "../../flows/pulse/workers.js";
import { readWorkerFile } from "../../store/pulse-workers.js";
import { ENDED_WORKER_STATUSES } from "../../store/schema/pulse-worker.js";
import { createAskId, readAsk, writeAsk, type AskWithAnswer } from "../../human/asks.js";
import { isSafeId, type BosunPaths } from "../../store/paths.js";
import { PULSE_ASK_RUN_ID, type Answer, type Ask } from "../../store/schema/asks.js";
import { watchDirectory } from "../../store/watch-dir.js";
import type { CliContext } from "../context.js";
import { getBosunCommand, quoteForShell } from "../invocation.js";
import { readStdinText } from "../stdin.js";
import { WAIT_TIMEOUT_EXIT_CODE, printContract } from "./output.js";

/** The most bytes a worker's prompt read from stdin may have. */
const MAX_PROMPT_BYTES = 1024 * 1024;

/** `bosun _ ask`'s options. */
export interface ContractAskOptions {
  /** `KEY:LABEL` each (a bare `KEY` is its own label). */
  option?: string[];
  /** The ask's context (default: which worker asked). */
  context?: string;
  /** Wait again for this earlier ask instead of asking anew. */
  wait?: string;
  /** Give up after this many seconds: exit 124. */
  timeoutSec?: number;
  /** Told once the ask is written and the watch armed (the CLI prints a line on stderr). */
  onWaiting?: (ask: Ask) => void;
}

/**
 * Writes an ask (run id `pulse`, tagged with $BOSUN_WORKER_ID when a worker's agent runs it),
 * waits for its answer and prints it; with `--wait ASK` it waits for an earlier one. 0 with the
 * answer, 124 when --timeout passed first (the ask stays open).
 */
export async function runContractAsk(
  ctx: CliContext,
  question: string | undefined,
  options: ContractAskOptions,
): Promise<number> {
  const paths = await ctx.getStatePaths();
  let ask: Ask;
  if (options.wait !== undefined) {
    if (question !== undefined)
      throw new UsageError(
        "Give either a QUESTION or --wait ASK (to wait again for an earlier ask), not both.",
      );
    if (!isSafeId(options.wait))
      throw new UsageError(
        `Invalid ask id ${JSON.stringify(options.wait)} (--wait): an ask id is letters, digits, ".", "_" and "-".`,
      );
    ask = (await readAsk(paths, options.wait)).ask;
  } else {
    if (question === undefined || question.trim() === "")
      throw new UsageError(
        'A question is needed: bosun _ ask "QUESTION" [--option KEY:LABEL]… (or --wait ASK to wait again).',
      );
    ask = createWorkerAsk(question.trim(), options, process.env[WORKER_ID_VAR]);
    await writeAsk(paths, ask);
  }
  const answer = await waitForAnswer(paths, ask, ctx.signal, options);
  printContract("ask", { ask, answer, isTimedOut: answer === null });
  return answer === null ? WAIT_TIMEOUT_EXIT_CODE : 0;
}

/** The ask `bosun _ ask` writes. */
export function createWorkerAsk(
  question: string,
  options: Pick<ContractAskOptions, "option" | "context">,
  workerIdVar: string | undefined,
): Ask {
  const workerId = workerIdVar !== undefined && isSafeId(workerIdVar) ? workerIdVar : undefined;
  const choices = (options.option ?? []).map(parseOption);
  const keys = choices.map((choice) => choice.key);
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
  if (repeated !== undefined)
    throw new UsageError(
      `--option key "${repeated}" is given twice; each option needs its own key.`,
    );
  return {
    version: 1,
    id: createAskId(),
    runId: PULSE_ASK_RUN_ID,
    createdAt: new Date().toISOString(),
    question,
    options: choices,
    context:
      options.context ??
      (workerId === undefined
        ? "Asked through bosun _ ask."
        : `Asked by pulse worker ${workerId} (.bosun/pulse/workers/${workerId}/), which waits for the answer.`),
    ...(workerId === undefined ? {} : { workerId }),
  };
}

/** `KEY:LABEL` → an option; a bare `KEY` is its own label. */
function parseOption(text: string): { key: string; label: string } {
  const colon = text.indexOf(":");
  const key = (colon === -1 ? text : text.slice(0, colon)).trim();
  const label = colon === -1 ? key : text.slice(colon + 1).trim();
  if (key === "" || /\s/.test(key))
    throw new UsageError(
      `--option ${JSON.stringify(text)}: expected KEY:LABEL with a KEY of one word (e.g. --option yes:"Go ahead").`,
    );
  return { key, label: label === "" ? key : label };
}

/**
 * Resolves with the ask's valid answer once there is one (an answer file that is not an option
 * is not one), or null when `timeoutSec` passes. fs.watch on the answers folder, read once after
 * the watch is armed so an answer written before it is not missed.
 */
async function waitForAnswer(
  paths: BosunPaths,
  ask: Ask,
  signal: AbortSignal,
  options: ContractAskOptions,
): Promise<Answer | null> {
  const controller = new AbortController();
  const answerName = path.basename(paths.answerFile(ask.id));
  return new Promise<Answer | null>((resolve, reject) => {
    let isChecking = false;
    let isCheckDue = false;
    const finish = (outcome: () => void): void => {
      controller.abort();
      clearTimeout(timer);
      signal.removeEventListener("abort", onCancel);
      outcome();
    };
    const check = (): void => {
      // One read at a time; a change seen during a read is looked at once it is done.
      if (isChecking) {
        isCheckDue = true;
        return;
      }
      isChecking = true;
      readAsk(paths, ask.id).then(
        (current: AskWithAnswer) => {
          isChecking = false;
          if (controller.signal.aborted) return;
          if (current.answer !== null && current.answerProblem === undefined) {
            const { answer } = current;
            finish(() => resolve(answer));
          } else if (isCheckDue) {
            isCheckDue = false;
            check();
          }
        },
        (error: unknown) => finish(() => reject(toError(error))),
      );
    };
    const onCancel = (): void =>
      finish(() =>
        reject(
          new CancelledError(`Stopped waiting for ${ask.id} (interrupted); the ask stays open.`),
        ),
      );
    const timer =
      options.timeoutSec === undefined
        ? undefined
        : setTimeout(() => finish(() => resolve(null)), options.timeoutSec * 1000);
    if (signal.aborted) {
      onCancel();
      return;
    }
    signal.addEventListener("abort", onCancel, { once: true });
    try {
      watchDirectory(paths.answersDir, {
        onChange: (name) => {
          if (name === undefined || name === answerName) check();
        },
        onError: (error: StateError) => finish(() => reject(error)),
        signal: controller.signal,
      });
    } catch (error) {
      finish(() => reject(toError(error)));
      return;
    }
    options.onWaiting?.(ask);
    check();
  });
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** `bosun _ worker start`'s options. */
export interface ContractWorkerStartOptions {
  /** The task, or "-" for stdin. */
  prompt: string;
  harness?: string;
  model?: string;
  thinking?: string;
  verify?: string;
  verifyTimeoutSec?: number;
  /** --worktree / --no-worktree (default: when the repository has a commit). */
  worktree?: boolean;
}

/** Starts a worker and prints its worker.json (status starting: its host takes over). */
export async function runContractWorkerStart(
  ctx: CliContext,
  id: string,
  options: ContractWorkerStartOptions,
): Promise<number> {
  if (!isSafeId(id))
    throw new UsageError(
      `Invalid worker id ${JSON.stringify(id)} (the ID argument): letters, digits, ".", "_" and "-", starting with a letter or digit.`,
    );
  const prompt =
    options.prompt === "-"
      ? await readStdinText(
          MAX_PROMPT_BYTES,
          `The prompt on stdin is over ${MAX_PROMPT_BYTES} bytes. Put the details in a file and name it in the prompt.`,
        )
      : options.prompt;
  const [paths, { config }] = await Promise.all([ctx.getStatePaths(), ctx.getConfig()]);
  const worker = await startWorker(paths, config, {
    id,
    prompt,
    harness: options.harness,
    model: options.model,
    thinking: options.thinking,
    verify: options.verify,
    verifyTimeoutSec: options.verifyTimeoutSec,
    hasWorktree: options.worktree,
  });
  printContract("worker-start", { worker });
  return 0;
}

/** Stops a worker and prints its worker.json after. */
export async function runContractWorkerKill(ctx: CliContext, id: string): Promise<number> {
  if (!isSafeId(id))
    throw new UsageError(`Invalid worker id ${JSON.stringify(id)} (the ID argument).`);
  const [paths, { config }] = await Promise.all([ctx.getStatePaths(), ctx.getConfig()]);
  const result = await killWorker(paths, id, { graceMs: config.dispatch.graceSec * 1000 });
  printContract("worker-kill", result);
  return 0;
}

/**
 * Removes ended workers' worktrees (and their branches once merged into `into`) and prints what
 * was removed and kept. Exit 1 when a named worktree was refused, so a script notices.
 */
export async function runContractWorkerClean(
  ctx: CliContext,
  ids: readonly string[],
  options: { into?: string; isForced: boolean },
): Promise<number> {
  const bad = ids.find((id) => !isSafeId(id));
  if (bad !== undefined)
    throw new UsageError(`Invalid worker id ${JSON.stringify(bad)} (the IDS arguments).`);
  const paths = await ctx.getStatePaths();
  const cleaned = await cleanWorkers(paths, {
    ...(ids.length === 0 ? {} : { ids }),
    ...(options.into === undefined ? {} : { into: options.into }),
    isForced: options.isForced,
  });
  printContract("worker-clean", { into: cleaned.target, workers: cleaned.workers });
  return cleaned.workers.some((worker) => worker.worktree === "refused") ? 1 : 0;
}

/** Prints every worker with its health, and the asks dead workers stranded. */
export async function runContractWorkerList(ctx: CliContext): Promise<number> {
  const [paths, { config }] = await Promise.all([ctx.getStatePaths(), ctx.getConfig()]);
  const options = { nowMs: Date.now(), stuckMs: config.pulse.workerStuckSec * 1000 };
  const workers = await listWorkers(paths, options);
  const strandedAsks = await listStrandedAsks(paths, options, workers);
  printContract("worker-list", {
    workers: workers.map((item) => ({
      worker: item.worker,
      health: item.health,
      isHostAlive: item.isHostAlive,
      lastOutputAtMs: item.lastOutputAtMs ?? null,
      openAskIds: item.openAskIds,
    })),
    strandedAsks,
  });
  return 0;
}

/** Runs a worker to its end (what its detached host process does) and prints how it ended. */
export async function runContractWorkerHost(ctx: CliContext, id: string): Promise<number> {
  if (!isSafeId(id)) throw new UsageError(`Invalid worker id ${JSON.stringify(id)}.`);
  const [paths, { config }] = await Promise.all([ctx.getStatePaths(), ctx.getConfig()]);
  const mainCheckout = path.dirname(paths.bosunDir);
  // --root: the agent works in its worktree, but its asks go to this repository's mailbox.
  const bosunCommand = `${await getBosunCommand()} --root ${quoteForShell(mainCheckout)}`;
  const worker = await runWorkerHost(paths, config, id, { signal: ctx.signal, bosunCommand });
  printContract("worker-host", { worker });
  return 0;
}

/** Writes a tell for a worker; its session gets it through `bosun _ told` or a follow-up. */
export async function runContractWorkerTell(
  ctx: CliContext,
  id: string,
  text: string,
): Promise<number> {
  if (!isSafeId(id))
    throw new UsageError(`Invalid worker id ${JSON.stringify(id)} (the ID argument).`);
  const message =
    text === "-" ? await readStdinText(1024 * 1024, "The message on stdin is over 1 MB.") : text;
  if (message.trim() === "") throw new UsageError(`The message to worker ${id} is empty.`);
  const paths = await ctx.getStatePaths();
  const tell = await writeWorkerTell(paths, id, message, "contract");
  const worker = await readWorkerFile(paths, id);
  const status = worker?.status ?? "missing";
  printContract("worker-tell", {
    tell,
    workerStatus: status,
    message:
      worker !== null && ENDED_WORKER_STATUSES.has(worker.status)
        ? `Told ${tell.id}, but worker ${id} has ended (${status}): it gets it only if started again.`
        : `Told ${tell.id}: worker ${id} reads it with "bosun _ told", or gets it when its current call ends.`,
  });
  return 0;
}

/** Hands a worker the messages waiting for it (default: the worker this process runs under). */
export async function runContractTold(
  ctx: CliContext,
  wanted: string | undefined,
): Promise<number> {
  const id = wanted ?? process.env[WORKER_ID_VAR];
  if (id === undefined || id === "")
    throw new UsageError(
      `Whose messages? Give --worker ID (a worker's own commands have ${WORKER_ID_VAR} set).`,
    );
  if (!isSafeId(id)) throw new UsageError(`Invalid worker id ${JSON.stringify(id)}.`);
  const paths = await ctx.getStatePaths();
  printContract("told", { workerId: id, tells: await takeWorkerTells(paths, id) });
  return 0;
}
