/**
 * Task runners, read first because they are the project's own front door: `make <target>` for a
 * Makefile target and `just <recipe>` for a justfile recipe, named test, build, lint and so on.
 */
import type { CommandKind, DetectedCommand, Detection, RepoView } from "./shared.js";

/** Target or recipe names that mean each kind, best first. */
const TASK_NAMES: ReadonlyArray<readonly [CommandKind, readonly string[]]> = [
  ["test", ["test", "check"]],
  ["build", ["build", "all"]],
  ["lint", ["lint"]],
  ["typecheck", ["typecheck", "type-check"]],
  ["format", ["format", "fmt"]],
];

/** Make targets (GNU make reads the first of GNUmakefile, makefile, Makefile). */
export function detectMake(repo: RepoView): Partial<Detection> {
  const file = repo.first(["GNUmakefile", "makefile", "Makefile"]);
  const text = file === undefined ? undefined : repo.text(file);
  if (file === undefined || text === undefined) return {};
  const targets = new Set<string>();
  // `name other: deps`, but not `name := value` or `name ::= value` (variables).
  for (const match of text.matchAll(/^([^\s#:=][^#:=]*?)\s*::?(?![=:])/gm)) {
    for (const name of (match[1] ?? "").split(/\s+/)) {
      if (/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) targets.add(name);
    }
  }
  return {
    packageManagers: [{ name: "make", source: file }],
    commands: commandsForTasks(targets, { runner: "make", file, what: "target" }),
  };
}

/** Recipes of a justfile. */
export function detectJust(repo: RepoView): Partial<Detection> {
  const file = repo.first(["justfile", "Justfile", ".justfile"]);
  const text = file === undefined ? undefined : repo.text(file);
  if (file === undefined || text === undefined) return {};
  const recipes = new Set<string>();
  for (const match of text.matchAll(/^@?([A-Za-z_][A-Za-z0-9_-]*)\b[^:=\n]*:(?!=)/gm)) {
    if (match[1] !== undefined) recipes.add(match[1]);
  }
  return {
    packageManagers: [{ name: "just", source: file }],
    commands: commandsForTasks(recipes, { runner: "just", file, what: "recipe" }),
  };
}

/** Commands for the task names a runner defines, e.g. `make test` for a `test:` target. */
function commandsForTasks(
  names: ReadonlySet<string>,
  how: { runner: string; file: string; what: "target" | "recipe" },
): DetectedCommand[] {
  const commands: DetectedCommand[] = [];
  for (const [kind, candidates] of TASK_NAMES) {
    for (const name of candidates) {
      if (names.has(name))
        commands.push({
          kind,
          command: `${how.runner} ${name}`,
          source: `${how.file} ${how.what} ${name}`,
        });
    }
  }
  return commands;
}
