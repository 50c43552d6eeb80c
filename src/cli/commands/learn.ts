/**
 * `bosun learn [--check]`: scans the repository and writes `.bosun/intelligence.md` (stack,
 * layout, and the real test, build and lint commands); `--check` runs the test command once.
 */
import path from "node:path";
import { writeIntelligence } from "../../store/intelligence-file.js";
import { excludeBosunDir } from "../../workspace/git.js";
import { runTestCheck } from "../../workspace/intelligence/check.js";
import { renderIntelligence } from "../../workspace/intelligence/render.js";
import { COMMAND_KINDS } from "../../workspace/intelligence/detect.js";
import { getTestCommand, scanRepo, type RepoIntelligence } from "../../workspace/intelligence.js";
import type { CliContext } from "../context.js";
import { color, formatDuration, formatTable, printJson } from "../format.js";

/** `bosun learn` options. */
export interface LearnFlags {
  /** Run the test command once and record green or red. */
  check?: boolean;
  /** Seconds the test command may run (0 = no limit). */
  timeout?: number;
}

/** How long `--check` lets the test command run unless `--timeout` says otherwise. */
export const DEFAULT_CHECK_TIMEOUT_SEC = 600;

/** Writes .bosun/intelligence.md; exit 1 when `--check` ran a red test command, else 0. */
export async function runLearn(ctx: CliContext, flags: LearnFlags): Promise<number> {
  const paths = await ctx.getPaths();
  const intel = await scanRepo(paths.root);
  if (flags.check === true) {
    const test = getTestCommand(intel);
    if (test === undefined) {
      intel.warnings.push(
        "--check: no test command found, so nothing was run. Add a test script (package.json scripts.test, a Makefile test target, …) and run bosun learn --check again.",
      );
    } else {
      if (!ctx.isJson)
        process.stderr.write(`Running the test command: ${test.command} (from ${test.source})…\n`);
      intel.check = await runTestCheck(test, {
        root: paths.root,
        logFile: paths.intelligenceCheckLogFile,
        timeoutMs: (flags.timeout ?? DEFAULT_CHECK_TIMEOUT_SEC) * 1000,
        signal: ctx.signal,
      });
    }
  }
  // The file is bosun's own state, like the rest of .bosun/: never part of a commit.
  await excludeBosunDir(paths.root);
  await writeIntelligence(paths, renderIntelligence(intel));
  if (ctx.isJson) printJson(intel);
  else
    process.stdout.write(formatSummary(intel, path.relative(paths.root, paths.intelligenceFile)));
  for (const warning of ctx.isJson ? [] : intel.warnings)
    process.stderr.write(`${color.yellow("warning")} ${warning}\n`);
  return intel.check?.status === "red" ? 1 : 0;
}

function formatSummary(intel: RepoIntelligence, file: string): string {
  const names = (items: ReadonlyArray<{ name: string }>): string =>
    items.length === 0 ? color.dim("none found") : items.map((item) => item.name).join(", ");
  const rows = [
    ["languages", names(intel.languages.slice(0, 6))],
    ["managers", names(intel.packageManagers)],
    ["frameworks", names(intel.frameworks)],
  ];
  for (const kind of COMMAND_KINDS) {
    const found = intel.commands.filter((command) => command.kind === kind);
    rows.push([
      kind,
      found.length === 0
        ? color.dim("none found")
        : found.map((command) => command.command).join(color.dim(" | ")),
    ]);
  }
  const lines = [`Wrote ${file} (${intel.fileCount} files scanned).`, formatTable(rows)];
  const check = intel.check;
  if (check !== null) {
    const how =
      check.terminationReason === "timeout"
        ? `timed out after ${formatDuration(check.durationMs)}`
        : `exited ${String(check.exitCode ?? check.terminationReason)} in ${formatDuration(check.durationMs)}`;
    const verdict = check.status === "green" ? color.green("green") : color.red("red");
    lines.push(
      `check: ${verdict}: ${check.command} ${how} (output: ${path.relative(intel.root, check.logFile)})`,
    );
    if (check.status === "red")
      lines.push(...check.tail.slice(-10).map((line) => color.dim(`  ${line}`)));
  }
  return `${lines.join("\n")}\n`;
}
