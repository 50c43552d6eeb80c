/** `bosun tell RUN [--task T] MESSAGE|-`: a message for a run's worker, delivered with its next prompt. */
import { tellWorker, type TellOutcome } from "../../flows/tell.js";
import { resolveRunId } from "../../store/run-lookup.js";
import { MAX_TELL_CHARS } from "../../store/schema/tells.js";
import { CONTRACT_LIST_COMMAND } from "../contract/output.js";
import type { CliContext } from "../context.js";
import { printJson } from "../format.js";
import { readStdinText } from "../stdin.js";

/** Where the message comes from: the argument, or stdin for "-". */
export interface TellFlags {
  /** The task whose worker is told (team runs; a review's or pipeline's one task may be named). */
  task?: string;
  /** Reads stdin whole (injected by tests). */
  readStdin?: () => Promise<string>;
}

/** Writes the tell through `tellWorker` and says when the worker gets it. */
export async function runTell(
  ctx: CliContext,
  wanted: string,
  message: string,
  flags: TellFlags = {},
): Promise<number> {
  const told = await tellFromCli(ctx, wanted, message, flags, "cli");
  if (ctx.isJson) printJson(told);
  else process.stdout.write(`${told.message}\n`);
  return 0;
}

/** Resolves the run, reads the message ("-": stdin) and tells; shared with `bosun _ tell`. */
export async function tellFromCli(
  ctx: CliContext,
  wanted: string,
  message: string,
  flags: TellFlags,
  source: string,
): Promise<TellOutcome> {
  const text = message === "-" ? await (flags.readStdin ?? readTellFromStdin)() : message;
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(
    paths,
    wanted,
    source === "contract" ? CONTRACT_LIST_COMMAND : undefined,
  );
  return tellWorker(paths, {
    runId,
    ...(flags.task === undefined ? {} : { taskId: flags.task }),
    text,
    source,
  });
}

/** All of stdin as text, up to a few times the cap in bytes (tellWorker then checks the cap). */
function readTellFromStdin(): Promise<string> {
  const maxBytes = MAX_TELL_CHARS * 4;
  return readStdinText(
    maxBytes,
    `The message on stdin is over ${maxBytes} bytes; a tell holds at most ${MAX_TELL_CHARS} characters. Shorten it, or write the details to a file in the repository and tell the worker to read it.`,
  );
}
