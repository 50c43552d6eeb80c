/**
 * Just enough TOML for `bosun learn`: the table names of a pyproject.toml, Cargo.toml or Pipfile
 * and the dependency names it declares. Line-based on purpose: learn only needs names, and a
 * full TOML parser would be a dependency for that alone.
 */

/** What a TOML manifest says, as far as the scanner cares. */
export interface TomlFacts {
  /** Every table header, e.g. `tool.pytest.ini_options`, `dependencies`, `project`. */
  tables: ReadonlySet<string>;
  /** Declared dependency names, lower-case, `_` read as `-` (PEP 503 style). */
  dependencies: ReadonlySet<string>;
}

/** Tables whose keys are dependency names (Cargo, Poetry, Pipfile). */
const KEYED_TABLE =
  /(^|\.)(dependencies|dev-dependencies|build-dependencies|packages|dev-packages)$/;
/** `[dependencies.tokio]`: a table per dependency (Cargo). */
const PER_DEPENDENCY_TABLE =
  /(?:^|\.)(?:dependencies|dev-dependencies|build-dependencies)\.([^.]+)$/;
const TABLE_HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/;
const KEY_VALUE = /^\s*("[^"]+"|'[^']+'|[A-Za-z0-9_.-]+)\s*=\s*(.*)$/;
const QUOTED = /"([^"\\]*(?:\\.[^"\\]*)*)"|'([^']*)'/g;

/** Reads table names and dependency names from TOML text (never throws on odd input). */
export function scanToml(text: string): TomlFacts {
  const tables = new Set<string>();
  const dependencies = new Set<string>();
  let table = "";
  // Inside a multi-line array of requirement strings (PEP 621 `dependencies = [`).
  let isInRequirementArray = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    if (isInRequirementArray) {
      addRequirements(line, dependencies);
      if (closesArray(line)) isInRequirementArray = false;
      continue;
    }
    const header = TABLE_HEADER.exec(line);
    if (header?.[1] !== undefined) {
      table = header[1].replace(/["']/g, "");
      tables.add(table);
      const perDependency = PER_DEPENDENCY_TABLE.exec(table)?.[1];
      if (perDependency !== undefined) dependencies.add(normalizeName(perDependency));
      continue;
    }
    const pair = KEY_VALUE.exec(line);
    if (pair?.[1] === undefined) continue;
    const key = pair[1].replace(/["']/g, "");
    const value = pair[2] ?? "";
    const isArray = value.trimStart().startsWith("[");
    const isKeyed = KEYED_TABLE.test(table);
    if (isKeyed && !isArray) {
      // Poetry lists the Python version among the dependencies.
      if (key !== "python") dependencies.add(normalizeName(key));
    } else if (isArray && (isKeyed || isRequirementArray(table, key))) {
      // An array under a keyed table is a group of requirement strings (pdm's dev-dependencies).
      addRequirements(value, dependencies);
      isInRequirementArray = !closesArray(value);
    }
  }
  return { tables, dependencies };
}

/** The package name at the start of a requirement such as `fastapi[all]>=0.110; python_version>"3.9"`. */
export function getRequirementName(requirement: string): string | undefined {
  const name = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement)?.[1];
  return name === undefined ? undefined : normalizeName(name);
}

/** `Django_REST` → `django-rest`: how Python package names compare. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[_.]+/g, "-");
}

/** PEP 621 `[project] dependencies`, `[project.optional-dependencies]` and PEP 735 groups. */
function isRequirementArray(table: string, key: string): boolean {
  return (
    (table === "project" && key === "dependencies") ||
    table === "project.optional-dependencies" ||
    table === "dependency-groups"
  );
}

function addRequirements(text: string, into: Set<string>): void {
  for (const match of text.matchAll(QUOTED)) {
    const name = getRequirementName(match[1] ?? match[2] ?? "");
    if (name !== undefined) into.add(name);
  }
}

/** True when the array's closing `]` is on this line (outside any string). */
function closesArray(text: string): boolean {
  return text.replace(QUOTED, "").includes("]");
}
