/** `bosun log RUN [--follow]`: a run's event history, optionally followed live (fs.watch, no polling). */
import { watch } from "node:fs";
import { open } from "node:fs/promises";
import { StateError } from "../../errors.js";
import { parseJsonlBuffer, readJsonl } from "../../store/jsonl.js";
import { resolveRunId } from "../../store/run-read.js";
import { RunEventSchema, type RunEvent } from "../../store/schema/events.js";
import { createJournalLineSchema } from "../../store/schema/migrate.js";
import type { CliContext } from "../context.js";
import { color } from "../format.js";
import { formatEvent } from "../printer.js";

/** Prints (and with --follow, keeps printing) a run's events. */
export async function runLog(
  ctx: CliContext,
  wanted: string,
  options: { follow?: boolean },
): Promise<number> {
  const paths = await ctx.getPaths();
  const runId = await resolveRunId(paths, wanted);
  const file = paths.eventsFile(runId);
  // One line schema for the whole read, follow included: it upgrades version 1 lines in order.
  const lineSchema = createJournalLineSchema();
  const { records, validBytes } = await readJsonl(file, lineSchema);
  // Every run starts with run.created: an empty history is damage, not a quiet run.
  if (records.length === 0)
    throw new StateError(
      `Run ${runId} has no events: ${file} is empty or missing, so its history is lost. "bosun status ${runId}" shows what run.json kept.`,
    );
  const print = (event: RunEvent): void => {
    if (ctx.isJson) {
      process.stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    const line = formatEvent({ ...event, runId }, ctx.isVerbose);
    if (line !== undefined) process.stdout.write(`${color.dim(event.ts.slice(11, 19))} ${line}\n`);
  };
  records.forEach(print);
  if (options.follow !== true || isStopEvent(records.at(-1))) return 0;
  await followLog(file, { offset: validBytes, lineNumber: records.length + 1 }, print, ctx.signal);
  return 0;
}

/**
 * Prints events appended after `from` until the run stops (completed, needs a human, paused) or the signal. A change listener, not
 * fs/promises' watch(): that one (Node 20) drops changes that land while the loop body awaits,
 * and the last events of a run are written in quick succession. The first read after the
 * watcher starts catches what was appended before it did.
 */
async function followLog(
  file: string,
  from: { offset: number; lineNumber: number },
  print: (event: RunEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let { offset, lineNumber } = from;
  let hasChanged = true;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const watcher = watch(file);
  watcher.on("change", () => {
    hasChanged = true;
    wake?.();
  });
  watcher.on("error", (error) => {
    failure = error;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    while (!signal.aborted) {
      if (failure !== undefined) throw failure;
      if (!hasChanged) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      hasChanged = false;
      const handle = await open(file, "r");
      try {
        const { size } = await handle.stat();
        if (size <= offset) continue;
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        const chunk = parseJsonlBuffer(buffer, RunEventSchema, file, lineNumber);
        offset += chunk.validBytes;
        lineNumber += chunk.records.length;
        chunk.records.forEach(print);
        if (isStopEvent(chunk.records.at(-1))) return;
      } finally {
        await handle.close();
      }
    }
  } finally {
    watcher.close();
    signal.removeEventListener("abort", onAbort);
  }
}

/** The writing process stops after these: the run ended, waits for a human, or was paused. */
function isStopEvent(event: RunEvent | undefined): boolean {
  return event?.type === "run.completed" || event?.type === "run.paused";
}
