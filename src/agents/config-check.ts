/**
 * Checks what only the agents layer can judge in a config: that every harness name it uses is
 * one bosun knows, and that the offline agent's script is playable. Problems name the config
 * file and key they come from (the loader's `sources`), never just the bad value.
 */
import path from "node:path";
import { ConfigError, UsageError, getErrorMessage, type ConfigIssue } from "../errors.js";
import type { ResolvedConfig } from "../store/config.js";
import { createConfigError } from "../store/config-issues.js";
import type { AgentOverride } from "../store/schema/config.js";
import { BUILTIN_HARNESSES, HARNESS_NAMES, resolveHarness } from "./harnesses.js";
import { readOfflineScript } from "./offline/script.js";

/** The config keys that name a harness. */
const HARNESS_KEYS = ["review.worker", "review.reviewer"] as const;

/** Harness names usable here: the built-ins, custom, manual, and agents with a template. */
export function getKnownHarnessNames(agents: Readonly<Record<string, AgentOverride>>): string[] {
  const templated = Object.keys(agents).filter((name) => isDefinedByTemplate(name, agents));
  return [...new Set([...HARNESS_NAMES, ...templated])];
}

function isDefinedByTemplate(
  name: string,
  agents: Readonly<Record<string, AgentOverride>>,
): boolean {
  return Object.hasOwn(agents, name) && agents[name]?.template !== undefined;
}

/** Why `name` cannot be used as a harness, or undefined when it can. */
export function getHarnessProblem(
  name: string,
  agents: Readonly<Record<string, AgentOverride>>,
): string | undefined {
  const known = `known: ${getKnownHarnessNames(agents).join(", ")}`;
  if (name.trim() === "") return `no harness named (${known})`;
  if (name === "manual") return undefined;
  if (name === "custom" && !isDefinedByTemplate("custom", agents)) {
    return 'harness "custom" needs a command template: set agents.custom.template, e.g. "mytool --file {{prompt_file}}"';
  }
  if (!Object.hasOwn(BUILTIN_HARNESSES, name) && !isDefinedByTemplate(name, agents)) {
    return `unknown harness ${JSON.stringify(name)} (${known})`;
  }
  try {
    resolveHarness(name, agents);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return getErrorMessage(error);
  }
  return undefined;
}

/** A harness name from a command-line flag such as `--worker`: a UsageError naming the flag. */
export function checkHarnessFlag(
  flag: string,
  name: string,
  agents: Readonly<Record<string, AgentOverride>>,
): void {
  const problem = getHarnessProblem(name, agents);
  if (problem !== undefined) throw new UsageError(`Invalid ${flag}: ${problem}.`);
}

/** Every harness problem of a resolved config, each naming the file and key it came from. */
export function listHarnessIssues(resolved: ResolvedConfig): ConfigIssue[] {
  const { config, sources } = resolved;
  const issues: ConfigIssue[] = [];
  for (const key of HARNESS_KEYS) {
    const name = key === "review.worker" ? config.review.worker : config.review.reviewer;
    const problem = getHarnessProblem(name, config.agents);
    if (problem !== undefined)
      issues.push({ file: sources[key] ?? "default", key, message: problem });
  }
  // "" picks an installed harness at run time (bosun pipeline): only a name given is checked.
  for (const key of ["pipeline.producer", "pipeline.verifier"] as const) {
    const name = key === "pipeline.producer" ? config.pipeline.producer : config.pipeline.verifier;
    const problem = name === "" ? undefined : getHarnessProblem(name, config.agents);
    if (problem !== undefined)
      issues.push({ file: sources[key] ?? "default", key, message: problem });
  }
  for (const [role, member] of Object.entries(config.team)) {
    if (member.harness === undefined) continue;
    const key = `team.${role}.harness`;
    const problem = getHarnessProblem(member.harness, config.agents);
    if (problem !== undefined)
      issues.push({ file: sources[key] ?? "default", key, message: problem });
  }
  for (const [name, override] of Object.entries(config.agents)) {
    const key = `agents.${name}`;
    const file = findSource(sources, key);
    // The manual harness is a human at a prompt file: nothing under agents.manual is used.
    if (name === "manual") continue;
    if (!Object.hasOwn(BUILTIN_HARNESSES, name) && override.template === undefined) {
      issues.push({
        file,
        key,
        message: `${JSON.stringify(name)} is not a built-in harness and has no template; set ${key}.template to define it (built-in: ${Object.keys(BUILTIN_HARNESSES).join(", ")})`,
      });
      continue;
    }
    const problem = getHarnessProblem(name, config.agents);
    if (problem !== undefined) issues.push({ file, key, message: problem });
  }
  return issues;
}

/** Throws a ConfigError naming file and key when the config uses a harness bosun does not know. */
export function assertHarnessNames(resolved: ResolvedConfig): void {
  const issues = listHarnessIssues(resolved);
  if (issues.length > 0) throw createConfigError(issues);
}

/**
 * The offline agent's script, checked before a run starts: unset, missing or invalid is a
 * ConfigError naming `agents.offline.script`, the config file, the script and the problem.
 * Relative paths are from the repository root (where the agent runs).
 */
export async function checkOfflineScript(
  resolved: ResolvedConfig,
  root: string,
  workspaceConfigFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const problem = await findOfflineScriptProblem(resolved, root, workspaceConfigFile, env);
  if (problem !== undefined) throw new ConfigError(problem.sentence, { issues: [problem.issue] });
}

/** The problem with the offline agent's script as a ConfigIssue, or undefined when playable. */
export async function getOfflineScriptIssue(
  resolved: ResolvedConfig,
  root: string,
  workspaceConfigFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConfigIssue | undefined> {
  return (await findOfflineScriptProblem(resolved, root, workspaceConfigFile, env))?.issue;
}

async function findOfflineScriptProblem(
  resolved: ResolvedConfig,
  root: string,
  workspaceConfigFile: string,
  env: NodeJS.ProcessEnv,
): Promise<{ issue: ConfigIssue; sentence: string } | undefined> {
  const key = "agents.offline.script";
  const configured = resolved.config.agents["offline"]?.script;
  const fromEnv = env["BOSUN_OFFLINE_SCRIPT"];
  const script = configured ?? (fromEnv === "" ? undefined : fromEnv);
  const format = 'format: "Offline agent scripts" in bosun\'s README';
  if (script === undefined) {
    return {
      issue: {
        file: workspaceConfigFile,
        key,
        message: "not set; the offline agent needs a script",
      },
      sentence: `The offline agent needs a script: set ${key} in ${workspaceConfigFile} to a JSON script file (${format}).`,
    };
  }
  const file = path.resolve(root, script);
  const read = await readOfflineScript(file);
  if (read.isValid) return undefined;
  const source =
    configured === undefined
      ? "the BOSUN_OFFLINE_SCRIPT environment variable"
      : (resolved.sources[key] ?? workspaceConfigFile);
  return {
    issue: {
      file: configured === undefined ? file : source,
      key,
      message: `script ${file}: ${read.error}`,
    },
    sentence: `Invalid offline agent script ${file} (${key}, set in ${source}): ${read.error}. Fix the script or point ${key} at another file (${format}).`,
  };
}

/** The file that set anything under `key` (a whole `agents.<name>` entry has leaves below it). */
function findSource(sources: Readonly<Record<string, string>>, key: string): string {
  const hit = Object.entries(sources).find(([leaf]) => leaf === key || leaf.startsWith(`${key}.`));
  return hit?.[1] ?? "default";
}
