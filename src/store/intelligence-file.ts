/**
 * `.bosun/intelligence.md`, the repository facts `bosun learn` found: written whole and
 * atomically, read back (or null) for prompts that ground agents in the real commands.
 */
import { readTextOrNull, writeTextAtomic } from "./json-file.js";
import type { BosunPaths } from "./paths.js";

/** Replaces `.bosun/intelligence.md` with `markdown` (temp file, fsync, rename). */
export async function writeIntelligence(paths: BosunPaths, markdown: string): Promise<void> {
  await writeTextAtomic(paths.intelligenceFile, markdown);
}

/** The Markdown `bosun learn` last wrote, or null when it has not run in this repository. */
export async function readIntelligence(paths: BosunPaths): Promise<string | null> {
  return readTextOrNull(paths.intelligenceFile);
}
