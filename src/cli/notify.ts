/**
 * Notifications: the `notify:` command of bosun.yaml, run with a notification as JSON on stdin
 * when an ask opens, a run completes, a budget cap is hit or a run's spend nears its cap. A
 * subscriber of a flow command's event bus; each command runs through the one spawn path, in the
 * background, with a timeout. A failure is a warning on the bus, never the run's failure.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { getErrorMessage } from "../errors.js";
import type { EventBus } from "../flows/event-bus.js";
import type { BosunEvent } from "../flows/events.js";
import { runProcessRaw } from "../proc/run-process.js";
import { getTempDir, type BosunPaths } from "../store/paths.js";
import { NOTIFY_BUDGET_NEAR_RATIO, type NotifyKind } from "../store/schema/config-defaults.js";
import type { Config } from "../store/schema/config.js";
import type { RunEvent } from "../store/schema/events.js";
import type { Notification } from "./contract/schemas.js";

/** The contract version notifications carry (that of `bosun _`). */
const CONTRACT = 1 as const;

/** At most this much of a notify command's stdout is read (and dropped). */
const STDOUT_MAX_BYTES = 4096;

/** What the notifier needs besides the config. */
export interface NotifierOptions {
  /** The bus of the flow command (its events are the notifier's input; warnings go back on it). */
  events: Pick<EventBus, "subscribe" | "publish">;
  /** `.bosun/` paths (asks and run.json are read from there). */
  getPaths(): Promise<BosunPaths>;
  /** Where the command runs: the repository root. */
  getCwd(): Promise<string>;
}

/** A live notifier. */
export interface Notifier {
  /** Settles once every notification queued has been sent (each is bounded by its timeout). */
  drain(): Promise<void>;
  /** Stops listening. */
  unsubscribe(): void;
}

/** What the notifier knows of one run's spend, for budget.near. */
interface RunBudget {
  /** The run's cap in USD, when it has one. */
  capUsd: number | undefined;
  /** Spent so far in USD. */
  spentUsd: number;
  /** Events up to this seq are already in `spentUsd` (read from run.json). */
  countedSeq: number;
  /** budget.near was sent. */
  hasWarned: boolean;
}

/**
 * Subscribes the notifier to `options.events` when `notify.command` is set; returns undefined
 * when there is nothing to run.
 */
export function subscribeNotifier(
  notify: Config["notify"],
  options: NotifierOptions,
): Notifier | undefined {
  const argv = getNotifyArgv(notify.command);
  if (argv === undefined || notify.on.length === 0) return undefined;
  const kinds = new Set<NotifyKind>(notify.on);
  const budgets = new Map<string, Promise<RunBudget>>();
  // One at a time, in event order: "run finished" never reaches a phone before "ask opened".
  // The flow never waits on this queue; only main() does, at exit (drain).
  let queue: Promise<void> = Promise.resolve();

  const send = async (notification: Notification): Promise<void> => {
    if (!kinds.has(notification.kind)) return;
    try {
      await runNotifyCommand(argv, notification, notify.timeoutSec, options);
    } catch (error) {
      options.events.publish({
        type: "warning",
        runId: notification.runId,
        message: `The notify command (notify.command in bosun.yaml) failed on ${notification.kind}: ${getErrorMessage(error)}. The run goes on; fix the command or remove it.`,
      });
    }
  };
  const handle = async (event: RunEvent, runId: string): Promise<void> => {
    for (const notification of await createNotifications(event, runId)) await send(notification);
  };
  const createNotifications = async (event: RunEvent, runId: string): Promise<Notification[]> => {
    const base = { contract: CONTRACT, runId, event } as const;
    switch (event.type) {
      case "ask.created": {
        const ask = await readAskQuietly(options, event.askId);
        return [
          {
            ...base,
            kind: "ask.opened",
            message: `bosun: run ${runId} asks: ${event.question} (bosun asks; bosun answer ${event.askId} …)`,
            ...(ask === undefined ? {} : { ask }),
          },
        ];
      }
      case "run.completed":
        return [
          {
            ...base,
            kind: "run.finished",
            status: event.status,
            message: `bosun: run ${runId} ${event.status.replace("_", " ")}: ${event.reason}`,
          },
        ];
      case "budget.exhausted":
        return [
          {
            ...base,
            kind: "budget.exhausted",
            budget: { spentUsd: event.spentUsd, capUsd: event.limitUsd },
            message: `bosun: run ${runId} hit its ${event.scope === "task" ? `task ${event.taskId ?? ""} ` : ""}budget: $${event.spentUsd.toFixed(2)} of $${event.limitUsd.toFixed(2)}`,
          },
        ];
      default:
        return getBudgetNear(event, runId);
    }
  };
  /** budget.near once per run, when its spend first reaches the share of its cap. */
  const getBudgetNear = async (event: RunEvent, runId: string): Promise<Notification[]> => {
    if (!kinds.has("budget.near")) return [];
    const budget = await getRunBudget(runId, event);
    if (event.type === "run.created" || event.type === "options.changed") {
      const cap = "budgetUsd" in event.options ? event.options.budgetUsd : undefined;
      budget.capUsd = cap;
    } else if (event.type === "dispatch.completed" && event.seq > budget.countedSeq) {
      budget.spentUsd += event.costUsd;
    } else return [];
    const { capUsd, spentUsd } = budget;
    if (budget.hasWarned || capUsd === undefined || spentUsd < capUsd * NOTIFY_BUDGET_NEAR_RATIO)
      return [];
    budget.hasWarned = true;
    return [
      {
        contract: CONTRACT,
        runId,
        event,
        kind: "budget.near",
        budget: { spentUsd, capUsd },
        message: `bosun: run ${runId} spent $${spentUsd.toFixed(2)} of its $${capUsd.toFixed(2)} budget (${Math.round((spentUsd / capUsd) * 100)}%)`,
      },
    ];
  };
  /** A run's spend: from zero for a run created here, else once from its run.json. */
  const getRunBudget = (runId: string, event: RunEvent): Promise<RunBudget> => {
    let budget = budgets.get(runId);
    if (budget === undefined) {
      budget =
        event.type === "run.created"
          ? Promise.resolve({ capUsd: undefined, spentUsd: 0, countedSeq: 0, hasWarned: false })
          : readRunBudget(options, runId);
      budgets.set(runId, budget);
    }
    return budget;
  };

  const unsubscribe = options.events.subscribe((event: BosunEvent) => {
    if (!isRunEvent(event)) return;
    const { runId, ...runEvent } = event;
    queue = queue
      .then(() => handle(runEvent, runId))
      .catch((error: unknown) =>
        options.events.publish({
          type: "warning",
          runId,
          message: `A notification for ${runEvent.type} was not sent: ${getErrorMessage(error)}.`,
        }),
      );
  });
  return {
    drain: async () => {
      // What is queued while draining is drained too.
      for (let last; last !== queue;) await (last = queue);
    },
    unsubscribe,
  };
}

/** The argv of `notify.command`: a shell command line runs through /bin/sh; undefined for none. */
export function getNotifyArgv(command: string | readonly string[]): string[] | undefined {
  if (typeof command === "string")
    return command.trim() === "" ? undefined : ["/bin/sh", "-c", command];
  return command.length === 0 ? undefined : [...command];
}

/** Runs the command once with `notification` on stdin; throws when it fails or times out. */
async function runNotifyCommand(
  argv: readonly string[],
  notification: Notification,
  timeoutSec: number,
  options: NotifierOptions,
): Promise<void> {
  const [command, ...args] = argv;
  if (command === undefined) return;
  const dir = await mkdtemp(path.join(getTempDir(), "bosun-notify-"));
  try {
    const stdinFile = path.join(dir, "notification.json");
    await writeFile(stdinFile, `${JSON.stringify(notification)}\n`);
    const result = await runProcessRaw({
      command,
      args,
      cwd: await options.getCwd(),
      env: { BOSUN_NOTIFY_KIND: notification.kind, BOSUN_RUN_ID: notification.runId },
      stdinFile,
      timeoutMs: timeoutSec * 1000,
      graceMs: 1000,
      maxBytes: STDOUT_MAX_BYTES,
    });
    if (result.terminationReason === "timeout")
      throw new Error(`it ran over notify.timeoutSec (${timeoutSec} s) and was stopped`);
    if (result.exitCode !== 0) {
      const tail = result.stderrTail.trim().split("\n").slice(-3).join(" / ");
      throw new Error(
        `it exited with ${result.exitCode === null ? `signal ${String(result.signal)}` : `code ${result.exitCode}`}${tail === "" ? "" : `: ${tail}`}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The ask of an ask.created event, or undefined when it cannot be read (the notification goes anyway). */
async function readAskQuietly(
  options: NotifierOptions,
  askId: string,
): Promise<Notification["ask"] | undefined> {
  try {
    // Loaded here: the asks' schemas are not needed at start.
    const { readAsk } = await import("../human/asks.js");
    return (await readAsk(await options.getPaths(), askId)).ask;
  } catch {
    // The event's question is in the notification's message and event; the ask file is extra.
    return undefined;
  }
}

/** A resumed run's spend and cap, from its run.json (read once per run). */
async function readRunBudget(options: NotifierOptions, runId: string): Promise<RunBudget> {
  const { readRun } = await import("../store/run-lookup.js");
  const run = await readRun(await options.getPaths(), runId);
  return {
    capUsd: run?.flow === "team" ? run.options.budgetUsd : undefined,
    spentUsd: run?.costUsd ?? 0,
    countedSeq: run?.eventCount ?? 0,
    hasWarned: false,
  };
}

function isRunEvent(event: BosunEvent): event is RunEvent & { runId: string } {
  return "seq" in event;
}
