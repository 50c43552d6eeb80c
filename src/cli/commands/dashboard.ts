/**
 * `bosun dashboard [--port 4318] [--host 127.0.0.1] [--open]`: the live web dashboard of this
 * repository's runs, until Ctrl-C. Runs answered or approved from the page continue in this
 * process, their events printed here as `bosun run` prints them.
 */
import { startDashboard } from "../../dashboard/server.js";
import { getErrorMessage } from "../../errors.js";
import { runProcess } from "../../proc/run-process.js";
import type { CliContext } from "../context.js";
import { color } from "../format.js";
import { subscribePrinter } from "../printer.js";

/** The dashboard's flags. */
export interface DashboardFlags {
  /** --port: 0 takes any free port. */
  port: number;
  /** --host: the address to bind. */
  host: string;
  /** --open: open the login link in the desktop's browser. */
  open?: boolean;
}

/** Serves the dashboard until the signal aborts (Ctrl-C, SIGTERM); exit 0 then. */
export async function runDashboard(ctx: CliContext, flags: DashboardFlags): Promise<number> {
  const paths = await ctx.getStatePaths();
  const dashboard = await startDashboard({
    paths,
    host: flags.host,
    port: flags.port,
    getConfig: async () => (await ctx.getConfig()).config,
    onEvent: subscribePrinter(ctx, { showTaskIds: true }),
  });
  const lines = [
    `bosun dashboard on ${dashboard.url} (Ctrl-C to stop)`,
    `login link (works once; sets the token cookie, needed for agent logs and diffs): ${dashboard.loginUrl}`,
  ];
  if (dashboard.isTokenRequired) {
    lines.push(
      `${color.yellow("not loopback:")} every request needs the token. Token (shown only now): ${dashboard.token}`,
      `  scripts: curl -H "Authorization: Bearer <token>" ${dashboard.url}api/runs`,
    );
  }
  if (ctx.isJson) {
    process.stdout.write(
      `${JSON.stringify({ url: dashboard.url, loginUrl: dashboard.loginUrl, token: dashboard.token, isTokenRequired: dashboard.isTokenRequired })}\n`,
    );
  } else process.stdout.write(`${lines.join("\n")}\n`);
  if (flags.open === true) await openBrowser(dashboard.loginUrl);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await dashboard.close();
  return 0;
}

/** Opens `url` with the desktop's opener; a missing one is a hint, not a failure. */
async function openBrowser(url: string): Promise<void> {
  const command = process.platform === "darwin" ? "open" : "xdg-open";
  try {
    // In bosun's own group, so the browser it starts is not killed when the opener exits.
    const result = await runProcess({
      command,
      args: [url],
      cwd: process.cwd(),
      timeoutMs: 10_000,
      isGroupLeader: false,
    });
    if (result.exitCode === 0) return;
    process.stderr.write(
      `${command} failed (${result.stderrTail.trim()}); open the link above by hand.\n`,
    );
  } catch (error) {
    process.stderr.write(
      `Cannot run ${command}: ${getErrorMessage(error)}; open the link above by hand.\n`,
    );
  }
}
