/** `bosun log RUN [--follow]`: a run's event history, optionally followed live (fs.watch, no polling). */
import { stat } from "node:fs/promises";
import { StateError, isNodeError } from "../../errors.js";
import { followRunEvents, isRunStopEvent } from "../../store/follow.js";
import { createStateFsError } from "../../store/fs-errors.js";
import { readRunJournal, resolveRunId } from "../../store/run-read.js";
import type { RunEvent } from "../../store/schema/events.js";
import type { CliContext } from "../context.js";
import { color } from "../format.js";
import { formatEvent, prefixTask } from "../printer.js";

/** Prints (and with --follow, keeps printing until the run stops or Ctrl-C) a run's events. */
export async function runLog(
  ctx: CliContext,
  wanted: string,
  options: { follow?: boolean },
): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted);
  const file = paths.eventsFile(runId);
  // Every run starts with run.created: an empty history is damage, not a quiet run.
  const lostHistory = (): StateError =>
    new StateError(
      `Run ${runId} has no events: ${file} is empty or missing, so its history is lost. "bosun status ${runId}" shows what run.json kept.`,
    );
  // A team run's tasks interleave: each line says whose it is (seen from the first event on).
  let isTeam = false;
  const print = (event: RunEvent): void => {
    if (ctx.isJson) {
      process.stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    if (event.type === "run.created") isTeam = event.flow === "team";
    const formatted = formatEvent({ ...event, runId }, ctx.isVerbose);
    if (formatted === undefined) return;
    const line = isTeam ? prefixTask({ ...event, runId }, formatted) : formatted;
    process.stdout.write(`${color.dim(event.ts.slice(11, 19))} ${line}\n`);
  };
  if (options.follow !== true) {
    const { records } = await readRunJournal(file);
    if (records.length === 0) throw lostHistory();
    records.forEach(print);
    return 0;
  }
  // The follower would wait for a journal to appear or fill; here, as without --follow, a
  // missing or empty one is a lost history (checked first, so the history is read only once).
  if (!(await hasBytes(file))) throw lostHistory();
  const events = followRunEvents(paths, runId, {
    signal: ctx.signal,
    isStopEvent: isRunStopEvent,
  });
  for await (const event of events) print(event);
  return 0;
}

/** True when `file` exists and is not empty. */
async function hasBytes(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return false;
    throw createStateFsError("read", file, error);
  }
}
