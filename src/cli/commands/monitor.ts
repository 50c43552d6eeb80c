/**
 * `bosun monitor [RUN]`: one run's mission control in the terminal (board, agents, live output,
 * asks, spend), with keys to answer, approve and stop; `bosun monitor --pulse`: the pulse's
 * (daemon, budgets, goals, readings, workers, the held decision, the journal), with keys to
 * approve or reject a held move. The screen (ink, React) is loaded only here, so no other
 * command pays for it.
 */
import { UsageError } from "../../errors.js";
import { resolveRunId } from "../../store/run-lookup.js";
import type { CliContext } from "../context.js";

/** The monitor's flags. */
export interface MonitorFlags {
  /** --pulse: the pulse's screen instead of a run's. */
  pulse?: boolean;
}

/** Shows the monitor until the human quits (q) or a stop signal arrives; exit 0. */
export async function runMonitor(
  ctx: CliContext,
  wanted: string,
  flags: MonitorFlags = {},
): Promise<number> {
  if (flags.pulse === true) return runPulseMonitor(ctx, wanted);
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

/** `bosun monitor --pulse`: the pulse's screen; a and r approve or reject a held move. */
async function runPulseMonitor(ctx: CliContext, wanted: string): Promise<number> {
  if (wanted !== "latest")
    throw new UsageError(
      `bosun monitor --pulse shows the pulse, not a run: drop ${JSON.stringify(wanted)}, or drop --pulse to watch that run.`,
    );
  assertTerminal("monitor --pulse", "bosun pulse status --json or bosun _ wait --actionable");
  const { createPulseEnv } = await import("./pulse.js");
  const env = await createPulseEnv(ctx);
  const { loadScreens } = await import("../../tui/load-screens.js");
  const { runPulseScreen } = await loadScreens();
  await runPulseScreen({ env, signal: ctx.signal });
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
