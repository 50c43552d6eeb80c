/**
 * Loads and resolves config: built-in defaults, then the global file, then the workspace's
 * bosun.yaml. Keeps, for every leaf, the layer it came from (for `bosun config`).
 */
import { LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../errors.js";
import { formatIssues, readTextOrNull } from "./json-file.js";
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
  for (const file of [getGlobalConfigFile(env), createBosunPaths(root).workspaceConfigFile]) {
    const data = await readConfigFile(file);
    if (data !== null) layers.push({ source: file, data });
  }
  return resolveConfig(layers);
}

/** Reads and validates one config file; null when it does not exist. */
export async function readConfigFile(file: string): Promise<WrittenConfig | null> {
  const text = await readTextOrNull(file);
  return text === null ? null : parseConfigText(text, file);
}

/** Parses YAML config text; throws ConfigError naming the file, the key path and what was expected. */
export function parseConfigText(text: string, file: string): WrittenConfig {
  // With prettyErrors off, yaml leaves linePos unset; a LineCounter maps the offset to a line.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    throw new ConfigError(
      `Invalid ${file}:${line}: ${yamlError.message.split("\n")[0]}. Fix the YAML syntax.`,
    );
  }
  const data: unknown = doc.toJS() ?? {};
  const result = WrittenConfigSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(
      `Invalid ${file}: ${formatIssues(result.error.issues)}. Fix the file, or run "bosun validate" after editing.`,
    );
  }
  return result.data;
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
