/** `bosun diff RUN [--round N]`: what the run changed, measured by git. */
import { getRunDiff } from "../../flows/run-diff.js";
import { resolveRunId } from "../../store/run-read.js";
import type { CliContext } from "../context.js";
import { printJson } from "../format.js";

/** Prints the diff. */
export async function runDiff(
  ctx: CliContext,
  wanted: string,
  options: { round?: number },
): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted);
  const { diff, outsideCommits } = await getRunDiff(paths, runId, options.round);
  if (ctx.isJson) {
    printJson({ runId, round: options.round ?? null, diff, outsideCommits });
    return 0;
  }
  // On stderr: stdout stays a patch that git apply takes.
  if (outsideCommits.length > 0)
    process.stderr.write(
      `note: this diff includes ${outsideCommits.length} commit(s) made outside the run (${outsideCommits.slice(0, 3).join("; ")}${outsideCommits.length > 3 ? "; …" : ""}); "bosun diff ${runId} --round N" shows one round's own change.\n`,
    );
  // The diff comes back as lines joined without the last newline; the shell prompt must not be
  // glued onto the diff's last line.
  if (diff === "") process.stdout.write("(no changes)\n");
  else process.stdout.write(diff.endsWith("\n") ? diff : `${diff}\n`);
  return 0;
}
