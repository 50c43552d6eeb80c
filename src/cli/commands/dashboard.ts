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
  const lines = getStartLines({ ...dashboard, host: flags.host });
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

/** What the text mode prints at start. */
export interface StartInfo {
  /** The page's URL. */
  url: string;
  /** The one-time login link. */
  loginUrl: string;
  /** The bearer token. */
  token: string;
  /** True on a bind other than loopback. */
  isTokenRequired: boolean;
  /** --host as given. */
  host: string;
}

/**
 * The start lines: the address, the login link and the token. The token is printed always, once
 * (never written to disk): every change and every agent log needs it, and scripts send it. A bind
 * on every address prints links with that address, which no browser can open.
 */
export function getStartLines(info: StartInfo): string[] {
  const lines = [
    `bosun dashboard on ${info.url} (Ctrl-C to stop)`,
    `login link (works once; sets the token cookie, needed to act from the page and for agent logs and diffs): ${info.loginUrl}`,
    `token (shown only now, never written): ${info.token}`,
    `  scripts: curl -H "Authorization: Bearer <token>" ${info.url}api/runs`,
  ];
  if (info.isTokenRequired)
    lines.push(`${color.yellow("not loopback:")} every request needs the token.`);
  if (isEveryAddress(info.host))
    lines.push(
      `bound to every address: in the links above, replace ${new URL(info.url).hostname} with this machine's name (or one of its addresses).`,
    );
  return lines;
}

/** 0.0.0.0 and ::, the wildcard addresses. */
function isEveryAddress(host: string): boolean {
  return ["0.0.0.0", "::", "[::]"].includes(host);
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
