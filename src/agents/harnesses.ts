/**
 * The built-in harnesses, and how config overrides and custom templates turn a harness name
 * into a runnable spec. Facts about each CLI's flags come from running them (see
 * shared/real-clients.md); the ones not tested against the real CLI are marked best-effort.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { findPackageRoot } from "../store/paths.js";
import { parseArgsStringToArgv } from "string-argv";
import { UsageError } from "../errors.js";
import { readCodexDefaultModel } from "./codex/config.js";
import type { HarnessSpec, ParserName } from "./harness.js";

/** Per-harness overrides from config (structurally the config's `agents.<name>`). */
export interface HarnessOverride {
  /** Binary override. */
  command?: string | undefined;
  /** Custom command template. */
  template?: string | undefined;
  /** Parser for a custom template. */
  parser?: ParserName | undefined;
  /** Extra args. */
  args?: string[] | undefined;
  /** Model. */
  model?: string | undefined;
  /** Thinking level. */
  thinking?: string | undefined;
  /** Env overrides. */
  env?: Record<string, string> | undefined;
  /** Offline agent script. */
  script?: string | undefined;
}

/** A harness with its overrides applied: everything dispatch needs. */
export interface ResolvedHarness {
  /** The spec (command/args possibly replaced by overrides). */
  spec: HarnessSpec;
  /** Model, "" for the CLI's default. */
  model: string;
  /** Thinking level, "" for the CLI's default. */
  thinking: string;
  /** Extra args appended after the headless args. */
  extraArgs: readonly string[];
  /** Env overrides for this agent. */
  env: Readonly<Record<string, string>>;
  /** Offline agent script path, "" if none. */
  script: string;
}

const NO_ARGS: readonly string[] = [];

const CLAUDE: HarnessSpec = {
  name: "claude",
  command: "claude",
  headlessArgs: [
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    "--dangerously-skip-permissions",
  ],
  resumeArgs: [
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    "--dangerously-skip-permissions",
    "--resume",
    "{{session_id}}",
  ],
  modelArgs: ["--model", "{{model}}"],
  thinkingArgs: ["--effort", "{{thinking}}"],
  // Print mode only; the run ends with subtype error_max_budget_usd once the cap is reached.
  budgetArgs: ["--max-budget-usd", "{{max_budget_usd}}"],
  interactiveArgs: ["--dangerously-skip-permissions"],
  parser: "claude",
  isFinalRequired: true,
  authEnv: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"],
  authFiles: ["~/.claude/.credentials.json"],
  installPaths: ["~/.claude/local/claude", "~/.local/bin/claude", "/usr/local/bin/claude"],
  versionArgs: ["--version"],
  npmPackage: "@anthropic-ai/claude-code",
};

const CODEX_FLAGS = [
  "--json",
  "--dangerously-bypass-approvals-and-sandbox",
  "--skip-git-repo-check",
];

const CODEX: HarnessSpec = {
  name: "codex",
  command: "codex",
  // "-" reads the prompt from stdin, which bosun points at the prompt file.
  headlessArgs: ["exec", ...CODEX_FLAGS, "-"],
  resumeArgs: ["exec", "resume", ...CODEX_FLAGS, "{{session_id}}", "-"],
  modelArgs: ["-m", "{{model}}"],
  thinkingArgs: ["-c", "model_reasoning_effort={{thinking}}"],
  interactiveArgs: ["--dangerously-bypass-approvals-and-sandbox"],
  parser: "codex",
  isFinalRequired: false,
  authEnv: ["OPENAI_API_KEY", "CODEX_API_KEY"],
  authFiles: ["~/.codex/auth.json"],
  installPaths: ["~/.local/bin/codex", "/usr/local/bin/codex"],
  versionArgs: ["--version"],
  npmPackage: "@openai/codex",
  readDefaultModel: readCodexDefaultModel,
};

const GEMINI: HarnessSpec = {
  name: "gemini",
  command: "gemini",
  // Best-effort: with stdin not a TTY, gemini reads the prompt from it.
  headlessArgs: ["-o", "stream-json", "--yolo"],
  resumeArgs: ["-o", "stream-json", "--yolo", "--resume", "{{session_id}}"],
  modelArgs: ["-m", "{{model}}"],
  thinkingArgs: NO_ARGS,
  interactiveArgs: ["--yolo"],
  parser: "gemini",
  isFinalRequired: false,
  authEnv: ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"],
  authFiles: ["~/.gemini/oauth_creds.json"],
  installPaths: ["~/.local/bin/gemini", "/usr/local/bin/gemini"],
  versionArgs: ["--version"],
  npmPackage: "@google/gemini-cli",
};

const OPENCODE: HarnessSpec = {
  name: "opencode",
  command: "opencode",
  headlessArgs: ["run", "--format", "json"],
  resumeArgs: ["run", "--format", "json", "-s", "{{session_id}}"],
  modelArgs: ["-m", "{{model}}"],
  thinkingArgs: NO_ARGS,
  interactiveArgs: NO_ARGS,
  parser: "opencode",
  isFinalRequired: false,
  authEnv: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"],
  authFiles: ["~/.local/share/opencode/auth.json"],
  installPaths: ["~/.opencode/bin/opencode", "~/.local/bin/opencode", "/usr/local/bin/opencode"],
  versionArgs: ["--version"],
  npmPackage: "opencode-ai",
};

const PI: HarnessSpec = {
  name: "pi",
  command: "pi",
  headlessArgs: ["-p", "--mode", "json", "@{{prompt_file}}"],
  resumeArgs: ["-p", "--mode", "json", "--session", "{{session_id}}", "@{{prompt_file}}"],
  modelArgs: ["--model", "{{model}}"],
  thinkingArgs: ["--thinking", "{{thinking}}"],
  interactiveArgs: NO_ARGS,
  parser: "pi",
  isFinalRequired: false,
  authEnv: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"],
  authFiles: ["~/.pi/agent/auth.json"],
  installPaths: ["~/.local/bin/pi", "/usr/local/bin/pi"],
  versionArgs: ["--version"],
  npmPackage: "@mariozechner/pi-coding-agent",
};

const AMP: HarnessSpec = {
  name: "amp",
  command: "amp",
  headlessArgs: ["-x", "--dangerously-allow-all"],
  modelArgs: NO_ARGS,
  thinkingArgs: NO_ARGS,
  interactiveArgs: ["--dangerously-allow-all"],
  parser: "plain",
  isFinalRequired: false,
  authEnv: ["AMP_API_KEY"],
  authFiles: ["~/.config/amp/settings.json"],
  installPaths: ["~/.amp/bin/amp", "~/.local/bin/amp", "/usr/local/bin/amp"],
  versionArgs: ["--version"],
  npmPackage: "@sourcegraph/amp",
};

const CURSOR_AGENT: HarnessSpec = {
  name: "cursor-agent",
  command: "cursor-agent",
  headlessArgs: ["-p", "--output-format", "text", "--force"],
  modelArgs: ["--model", "{{model}}"],
  thinkingArgs: NO_ARGS,
  interactiveArgs: ["--force"],
  parser: "plain",
  isFinalRequired: false,
  authEnv: ["CURSOR_API_KEY"],
  authFiles: ["~/.cursor/cli-config.json"],
  installPaths: ["~/.local/bin/cursor-agent", "/usr/local/bin/cursor-agent"],
  versionArgs: ["--version"],
};

/** The offline agent: bosun's own model-free agent that plays a script (demo and tests). */
const OFFLINE: HarnessSpec = {
  name: "offline",
  command: process.execPath,
  prefixArgs: getOfflineAgentEntry(),
  headlessArgs: ["--script", "{{script}}"],
  modelArgs: NO_ARGS,
  thinkingArgs: NO_ARGS,
  interactiveArgs: NO_ARGS,
  parser: "offline",
  isFinalRequired: true,
  authEnv: [],
  authFiles: [],
  installPaths: [],
  versionArgs: ["--version"],
};

/** Built-in harnesses by name (`custom` is built from config, see resolveHarness). */
export const BUILTIN_HARNESSES: Readonly<Record<string, HarnessSpec>> = {
  claude: CLAUDE,
  codex: CODEX,
  gemini: GEMINI,
  opencode: OPENCODE,
  pi: PI,
  amp: AMP,
  "cursor-agent": CURSOR_AGENT,
  offline: OFFLINE,
};

/** Every harness name bosun knows without config. */
export const HARNESS_NAMES = [...Object.keys(BUILTIN_HARNESSES), "custom", "manual"] as const;

/**
 * Resolves a harness name against built-ins and config. A name with a `template` in config is a
 * custom harness (so `agents.mytool.template` defines harness "mytool").
 */
export function resolveHarness(
  name: string,
  overrides: Readonly<Record<string, HarnessOverride>>,
): ResolvedHarness {
  // Own keys only: "constructor" or "toString" must not find Object.prototype's members.
  const override = Object.hasOwn(overrides, name) ? (overrides[name] ?? {}) : {};
  const builtin = Object.hasOwn(BUILTIN_HARNESSES, name) ? BUILTIN_HARNESSES[name] : undefined;
  let spec: HarnessSpec;
  if (override.template !== undefined) {
    spec = createTemplateSpec(name, override.template, override.parser ?? "plain");
  } else if (builtin !== undefined) {
    spec =
      override.command === undefined
        ? builtin
        : { ...builtin, command: override.command, prefixArgs: [] };
  } else if (name === "custom") {
    throw new UsageError(
      'Harness "custom" needs a command template: set agents.custom.template in bosun.yaml, e.g. "mytool --file {{prompt_file}}".',
    );
  } else {
    const known = [...HARNESS_NAMES, ...Object.keys(overrides)].filter(
      (n, i, all) => all.indexOf(n) === i,
    );
    throw new UsageError(`Unknown harness "${name}". Known: ${known.join(", ")}.`);
  }
  return {
    spec,
    model: override.model ?? "",
    thinking: override.thinking ?? "",
    extraArgs: override.args ?? [],
    env: override.env ?? {},
    script: override.script ?? "",
  };
}

/** Builds a spec from a command template such as `mytool run --file {{prompt_file}}`. */
export function createTemplateSpec(
  name: string,
  template: string,
  parser: ParserName,
): HarnessSpec {
  const [command, ...args] = parseArgsStringToArgv(template);
  if (command === undefined) throw new UsageError(`agents.${name}.template is empty.`);
  return {
    name,
    command,
    headlessArgs: args,
    modelArgs: NO_ARGS,
    thinkingArgs: NO_ARGS,
    interactiveArgs: NO_ARGS,
    parser,
    isFinalRequired: false,
    authEnv: [],
    authFiles: [],
    installPaths: [],
    versionArgs: ["--version"],
  };
}

/** Values substituted into argument templates. */
export interface TemplateValues {
  /** Path of the prompt file. */
  promptFile: string;
  /** Model, "" if none. */
  model: string;
  /** Thinking level, "" if none. */
  thinking: string;
  /** Session id for resume, "" if none. */
  sessionId: string;
  /** Offline script path, "" if none. */
  script: string;
  /** USD cap of this call, "" if none. */
  maxBudgetUsd: string;
}

/**
 * True when a call of the harness can be held to a USD cap: its CLI caps its own spend
 * (`budgetArgs`, Claude Code's `--max-budget-usd`), or its template or args pass
 * `{{max_budget_usd}}` on. `buildHeadlessArgv` passes the cap to exactly these.
 */
export function canCapSpend(harness: ResolvedHarness): boolean {
  const { spec } = harness;
  if (spec.budgetArgs !== undefined) return true;
  return [...spec.headlessArgs, ...harness.extraArgs].some((arg) =>
    arg.includes("{{max_budget_usd}}"),
  );
}

/**
 * Builds the argv for a headless run and says whether the prompt goes on stdin (it does unless
 * the args reference `{{prompt_file}}`). Template-only harnesses (custom) get `{{model}}`,
 * `{{thinking}}` and `{{max_budget_usd}}` substituted in place; an arg whose placeholder is empty
 * is dropped, and so is a bare flag right before it (`-m {{model}}`). A USD cap reaches only CLIs
 * whose spec has `budgetArgs` (or whose template names it); the others run without one.
 */
export function buildHeadlessArgv(
  harness: ResolvedHarness,
  values: TemplateValues,
): { command: string; args: string[]; isPromptOnStdin: boolean } {
  const { spec } = harness;
  const useResume = values.sessionId !== "" && spec.resumeArgs !== undefined;
  const base = useResume && spec.resumeArgs !== undefined ? spec.resumeArgs : spec.headlessArgs;
  const templated = [
    ...base,
    ...(values.model === "" ? [] : spec.modelArgs),
    ...(values.thinking === "" ? [] : spec.thinkingArgs),
    ...(values.maxBudgetUsd === "" ? [] : (spec.budgetArgs ?? [])),
    ...harness.extraArgs,
  ];
  const isPromptOnStdin = !templated.some((arg) => arg.includes("{{prompt_file}}"));
  const args: string[] = [];
  let isLastLiteral = false;
  for (const arg of templated) {
    const filled = fillTemplate(arg, values);
    if (filled === null) {
      // "--model {{model}}" without a model: drop the flag too, or it would swallow the next arg.
      if (isLastLiteral && BARE_FLAG.test(args.at(-1) ?? "")) args.pop();
      isLastLiteral = false;
      continue;
    }
    args.push(filled);
    isLastLiteral = filled === arg;
  }
  return { command: spec.command, args: [...(spec.prefixArgs ?? []), ...args], isPromptOnStdin };
}

/** A flag that takes its value as the next arg (`-m`, `--model`), as opposed to `--model=x`. */
const BARE_FLAG = /^--?[A-Za-z0-9][\w-]*$/;

const PLACEHOLDER = /\{\{(prompt_file|model|thinking|session_id|script|max_budget_usd)\}\}/g;

function fillTemplate(arg: string, values: TemplateValues): string | null {
  let isEmpty = false;
  const filled = arg.replace(PLACEHOLDER, (_match, key: string) => {
    const value = getTemplateValue(values, key);
    if (value === "") isEmpty = true;
    return value;
  });
  return isEmpty ? null : filled;
}

function getTemplateValue(values: TemplateValues, key: string): string {
  switch (key) {
    case "prompt_file":
      return values.promptFile;
    case "model":
      return values.model;
    case "thinking":
      return values.thinking;
    case "session_id":
      return values.sessionId;
    case "max_budget_usd":
      return values.maxBudgetUsd;
    default:
      return values.script;
  }
}

/**
 * Where the offline agent's entry script is: `dist/offline-agent.js` when bosun runs built
 * (bundled, so this module may sit in any chunk), else the .ts source, loaded through tsx.
 */
function getOfflineAgentEntry(): string[] {
  const root = findPackageRoot(import.meta.url);
  const built = path.join(root, "dist", "offline-agent.js");
  if (existsSync(built) && !import.meta.url.endsWith(".ts")) return [built];
  const source = path.join(root, "src", "agents", "offline", "offline-agent.ts");
  // Resolved here, not by the child: the child's cwd is the user's repo, where tsx is not installed.
  return ["--import", import.meta.resolve("tsx"), source];
}
