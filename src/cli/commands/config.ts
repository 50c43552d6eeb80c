/** `bosun config`: the resolved config, and for every value the file (or default) it came from. */
import { stringify } from "yaml";
import { listLeaves } from "../../store/config.js";
import type { CliContext } from "../context.js";
import { color, formatTable, printJson } from "../format.js";

/** Prints the resolved config with sources. */
export async function runConfig(ctx: CliContext): Promise<number> {
  const resolved = await ctx.getConfig();
  if (ctx.isJson) {
    printJson(resolved);
    return 0;
  }
  const leaves = listLeaves(Object.fromEntries(Object.entries(resolved.config)));
  const rows = leaves.map(([key, value]) => [
    key,
    stringify(value).trim(),
    color.dim(resolved.sources[key] ?? "default"),
  ]);
  const files = resolved.files.length === 0 ? "none (all defaults)" : resolved.files.join(", ");
  process.stdout.write(`Config files read: ${files}\n\n${formatTable(rows)}\n`);
  return 0;
}
