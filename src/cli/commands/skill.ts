/**
 * `bosun skill install [--dir D] [--global]`: places bosun's operator skill (skills/bosun/SKILL.md,
 * shipped in the package) where agent CLIs load skills — Claude Code's `.claude/skills/` and the
 * Agent Skills standard's `.agents/skills/` (Codex, pi, …) — so an agent concierge drives bosun
 * through `bosun _` with the safety rules built in.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { StateError } from "../../errors.js";
import { getHomeDir } from "../../store/paths.js";
import type { CliContext } from "../context.js";
import { printJson } from "../format.js";

/** The skill's folder name wherever it is installed. */
const SKILL_NAME = "bosun";

/** Where skills are loaded from, relative to a project or a home directory. */
const SKILL_ROOTS = [".claude/skills", ".agents/skills"];

/**
 * The shipped SKILL.md: `skills/bosun/SKILL.md` beside `dist/` in the package (or the source
 * tree when run from source), found by walking up from this module.
 */
export function findShippedSkill(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth += 1) {
    const candidate = path.join(dir, "skills", SKILL_NAME, "SKILL.md");
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new StateError(
    "bosun's SKILL.md is missing from its installation (skills/bosun/SKILL.md); reinstall bosun.",
  );
}

/** Installs the skill; prints where. */
export async function runSkillInstall(
  ctx: CliContext,
  options: { dir?: string; global?: boolean },
): Promise<number> {
  const text = await readFile(findShippedSkill(), "utf8");
  let roots: string[];
  if (options.dir !== undefined) roots = [path.resolve(options.dir)];
  else {
    const base = options.global === true ? getHomeDir() : await ctx.getRoot();
    roots = SKILL_ROOTS.map((root) => path.join(base, root));
  }
  const files: string[] = [];
  for (const root of roots) {
    const file = path.join(root, SKILL_NAME, "SKILL.md");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    files.push(file);
  }
  if (ctx.isJson) printJson({ installed: files });
  else
    process.stdout.write(
      `${files.map((file) => `installed ${file}`).join("\n")}\nAgents that load skills from there now know how to operate bosun (try: "be my bosun concierge").\n`,
    );
  return 0;
}
