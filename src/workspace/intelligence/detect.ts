/**
 * Runs every `bosun learn` detector over the repository: each reads the project's own manifests
 * and reports package managers, frameworks and the commands those manifests really define. A
 * command is reported only when a file in the repository proves it exists; nothing is guessed.
 */
import { detectGo, detectJvm, detectRuby, detectRust } from "./ecosystems.js";
import { detectNode } from "./node.js";
import { detectPython } from "./python.js";
import { createRepoView, type Detection, type RepoFiles } from "./shared.js";
import { detectJust, detectMake } from "./tasks.js";

export {
  COMMAND_KINDS,
  isRequirementsFile,
  type CommandKind,
  type DetectedCommand,
  type DetectedTool,
  type Detection,
  type RepoFiles,
} from "./shared.js";

/** Root-level files whose text the detectors read. */
export const MANIFEST_FILES: readonly string[] = [
  "package.json",
  "GNUmakefile",
  "makefile",
  "Makefile",
  "justfile",
  "Justfile",
  ".justfile",
  "pyproject.toml",
  "setup.cfg",
  "tox.ini",
  "Pipfile",
  "Cargo.toml",
  "go.mod",
  "pom.xml",
  "build.gradle",
  "build.gradle.kts",
  "Gemfile",
];
/** Runs every detector; their findings keep this order (task runners first, then ecosystems). */
export function detectAll(repo: RepoFiles): Detection {
  const view = createRepoView(repo);
  const all: Detection = { packageManagers: [], frameworks: [], commands: [], warnings: [] };
  const detectors = [
    detectMake,
    detectJust,
    detectNode,
    detectPython,
    detectRust,
    detectGo,
    detectJvm,
    detectRuby,
  ];
  for (const detect of detectors) {
    const found = detect(view);
    all.packageManagers.push(...(found.packageManagers ?? []));
    all.frameworks.push(...(found.frameworks ?? []));
    all.commands.push(...(found.commands ?? []));
    all.warnings.push(...(found.warnings ?? []));
  }
  return all;
}
