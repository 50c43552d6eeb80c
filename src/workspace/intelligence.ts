/**
 * `bosun learn`: what a repository is made of (languages, package managers, frameworks, layout)
 * and the test, build and lint commands its own files define, rendered as the Markdown every
 * agent prompt can include so no agent invents a command. Reads git and files; writes nothing.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { UsageError, isNodeError } from "../errors.js";
import { runGit } from "./git.js";
import {
  COMMAND_KINDS,
  MANIFEST_FILES,
  detectAll,
  isRequirementsFile,
  type DetectedCommand,
  type DetectedTool,
} from "./intelligence/detect.js";
import type { TestCheck } from "./intelligence/check.js";

export type { CommandKind, DetectedCommand, DetectedTool } from "./intelligence/detect.js";
export type { TestCheck } from "./intelligence/check.js";

/** Files of one language. */
export interface LanguageCount {
  /** Language name, e.g. `TypeScript`. */
  name: string;
  /** How many files git knows with its extensions. */
  files: number;
}

/** One top-level entry of the repository. */
export interface LayoutEntry {
  /** File or directory name at the root. */
  name: string;
  /** True for a directory. */
  isDir: boolean;
  /** Files under it (1 for a file). */
  files: number;
  /** What a directory of this name usually holds, e.g. `tests`; absent when unknown. */
  note?: string;
}

/** Everything `bosun learn` found (what `bosun learn --json` prints). */
export interface RepoIntelligence {
  /** Repository root that was scanned. */
  root: string;
  /** HEAD when scanned; null in a repository with no commits yet. */
  head: string | null;
  /** When the scan ran (ISO 8601). */
  scannedAt: string;
  /** Files git knows: tracked, plus untracked ones that are not ignored. */
  fileCount: number;
  /** Languages by file count, most files first. */
  languages: LanguageCount[];
  /** Package managers and build tools, with the file that shows each. */
  packageManagers: DetectedTool[];
  /** Frameworks and tools from declared dependencies. */
  frameworks: DetectedTool[];
  /** Commands the repository defines; the first `test` one is what `--check` runs. */
  commands: DetectedCommand[];
  /** Top-level files and directories, directories first. */
  layout: LayoutEntry[];
  /** CI systems configured, e.g. `GitHub Actions (.github/workflows)`. */
  ci: string[];
  /** Manifests below the root (sub-projects) whose commands were not read. */
  nestedManifests: string[];
  /** The `--check` run of the test command; null when not run. */
  check: TestCheck | null;
  /** Files that could not be read or understood. */
  warnings: string[];
}

/** File extension → language. Data formats and prose are left out on purpose. */
const LANGUAGES: Readonly<Record<string, string>> = {
  ts: "TypeScript",
  tsx: "TypeScript",
  mts: "TypeScript",
  cts: "TypeScript",
  js: "JavaScript",
  jsx: "JavaScript",
  mjs: "JavaScript",
  cjs: "JavaScript",
  py: "Python",
  pyi: "Python",
  rs: "Rust",
  go: "Go",
  java: "Java",
  kt: "Kotlin",
  kts: "Kotlin",
  scala: "Scala",
  rb: "Ruby",
  php: "PHP",
  cs: "C#",
  fs: "F#",
  swift: "Swift",
  m: "Objective-C",
  c: "C",
  h: "C",
  cc: "C++",
  cpp: "C++",
  cxx: "C++",
  hpp: "C++",
  hh: "C++",
  dart: "Dart",
  ex: "Elixir",
  exs: "Elixir",
  erl: "Erlang",
  hs: "Haskell",
  lua: "Lua",
  zig: "Zig",
  clj: "Clojure",
  r: "R",
  jl: "Julia",
  sh: "Shell",
  bash: "Shell",
  zsh: "Shell",
  sql: "SQL",
  html: "HTML",
  css: "CSS",
  scss: "SCSS",
  vue: "Vue",
  svelte: "Svelte",
  tf: "Terraform",
  proto: "Protocol Buffers",
};

/** What a top-level directory of this name usually holds. */
const LAYOUT_NOTES: Readonly<Record<string, string>> = {
  src: "source",
  lib: "source",
  app: "application code",
  pkg: "packages",
  cmd: "entry points",
  internal: "internal packages",
  packages: "workspace packages",
  apps: "workspace apps",
  test: "tests",
  tests: "tests",
  spec: "tests",
  __tests__: "tests",
  e2e: "end-to-end tests",
  docs: "documentation",
  doc: "documentation",
  scripts: "scripts",
  bin: "executables",
  examples: "examples",
  bench: "benchmarks",
  benchmarks: "benchmarks",
  public: "static assets",
  static: "static assets",
  assets: "assets",
  migrations: "database migrations",
  ".github": "GitHub config and workflows",
  config: "configuration",
  deploy: "deployment",
  infra: "infrastructure",
  vendor: "vendored dependencies",
};

/** Manifests that mark a sub-project when found below the root. */
const NESTED_MANIFESTS = new Set([
  "package.json",
  "pyproject.toml",
  "Cargo.toml",
  "go.mod",
  "pom.xml",
  "build.gradle",
  "build.gradle.kts",
  "Gemfile",
  "Makefile",
]);

/** At most this many layout entries and nested manifests are listed. */
const MAX_LISTED = 40;

/** Options of `scanRepo`. */
export interface ScanOptions {
  /** The scan time (tests pin it). */
  now?: Date;
}

/**
 * Scans the repository at `root`: every file git knows (tracked, or untracked and not ignored),
 * and the text of the root manifests. A UsageError when `root` is not a git repository.
 */
export async function scanRepo(root: string, options: ScanOptions = {}): Promise<RepoIntelligence> {
  const paths = await listRepoFiles(root);
  const texts = new Map<string, string>();
  const rootFiles = paths.filter((file) => !file.includes("/"));
  for (const file of rootFiles) {
    if (!MANIFEST_FILES.includes(file) && !isRequirementsFile(file)) continue;
    const text = await readOptional(path.join(root, file));
    if (text !== null) texts.set(file, text);
  }
  const detected = detectAll({ paths, texts });
  return {
    root,
    head: await readHead(root),
    scannedAt: (options.now ?? new Date()).toISOString(),
    fileCount: paths.length,
    languages: countLanguages(paths),
    packageManagers: detected.packageManagers,
    frameworks: detected.frameworks,
    commands: sortCommands(detected.commands),
    layout: getLayout(paths),
    ci: findCi(paths),
    nestedManifests: paths
      .filter((file) => file.includes("/") && NESTED_MANIFESTS.has(path.posix.basename(file)))
      .filter((file) => !file.split("/").includes("node_modules"))
      .slice(0, MAX_LISTED),
    check: null,
    warnings: detected.warnings,
  };
}

/** The command `bosun learn --check` runs: the first test command found, if any. */
export function getTestCommand(
  intel: Pick<RepoIntelligence, "commands">,
): DetectedCommand | undefined {
  return intel.commands.find((command) => command.kind === "test");
}

async function listRepoFiles(root: string): Promise<string[]> {
  let out: string;
  try {
    out = await runGit(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  } catch (error) {
    throw new UsageError(
      `Cannot list the files of ${root}: it is not a git repository (bosun learn reads git's file list). Run "git init" there, or pass --root <repository>.`,
      { cause: error },
    );
  }
  // A file both tracked and changed is listed once per stage; `.bosun/` is bosun's own state.
  return [...new Set(out.split("\0"))].filter((file) => file !== "" && !file.startsWith(".bosun/"));
}

async function readHead(root: string): Promise<string | null> {
  try {
    return (await runGit(root, ["rev-parse", "--verify", "-q", "HEAD"])).trim() || null;
  } catch {
    // No commits yet: the scan still describes the files.
    return null;
  }
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    // Listed by git but gone from the tree (deleted, not yet committed), or a directory (submodule).
    if (isNodeError(error) && (error.code === "ENOENT" || error.code === "EISDIR")) return null;
    throw error;
  }
}

function countLanguages(paths: readonly string[]): LanguageCount[] {
  const counts = new Map<string, number>();
  for (const file of paths) {
    const ext = path.posix.extname(file).slice(1).toLowerCase();
    const name = Object.hasOwn(LANGUAGES, ext) ? LANGUAGES[ext] : undefined;
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .map(([name, files]) => ({ name, files }))
    .sort((a, b) => b.files - a.files || a.name.localeCompare(b.name));
}

function sortCommands(commands: readonly DetectedCommand[]): DetectedCommand[] {
  const unique = commands.filter(
    (c, i) => commands.findIndex((d) => d.kind === c.kind && d.command === c.command) === i,
  );
  // A stable sort keeps each kind's detector order (task runners first).
  return [...unique].sort((a, b) => COMMAND_KINDS.indexOf(a.kind) - COMMAND_KINDS.indexOf(b.kind));
}

function getLayout(paths: readonly string[]): LayoutEntry[] {
  const entries = new Map<string, LayoutEntry>();
  for (const file of paths) {
    const [top = file] = file.split("/");
    const isDir = file.includes("/");
    const entry = entries.get(top) ?? { name: top, isDir, files: 0 };
    entry.files += 1;
    entries.set(top, entry);
  }
  return [...entries.values()]
    .map((entry) => {
      const note =
        entry.isDir && Object.hasOwn(LAYOUT_NOTES, entry.name)
          ? LAYOUT_NOTES[entry.name]
          : undefined;
      return note === undefined ? entry : { ...entry, note };
    })
    .sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.name.localeCompare(b.name))
    .slice(0, MAX_LISTED);
}

function findCi(paths: readonly string[]): string[] {
  const systems: Array<[string, (file: string) => boolean]> = [
    ["GitHub Actions (.github/workflows)", (f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f)],
    ["GitLab CI (.gitlab-ci.yml)", (f) => f === ".gitlab-ci.yml"],
    ["CircleCI (.circleci/config.yml)", (f) => f === ".circleci/config.yml"],
    ["Azure Pipelines (azure-pipelines.yml)", (f) => f === "azure-pipelines.yml"],
    ["Jenkins (Jenkinsfile)", (f) => f === "Jenkinsfile"],
    ["Buildkite (.buildkite)", (f) => f.startsWith(".buildkite/")],
    ["Travis CI (.travis.yml)", (f) => f === ".travis.yml"],
  ];
  return systems.filter(([, test]) => paths.some(test)).map(([name]) => name);
}
