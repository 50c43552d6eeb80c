/**
 * `bosun _ wait [RUN] [--only-asks] [--since SEQ] [--timeout S]`: blocks until something changes
 * (an event appended to a run's journal, an ask opened or answered), prints what changed and
 * exits. Event-driven: fs.watch on the run folders and the asks, and `followRunEvents` for a
 * journal that changed; nothing is read again until a watch says it changed.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { CancelledError, UsageError, isNodeError } from "../../errors.js";
import { isOpen, readAsk } from "../../human/asks.js";
import { followRunEvents } from "../../store/follow.js";
import { createStateFsError } from "../../store/fs-errors.js";
import { readJournalLastSeq } from "../../store/journal-tail.js";
import { isRunId, type BosunPaths } from "../../store/paths.js";
import { listRunIds, resolveRunId } from "../../store/run-lookup.js";
import { watchDirectory } from "../../store/watch-dir.js";
import type { CliContext } from "../context.js";
import { CONTRACT_LIST_COMMAND, WAIT_TIMEOUT_EXIT_CODE, printContract } from "./output.js";
import type { WaitChange } from "./schemas.js";

/** What `wait` is told. */
export interface ContractWaitOptions {
  /** Only asks opened or answered count; journal events do not. */
  onlyAsks?: boolean;
  /** With RUN: events after this seq count, also those already written (default: from now). */
  since?: number;
  /** Give up after this many seconds: exit 124 (default: wait for ever). */
  timeoutSec?: number;
  /** Told once every watch is armed (the CLI prints a line on stderr: scripts may wait for it). */
  onReady?: (what: string) => void;
}

/** How one wait ended. */
type WaitEnd = "changed" | "timeout";

/** Waits for a change and prints it; 0 when something changed, 124 on --timeout. */
export async function runContractWait(
  ctx: CliContext,
  wanted: string | undefined,
  options: ContractWaitOptions,
): Promise<number> {
  if (options.since !== undefined && wanted === undefined)
    throw new UsageError(
      "--since needs a RUN: a seq counts in one run's journal. Give the run: bosun _ wait RUN --since SEQ.",
    );
  const paths = await ctx.getStatePaths();
  const runId =
    wanted === undefined ? undefined : await resolveRunId(paths, wanted, CONTRACT_LIST_COMMAND);
  const controller = new AbortController();
  const changes: WaitChange[] = [];
  let settle: (end: WaitEnd) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const ended = new Promise<WaitEnd>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let isReporting = false;
  const report = (change: WaitChange): void => {
    if (controller.signal.aborted) return;
    changes.push(change);
    if (isReporting) return;
    isReporting = true;
    // What was already read with this change goes out with it (a run's last events land in one
    // read): setImmediate runs after the reads in hand are yielded, before any new one is done.
    setImmediate(() => settle("changed"));
  };
  const onFailure = (error: unknown): void => {
    if (!controller.signal.aborted) fail(error);
  };
  const onCancel = (): void =>
    fail(new CancelledError("Stopped waiting (interrupted); nothing was printed as changed."));
  ctx.signal.addEventListener("abort", onCancel, { once: true });
  const timer =
    options.timeoutSec === undefined
      ? undefined
      : setTimeout(() => settle("timeout"), options.timeoutSec * 1000);
  try {
    const watching = [watchAsks(paths, runId, controller.signal, report, onFailure)];
    if (options.onlyAsks !== true) {
      watching.push(
        runId === undefined
          ? watchAllRuns(paths, controller.signal, report, onFailure)
          : watchRun(paths, runId, options.since, controller.signal, report, onFailure),
      );
    }
    await Promise.race([Promise.all(watching), ended]);
    options.onReady?.(
      `${options.onlyAsks === true ? "asks" : "events and asks"} of ${runId === undefined ? "every run" : `run ${runId}`}`,
    );
    const end = await ended;
    printContract("wait", { isTimedOut: end === "timeout", changes });
    return end === "timeout" ? WAIT_TIMEOUT_EXIT_CODE : 0;
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onCancel);
    controller.abort();
  }
}

type Report = (change: WaitChange) => void;
type OnFailure = (error: unknown) => void;

/**
 * Asks opened (`.bosun/asks/<id>.json` appearing) and answered (`answers/<id>.json` appearing
 * with a valid answer), of `runId` or any run. Resolves once the watches are armed and the asks
 * already there are listed (those are not changes).
 */
async function watchAsks(
  paths: BosunPaths,
  runId: string | undefined,
  signal: AbortSignal,
  report: Report,
  onFailure: OnFailure,
): Promise<void> {
  const watchOne = async (dir: string, isAnswers: boolean): Promise<void> => {
    const known = new Set<string>();
    const check = async (askId: string): Promise<void> => {
      if (known.has(askId)) return;
      // An ask is news once; an answer once it is valid (one that is not an option may be fixed).
      if (!isAnswers) known.add(askId);
      const item = await readAsk(paths, askId).catch((error: unknown) => {
        // An answer file may name an ask that does not exist; only a real ask is a change.
        if (isAnswers) return undefined;
        throw error;
      });
      if (item === undefined || (runId !== undefined && item.ask.runId !== runId)) return;
      if (!isAnswers) report({ kind: "ask.opened", ask: item.ask });
      else if (item.answer !== null && !isOpen(item)) {
        known.add(askId);
        report({ kind: "ask.answered", ask: item.ask, answer: item.answer });
      }
    };
    const onChange = async (name: string | undefined): Promise<void> => {
      const ids = name === undefined ? await listJsonIds(dir) : [getJsonId(name)];
      for (const askId of ids) if (askId !== undefined) await check(askId);
    };
    // Armed before the listing, so nothing written in between is missed; changes wait for it.
    let listed: Promise<unknown> = Promise.resolve();
    watchDirectory(dir, {
      signal,
      onChange: (name) => {
        listed = listed.then(() => onChange(name)).catch(onFailure);
      },
      onError: onFailure,
    });
    const initial = listJsonIds(dir).then((ids) => ids.forEach((id) => known.add(id)));
    listed = initial;
    await initial;
  };
  await Promise.all([watchOne(paths.asksDir, false), watchOne(paths.answersDir, true)]);
}

/** A run's journal events after `since` (or after its current end). */
async function watchRun(
  paths: BosunPaths,
  runId: string,
  since: number | undefined,
  signal: AbortSignal,
  report: Report,
  onFailure: OnFailure,
): Promise<void> {
  const follower = createRunFollower(paths, runId, signal, report, onFailure);
  // The end is read before following starts, so an event appended in between counts as a change
  // (following from a watch armed first would take it for one already there).
  follower.setFrom(since ?? (await readLastSeq(paths, runId)), true);
}

/**
 * Every run's journal from its current end, and runs created from now on from their start. A
 * run's journal is read only once its folder's watch reports the journal changed.
 */
async function watchAllRuns(
  paths: BosunPaths,
  signal: AbortSignal,
  report: Report,
  onFailure: OnFailure,
): Promise<void> {
  const followers = new Map<string, RunFollower>();
  const add = (runId: string): RunFollower => {
    const follower = createRunFollower(paths, runId, signal, report, onFailure);
    followers.set(runId, follower);
    follower.watch();
    return follower;
  };
  let listed: Promise<unknown> = Promise.resolve();
  watchDirectory(paths.runsDir, {
    signal,
    onChange: (name) => {
      listed = listed
        .then(async () => {
          const ids = name === undefined ? await listRunIds(paths) : [name];
          // A new run: its whole journal is news.
          for (const id of ids) if (isRunId(id) && !followers.has(id)) add(id).setFrom(0, true);
        })
        .catch(onFailure);
    },
    onError: onFailure,
  });
  const initial = (async () => {
    const ids = await listRunIds(paths);
    // Every watch armed first, then each journal's end read: nothing appended in between is lost.
    const added = ids.map((id) => [id, add(id)] as const);
    for (const [id, follower] of added) follower.setFrom(await readLastSeq(paths, id), false);
  })();
  listed = initial;
  await initial;
}

/** Follows one run's journal from a seq, once its folder's watch says the journal changed. */
interface RunFollower {
  /** Watches the run's folder for changes of its journal. */
  watch(): void;
  /** The seq to follow after; follows at once when `isNow` or when the journal changed already. */
  setFrom(afterSeq: number, isNow: boolean): void;
}

function createRunFollower(
  paths: BosunPaths,
  runId: string,
  signal: AbortSignal,
  report: Report,
  onFailure: OnFailure,
): RunFollower {
  const journalName = path.basename(paths.eventsFile(runId));
  let from: number | undefined;
  let hasChanged = false;
  let isFollowing = false;
  const follow = (): void => {
    if (isFollowing || from === undefined) return;
    isFollowing = true;
    const afterSeq = from;
    // followRunEvents reads the whole journal once: only for a run whose journal changed.
    void (async () => {
      for await (const event of followRunEvents(paths, runId, { afterSeq, signal }))
        report({ kind: "event", runId, event });
    })().catch(onFailure);
  };
  return {
    watch: () =>
      watchDirectory(paths.runDir(runId), {
        signal,
        onChange: (name) => {
          if (name !== undefined && name !== journalName) return;
          hasChanged = true;
          follow();
        },
        onError: onFailure,
      }),
    setFrom: (afterSeq, isNow) => {
      from = afterSeq;
      if (isNow || hasChanged) follow();
    },
  };
}

/** The seq of a run's last event, from the journal's tail. */
async function readLastSeq(paths: BosunPaths, runId: string): Promise<number> {
  const file = paths.eventsFile(runId);
  const seq = await readJournalLastSeq(file);
  if (seq === undefined)
    throw new UsageError(
      `The last line of ${file} is not an event: the journal is damaged. Check it with "bosun log ${runId}", or give --since SEQ.`,
    );
  return seq;
}

/** The ids of the `<id>.json` files in `dir` (none when it does not exist yet). */
async function listJsonIds(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).map(getJsonId).filter((id) => id !== undefined);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", dir, error);
  }
}

/** `x` for `x.json`; undefined for anything else (an atomic write's `.tmp` file, `answers/`). */
function getJsonId(name: string): string | undefined {
  return name.endsWith(".json") ? name.slice(0, -".json".length) : undefined;
}
