/** `bosun log RUN [--follow]`: a run's event history, optionally followed live (fs.watch, no polling). */
import { open, watch } from "node:fs/promises";
import { parseJsonlBuffer, readJsonl } from "../../store/jsonl.js";
import { resolveRunId } from "../../store/run-read.js";
import { RunEventSchema, type RunEvent } from "../../store/schema/events.js";
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
  const { records, validBytes } = await readJsonl(file, RunEventSchema);
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
  let offset = validBytes;
  let lineNumber = records.length + 1;
  try {
    for await (const _change of watch(file, { signal: ctx.signal })) {
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
        if (isStopEvent(chunk.records.at(-1))) return 0;
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    if (ctx.signal.aborted) return 0;
    throw error;
  }
  return 0;
}

function isStopEvent(event: RunEvent | undefined): boolean {
  return event?.type === "run.completed";
}
