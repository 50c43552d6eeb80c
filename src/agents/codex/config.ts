/**
 * Codex's own config (`$CODEX_HOME/config.toml`, default `~/.codex/config.toml`) names the model
 * Codex uses when bosun passes none. Its `--json` events never say, so bosun reads it here to
 * price the tokens; nothing is written.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { getHomeDir } from "../../store/paths.js";

/** The top-level `model = "…"` of Codex's config.toml, if there is one. */
export async function readCodexDefaultModel(
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  const codexHome = env["CODEX_HOME"] ?? path.join(env["HOME"] ?? getHomeDir(), ".codex");
  let text: string;
  try {
    text = await readFile(path.join(codexHome, "config.toml"), "utf8");
  } catch {
    // No config: Codex runs its built-in default, which bosun cannot name.
    return undefined;
  }
  for (const line of text.split("\n")) {
    // Top-level keys come before the first [table]; `model` inside a table means something else.
    if (line.trimStart().startsWith("[")) return undefined;
    const match = /^\s*model\s*=\s*["']([^"']+)["']/.exec(line);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}
