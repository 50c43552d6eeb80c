/** `bosun validate`: check the config files and that every harness they name can be resolved. */
import { getOfflineScriptIssue } from "../../agents/config-check.js";
import { ConfigError, type ConfigIssue } from "../../errors.js";
import { createConfigError } from "../../store/config-issues.js";
import type { CliContext } from "../context.js";
import { color, printJson } from "../format.js";

/**
 * Validates config. Invalid: exit 2, with `--json` `{ isValid: false, errors: [{ file, line?,
 * key, message }] }` on stdout, else one error line naming file, key and what was expected.
 */
export async function runValidate(ctx: CliContext): Promise<number> {
  let errors: readonly ConfigIssue[];
  let files: string[] = [];
  try {
    const resolved = await ctx.getConfig();
    files = resolved.files;
    // A configured offline script is checked too; unset is fine until a run uses the agent.
    const hasScript = resolved.config.agents["offline"]?.script !== undefined;
    const paths = await ctx.getPaths().catch(() => undefined);
    const issue =
      hasScript && paths !== undefined
        ? await getOfflineScriptIssue(resolved, paths.root, paths.workspaceConfigFile)
        : undefined;
    errors = issue === undefined ? [] : [issue];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (!ctx.isJson) throw error;
    errors =
      error.issues.length > 0 ? error.issues : [{ file: "", key: "", message: error.message }];
  }
  if (ctx.isJson) {
    printJson(errors.length === 0 ? { isValid: true, files, errors } : { isValid: false, errors });
    return errors.length === 0 ? 0 : 2;
  }
  if (errors.length > 0) throw createConfigError(errors);
  process.stdout.write(
    `${color.green("✓")} config is valid (${files.length === 0 ? "no config files; defaults apply" : files.join(", ")})\n`,
  );
  return 0;
}
