/**
 * Hermetic environments for running the real Claude Code, Codex and pi CLIs against the loopback mock
 * model servers: isolated HOME and config, loopback-only traffic, no retries, and temp git repos.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess, startProcess } from "../../src/proc/run-process.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN_DIR = join(REPO_ROOT, "node_modules", ".bin");

/** The Claude Code CLI installed as a devDependency. */
export const CLAUDE_BIN = join(BIN_DIR, "claude");
/** The Codex CLI (Node wrapper) installed as a devDependency. */
export const CODEX_BIN = join(BIN_DIR, "codex");
/** The pi coding agent CLI installed as a devDependency. */
export const PI_BIN = join(BIN_DIR, "pi");
/** The pi model (`provider/id`) that `createPiEnv` declares. */
export const PI_MODEL = "mock/pi-mock";

/** Claude flags for a non-interactive run with JSONL output and no permission prompts. */
export const CLAUDE_ARGS = [
  "-p",
  "--output-format",
  "stream-json",
  "--verbose",
  "--dangerously-skip-permissions",
] as const;
/** Codex flags for a non-interactive run with JSONL output and no sandbox; append the prompt. */
export const CODEX_ARGS = [
  "exec",
  "--json",
  "--dangerously-bypass-approvals-and-sandbox",
  "--skip-git-repo-check",
] as const;

/** A PATH with the repo's CLIs, this Node, and the system tools (git, bash). */
function createPath(): string {
  return [BIN_DIR, dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":");
}

/** Env for `claude` against a mock at `mockUrl` (no `/v1`), with all state under `home`. */
export function createClaudeEnv(opts: { mockUrl: string; home: string }): Record<string, string> {
  return {
    HOME: opts.home,
    PATH: createPath(),
    ANTHROPIC_BASE_URL: opts.mockUrl,
    ANTHROPIC_API_KEY: "sk-test",
    // --dangerously-skip-permissions refuses to run as root without it.
    IS_SANDBOX: "1",
    // The one switch that keeps every connection on 127.0.0.1 (no bootstrap, metrics, title call).
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    // A scripted 500 must fail at once, not after backoff.
    CLAUDE_CODE_MAX_RETRIES: "0",
  };
}

/** Writes `$home/.codex/config.toml` for a mock at `mockUrl` (no `/v1`) and returns the env. */
export async function createCodexEnv(opts: {
  mockUrl: string;
  home: string;
}): Promise<Record<string, string>> {
  const codexHome = join(opts.home, ".codex");
  await mkdir(codexHome, { recursive: true });
  // gpt-5.5 is a slug Codex knows, so it offers apply_patch; analytics and plugins off keep it offline.
  const config = [
    'model = "gpt-5.5"',
    'model_provider = "mock"',
    "",
    "[model_providers.mock]",
    'name = "mock"',
    `base_url = ${JSON.stringify(`${opts.mockUrl}/v1`)}`,
    'env_key = "OPENAI_API_KEY"',
    'wire_api = "responses"',
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "",
    "[analytics]",
    "enabled = false",
    "",
    "[features]",
    "plugins = false",
    "",
  ].join("\n");
  await writeFile(join(codexHome, "config.toml"), config);
  return { HOME: opts.home, PATH: createPath(), OPENAI_API_KEY: "sk-test" };
}

/**
 * Writes pi's `models.json` (provider `mock`, Anthropic Messages API at `mockUrl`, no `/v1`) and
 * `settings.json` under `$home/.pi/agent`, and returns the env. The model has prices, so pi
 * reports a cost; agent-level retries are off so a scripted failure fails at once.
 */
export async function createPiEnv(opts: {
  mockUrl: string;
  home: string;
}): Promise<Record<string, string>> {
  const agentDir = join(opts.home, ".pi", "agent");
  await mkdir(agentDir, { recursive: true });
  const models = {
    providers: {
      mock: {
        baseUrl: opts.mockUrl,
        api: "anthropic-messages",
        apiKey: "sk-test",
        models: [
          {
            id: PI_MODEL.slice("mock/".length),
            cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
          },
        ],
      },
    },
  };
  await writeFile(join(agentDir, "models.json"), `${JSON.stringify(models, null, 2)}\n`);
  const settings = { retry: { enabled: false }, enableInstallTelemetry: false };
  await writeFile(join(agentDir, "settings.json"), `${JSON.stringify(settings, null, 2)}\n`);
  return {
    HOME: opts.home,
    PATH: createPath(),
    PI_CODING_AGENT_DIR: agentDir,
    // No update check, package check or telemetry: every connection stays on 127.0.0.1.
    PI_OFFLINE: "1",
    PI_SKIP_VERSION_CHECK: "1",
    PI_TELEMETRY: "0",
  };
}

/** A fresh empty temp directory. */
export function createTempDir(prefix = "bosun-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A temp git repo on branch `main` with one commit (README.md) and a local identity. */
export async function createTempGitRepo(): Promise<string> {
  const dir = await createTempDir("bosun-repo-");
  await writeFile(join(dir, "README.md"), "# test repo\n");
  await runGit(dir, ["init", "-q", "-b", "main"]);
  await runGit(dir, ["config", "user.name", "Bosun Test"]);
  await runGit(dir, ["config", "user.email", "bosun-test@example.com"]);
  await runGit(dir, ["add", "README.md"]);
  await runGit(dir, ["commit", "-q", "-m", "initial commit"]);
  return dir;
}

async function runGit(cwd: string, args: string[]): Promise<void> {
  const result = await runProcess({
    command: "git",
    args,
    cwd,
    // The machine's global git config (signing, hooks) must not leak into tests.
    env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
    timeoutMs: 10_000,
  });
  if (result.exitCode !== 0) {
    throw new Error(`git ${args.join(" ")} failed in ${cwd}: ${result.stderrTail}`);
  }
}

/** The outcome of one CLI run. */
export interface AgentRun {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** Raw stdout lines (JSONL). */
  lines: string[];
  /** Parsed stdout lines; lines that are not JSON are left out (they stay in `lines`). */
  events: Array<Record<string, unknown>>;
  /** Tail of stderr. */
  stderrTail: string;
  /** Wall time of the run. */
  durationMs: number;
}

/** Options shared by `runClaude` and `runCodex`. */
export interface AgentRunOptions {
  /** The task prompt, passed as the last argument. */
  prompt: string;
  /** Working directory of the agent. */
  cwd: string;
  /** The env from `createClaudeEnv`/`createCodexEnv`; nothing else is inherited. */
  env: Record<string, string>;
  /** Extra flags before the prompt. */
  extraArgs?: readonly string[];
  /** Kill the run after this long. */
  timeoutMs?: number;
}

/** Runs `claude -p … <prompt>` with stdin /dev/null and collects its stream-json output. */
export function runClaude(options: AgentRunOptions): Promise<AgentRun> {
  return runAgent(
    CLAUDE_BIN,
    [...CLAUDE_ARGS, ...(options.extraArgs ?? []), options.prompt],
    options,
  );
}

/** Runs `pi -p --mode json --model mock/pi-mock … <prompt>` with stdin /dev/null (JSONL output). */
export function runPi(options: AgentRunOptions): Promise<AgentRun> {
  const args = ["-p", "--mode", "json", "--model", PI_MODEL, ...(options.extraArgs ?? [])];
  return runAgent(PI_BIN, [...args, options.prompt], options);
}

/** Runs `codex exec --json … <prompt>` with stdin /dev/null and collects its JSONL output. */
export function runCodex(options: AgentRunOptions): Promise<AgentRun> {
  return runAgent(
    CODEX_BIN,
    [...CODEX_ARGS, ...(options.extraArgs ?? []), options.prompt],
    options,
  );
}

async function runAgent(
  command: string,
  args: string[],
  options: AgentRunOptions,
): Promise<AgentRun> {
  const handle = startProcess({
    command,
    args,
    cwd: options.cwd,
    env: options.env,
    isEnvIsolated: true,
    timeoutMs: options.timeoutMs ?? 30_000,
    graceMs: 1_000,
  });
  const lines: string[] = [];
  for await (const line of handle.lines()) lines.push(line);
  const result = await handle.result;
  return {
    exitCode: result.exitCode,
    lines,
    events: lines.flatMap(parseLine),
    stderrTail: result.stderrTail,
    durationMs: result.durationMs,
  };
}

function parseLine(line: string): Array<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? // Checked above: a JSON object; its fields are read as unknown.
        [value as Record<string, unknown>]
      : [];
  } catch {
    // Non-JSON noise on stdout stays visible in `lines`.
    return [];
  }
}
