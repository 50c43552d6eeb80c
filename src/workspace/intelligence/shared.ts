/**
 * What every `bosun learn` detector shares: the finding types, a view over the repository's
 * file list, and the helpers that turn task names and dependency names into findings.
 */
/** The kinds of project command an agent needs to know. */
export type CommandKind = "test" | "build" | "lint" | "typecheck" | "format";

/** Every kind, in the order they are shown. */
export const COMMAND_KINDS: readonly CommandKind[] = [
  "test",
  "build",
  "lint",
  "typecheck",
  "format",
];

/** A command the repository defines. */
export interface DetectedCommand {
  /** What the command is for. */
  kind: CommandKind;
  /** The command line to run from the repository root, e.g. `npm test`. */
  command: string;
  /** Where it comes from, e.g. `package.json scripts.test: vitest run`. */
  source: string;
}

/** A package manager, framework or tool, with the file that shows it. */
export interface DetectedTool {
  /** Display name, e.g. `pnpm`, `React`, `pytest`. */
  name: string;
  /** Where it was seen, e.g. `pnpm-lock.yaml`, `package.json devDependencies`. */
  source: string;
}

/** What the detectors look at: the file list and the text of the root manifests. */
export interface RepoFiles {
  /** Repository-relative paths with `/`, every file git knows (tracked, or untracked and not ignored). */
  paths: readonly string[];
  /** Text of each root-level file named in MANIFEST_FILES (or `requirements*.txt`) that exists. */
  texts: ReadonlyMap<string, string>;
}

/** What one or all detectors found. */
export interface Detection {
  /** Package managers and build tools, e.g. npm from package-lock.json. */
  packageManagers: DetectedTool[];
  /** Frameworks and tools from declared dependencies. */
  frameworks: DetectedTool[];
  /** Commands the manifests define, in detector order. */
  commands: DetectedCommand[];
  /** Manifests that could not be read (e.g. package.json that is not JSON). */
  warnings: string[];
}

/** True for root-level `requirements*.txt` files, which are read too. */
export function isRequirementsFile(file: string): boolean {
  return /^requirements[^/]*\.txt$/.test(file);
}

/** Lookups over the file list that every detector uses. */
export interface RepoView {
  /** True when this path (a root-level file, or any file) exists. */
  has(file: string): boolean;
  /** True when some file lies under `dir/`. */
  hasDir(dir: string): boolean;
  /** Text of a root manifest. */
  text(file: string): string | undefined;
  /** The first of `files` that exists. */
  first(files: readonly string[]): string | undefined;
  /** Every path. */
  paths: readonly string[];
}

/** Builds the lookups once for all detectors. */
export function createRepoView(repo: RepoFiles): RepoView {
  const set = new Set(repo.paths);
  const dirs = new Set(repo.paths.flatMap((file) => listParents(file)));
  return {
    has: (file) => set.has(file),
    hasDir: (dir) => dirs.has(dir),
    text: (file) => repo.texts.get(file),
    first: (files) => files.find((file) => set.has(file)),
    paths: repo.paths,
  };
}

function listParents(file: string): string[] {
  const parts = file.split("/").slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}
/** Display names for the dependency names of `known` that each source declares, first source wins. */
export function findFrameworks(
  sources: ReadonlyArray<readonly [string, ReadonlySet<string>]>,
  known: Readonly<Record<string, string>>,
): DetectedTool[] {
  const found: DetectedTool[] = [];
  for (const [source, names] of sources) {
    for (const name of names) {
      const display = Object.hasOwn(known, name) ? known[name] : undefined;
      if (display !== undefined && !found.some((f) => f.name === display))
        found.push({ name: display, source });
    }
  }
  return found;
}

/** A script body on one line, cut to a readable length. */
export function clip(text: string, max = 80): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
