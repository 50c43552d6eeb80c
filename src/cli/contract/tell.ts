/**
 * `bosun _ tell RUN [--task T] TEXT|-`: writes a tell through the same function as `bosun tell`
 * (source "contract") and returns at once; the run's process delivers it with the next worker
 * prompt of the task (or of the run).
 */
import { tellFromCli, type TellFlags } from "../commands/tell.js";
import type { CliContext } from "../context.js";
import { printContract } from "./output.js";

/** Writes the tell; prints it with the run's state and what continues the run. */
export async function runContractTell(
  ctx: CliContext,
  wanted: string,
  text: string,
  flags: TellFlags = {},
): Promise<number> {
  const told = await tellFromCli(ctx, wanted, text, flags, "contract");
  printContract("tell", {
    tell: told.tell,
    runStatus: told.runStatus,
    isRunLive: told.isRunLive,
    message: told.message,
    resumeCommand: told.resumeCommand,
  });
  return 0;
}
