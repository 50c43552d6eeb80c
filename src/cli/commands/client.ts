/**
 * `bosun client`: the thinnest human channel. The repository's open asks stay on screen as they
 * open and close; the human answers one by hand. Nothing else: the answer is recorded (as
 * `bosun answer --no-resume` records it) and the run is continued by its own command.
 */
import type { CliContext } from "../context.js";
import { assertTerminal } from "./monitor.js";

/** Shows the open asks until the human quits (q) or a stop signal arrives; exit 0. */
export async function runClient(ctx: CliContext): Promise<number> {
  assertTerminal("client", "bosun asks and bosun answer ASK ANSWER --no-resume");
  const paths = await ctx.getStatePaths();
  const { loadScreens } = await import("../../tui/load-screens.js");
  const { runClientScreen } = await loadScreens();
  await runClientScreen({ paths, signal: ctx.signal });
  return 0;
}
