/**
 * `bosun monitor [RUN]`: one run's mission control in the terminal (board, agents, live output,
 * asks, spend), with keys to answer, approve and stop. The screen (ink, React) is loaded only
 * here, so no other command pays for it.
 */
import { UsageError } from "../../errors.js";
import { resolveRunId } from "../../store/run-lookup.js";
import type { CliContext } from "../context.js";

/** Shows the monitor until the human quits (q) or a stop signal arrives; exit 0. */
export async function runMonitor(ctx: CliContext, wanted: string): Promise<number> {
  assertTerminal("monitor", `bosun log --follow ${wanted}`);
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted);
  const { loadScreens } = await import("../../tui/load-screens.js");
  const { runMonitorScreen } = await loadScreens();
  await runMonitorScreen({
    paths,
    runId,
    loadConfig: async () => (await ctx.getConfig()).config,
    signal: ctx.signal,
    // The screen is ink's: nothing prints these events; the notifier (notify: in bosun.yaml) hears them.
    onEvent: ctx.events.publish,
  });
  return 0;
}

/**
 * The screens read keys and draw in place: without a terminal on stdin and stdout there is no
 * one to read from, so say what to use instead.
 */
export function assertTerminal(command: string, instead: string): void {
  if (process.stdin.isTTY && process.stdout.isTTY) return;
  throw new UsageError(
    `bosun ${command} needs a terminal (stdin and stdout must be a TTY). In a script, use ${instead}.`,
  );
}
