/** `bosun doctor` / `bosun auth status`: which agent CLIs are installed and can authenticate. */
import { checkHarness } from "../../agents/doctor.js";
import { BUILTIN_HARNESSES, resolveHarness } from "../../agents/harnesses.js";
import type { CliContext } from "../context.js";
import { color, formatTable, printJson } from "../format.js";

/** Prints harness readiness; exit 0 always (it is a report, not a gate). */
export async function runDoctor(ctx: CliContext): Promise<number> {
  const { config } = await ctx.getConfig();
  const names = [...new Set([...Object.keys(BUILTIN_HARNESSES), ...Object.keys(config.agents)])];
  const results = await Promise.all(
    names.map(async (name) => {
      try {
        return await checkHarness(resolveHarness(name, config.agents).spec);
      } catch {
        // An invalid custom harness entry: "bosun validate" reports it; doctor lists the rest.
        return undefined;
      }
    }),
  );
  const health = results.filter((result) => result !== undefined);
  if (ctx.isJson) {
    printJson(health);
    return 0;
  }
  const rows = health.map((h) => [
    h.isReady ? color.green("✓") : h.path === null ? color.red("✗") : color.yellow("!"),
    h.name,
    h.path === null ? color.dim("not found") : (h.version ?? "?"),
    h.authEnvSet.length > 0
      ? `env: ${h.authEnvSet.join(", ")}`
      : h.authFilesFound.length > 0
        ? `login: ${h.authFilesFound.join(", ")}`
        : color.dim(h.authEnvKnown.length === 0 ? "no auth needed" : "no auth"),
    color.dim(h.notes.join("; ")),
  ]);
  process.stdout.write(
    `${formatTable(rows)}\nAuth is detected by variable names and login files only; bosun never reads or stores their values.\n`,
  );
  return 0;
}
