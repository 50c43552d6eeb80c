/** `bosun validate`: check the config files and that every harness they name can be resolved. */
import { resolveHarness } from "../../agents/harnesses.js";
import type { CliContext } from "../context.js";
import { color, printJson } from "../format.js";

/** Validates config; an invalid file throws a ConfigError (exit 2) naming file, key and expectation. */
export async function runValidate(ctx: CliContext): Promise<number> {
  const { config, files } = await ctx.getConfig();
  const names = new Set([
    config.review.worker,
    config.review.reviewer,
    ...Object.keys(config.agents),
  ]);
  for (const name of names) if (name !== "manual") resolveHarness(name, config.agents);
  if (ctx.isJson) printJson({ isValid: true, files });
  else
    process.stdout.write(
      `${color.green("✓")} config is valid (${files.length === 0 ? "no config files; defaults apply" : files.join(", ")})\n`,
    );
  return 0;
}
