/**
 * Loads and resolves config: built-in defaults, then the global file, then the workspace's
 * bosun.yaml. Keeps, for every leaf, the layer it came from (for `bosun config`).
 */
import { readFile } from "node:fs/promises";
import { LineCounter, isAlias, parseDocument, visit, type Document } from "yaml";
import { getErrorMessage, isNodeError, type ConfigIssue } from "../errors.js";
import { createConfigError, getSchemaIssues } from "./config-issues.js";
import { describeFsError } from "./fs-errors.js";
import { createBosunPaths, getGlobalConfigFile } from "./paths.js";
import {
  DEFAULT_CONFIG,
  WrittenConfigSchema,
  type Config,
  type WrittenConfig,
} from "./schema/config.js";

/** A resolved config plus where each value came from. */
export interface ResolvedConfig {
  /** The merged config. */
  config: Config;
  /** Dot path of each leaf → "default" or the file that set it. */
  sources: Record<string, string>;
  /** Files that were read, in merge order. */
  files: string[];
}

/** Reads both config files (missing files are fine) and merges them over the defaults. */
export async function loadConfig(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig> {
  const layers: Array<{ source: string; data: WrittenConfig }> = [];
  const issues: ConfigIssue[] = [];
  // Both files are checked before giving up, so one run of "bosun validate" shows every problem.
  for (const file of getConfigFiles(root, env)) {
    const read = await readConfigLayer(file);
    if (read === null) continue;
    if ("issues" in read) issues.push(...read.issues);
    else layers.push({ source: file, data: read.data });
  }
  if (issues.length > 0) throw createConfigError(issues, getNextStep(issues));
  return resolveConfig(layers);
}

/** The config files bosun reads, in merge order: the global one, then the workspace's. */
export function getConfigFiles(root: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return [getGlobalConfigFile(env), createBosunPaths(root).workspaceConfigFile];
}

/** Reads and validates one config file; null when it does not exist. */
export async function readConfigFile(file: string): Promise<WrittenConfig | null> {
  const read = await readConfigLayer(file);
  if (read === null) return null;
  if ("issues" in read) throw createConfigError(read.issues, getNextStep(read.issues));
  return read.data;
}

/** Parses YAML config text; throws ConfigError naming the file, the key path and what was expected. */
export function parseConfigText(text: string, file: string): WrittenConfig {
  const parsed = parseConfigLayer(text, file);
  if ("issues" in parsed) throw createConfigError(parsed.issues, getNextStep(parsed.issues));
  return parsed.data;
}

type ConfigLayer = { data: WrittenConfig } | { issues: ConfigIssue[] };

async function readConfigLayer(file: string): Promise<ConfigLayer | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return null;
    const hint =
      isNodeError(error) && error.code === "ENOTDIR"
        ? " (is BOSUN_HOME or XDG_CONFIG_HOME a file?)"
        : "";
    return {
      issues: [
        {
          file,
          key: "",
          message: `cannot be read: ${describeFsError(error, file)}${hint}; it must be a YAML file`,
        },
      ],
    };
  }
  return parseConfigLayer(text, file);
}

function parseConfigLayer(text: string, file: string): ConfigLayer {
  // With prettyErrors off, yaml leaves linePos unset; a LineCounter maps the offset to a line.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const { line } = lineCounter.linePos(yamlError.pos[0]);
    return {
      issues: [{ file, line, key: "", message: yamlError.message.split("\n")[0] ?? "bad YAML" }],
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    // yaml throws (rather than reports) an alias to no anchor and an alias bomb.
    return { issues: [getAliasIssue(doc, lineCounter, file, error)] };
  }
  const result = WrittenConfigSchema.safeParse(data);
  if (!result.success)
    return { issues: getSchemaIssues(result.error.issues, doc, lineCounter, file) };
  return { data: result.data };
}

/** Aliases one config may expand; far above any real use, far below an "alias bomb". */
const MAX_ALIAS_COUNT = 100;

function getAliasIssue(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  error: unknown,
): ConfigIssue {
  let offset: number | undefined;
  const anchors = new Set<string>();
  // An alias must follow its anchor; the first one that does not is the one at fault.
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (!anchors.has(node.source) && offset === undefined) offset = node.range?.[0];
      } else if (node.anchor !== undefined) anchors.add(node.anchor);
    },
  });
  const message = getErrorMessage(error).split("\n")[0] ?? "";
  const why = message.startsWith("Excessive alias count")
    ? `too many aliases (more than ${MAX_ALIAS_COUNT} expansions; an "alias bomb"?)`
    : message.startsWith("Unresolved alias")
      ? "an alias (*name) refers to no anchor (&name) before it"
      : message;
  return {
    file,
    ...(offset === undefined ? {} : { line: lineCounter.linePos(offset).line }),
    key: "",
    message: why,
  };
}

/** What to do next, for the kind of problem. */
function getNextStep(issues: readonly ConfigIssue[]): string {
  if (issues.some((issue) => issue.message.startsWith("cannot be read")))
    return "Make it a readable YAML file, or remove it.";
  if (issues.every((issue) => issue.key === "")) return "Fix the YAML syntax.";
  return "Fix the file.";
}

/** Merges written layers over the defaults (pure; exported for tests). */
export function resolveConfig(
  layers: ReadonlyArray<{ source: string; data: WrittenConfig }>,
): ResolvedConfig {
  const merged: Record<string, unknown> = structuredClone(toRecord(DEFAULT_CONFIG));
  const sources: Record<string, string> = {};
  for (const [path] of listLeaves(merged)) sources[path] = "default";
  for (const layer of layers) {
    const { version: _version, ...rest } = layer.data;
    mergeInto(merged, toRecord(rest), "", layer.source, sources);
  }
  return {
    // The merge only combines values that each passed the schema, over defaults of type Config.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion
    config: merged as unknown as Config,
    sources,
    files: layers.map((layer) => layer.source),
  };
}

function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  prefix: string,
  origin: string,
  sources: Record<string, string>,
): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, path, origin, sources);
    } else {
      target[key] = structuredClone(value);
      for (const leaf of isPlainObject(value)
        ? listLeaves(value, path)
        : [[path, value] as const]) {
        sources[leaf[0]] = origin;
      }
    }
  }
}

/** Lists `[dotPath, value]` for every leaf (arrays count as leaves). */
export function listLeaves(value: Record<string, unknown>, prefix = ""): Array<[string, unknown]> {
  const leaves: Array<[string, unknown]> = [];
  for (const [key, child] of Object.entries(value)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (isPlainObject(child) && Object.keys(child).length > 0)
      leaves.push(...listLeaves(child, path));
    else leaves.push([path, child]);
  }
  return leaves;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toRecord(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value));
}
