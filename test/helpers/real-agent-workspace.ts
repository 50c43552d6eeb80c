/**
 * A temp repository for e2e tests of bosun with the real Claude Code and Codex CLIs: both mock
 * model servers started with their scripted conversations, one HOME for both CLIs' state, the
 * env the built CLI runs with, and a first commit of the files a test needs (bosun.yaml …).
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runProcess } from "../../src/proc/run-process.js";
import { startAnthropicMock } from "../mocks/anthropic-mock.js";
import type { MockConversation, MockServer } from "../mocks/mock-script.js";
import { startResponsesMock } from "../mocks/openai-responses-mock.js";
import { createClaudeEnv, createCodexEnv, createTempDir, createTempGitRepo } from "./agent-env.js";

/** The mock Codex model, one whose name the CLI knows. */
export const CODEX_MODEL = "gpt-5.5";

/** A repo, the mocks and the env every command of the test runs with. */
export interface RealAgentWorkspace {
  repo: string;
  env: Record<string, string>;
  anthropic: MockServer;
  responses: MockServer;
  /** Stops the mocks and removes every temp directory. */
  cleanup(): Promise<void>;
}

/** Sets it up; `files` are written and committed with `message`. */
export async function createRealAgentWorkspace(options: {
  claude: (repo: string) => MockConversation[];
  codex: (repo: string) => MockConversation[];
  files: Readonly<Record<string, string>>;
  message: string;
}): Promise<RealAgentWorkspace> {
  const repo = await createTempGitRepo();
  const home = await createTempDir("bosun-home-");
  const bosunHome = await createTempDir("bosun-global-");
  const anthropic = await startAnthropicMock({ conversations: options.claude(repo) });
  const responses = await startResponsesMock({ conversations: options.codex(repo) });
  const cleanup = async (): Promise<void> => {
    await Promise.all([anthropic.close(), responses.close()]);
    await Promise.all(
      [repo, home, bosunHome].map((dir) => rm(dir, { recursive: true, force: true })),
    );
  };
  // One HOME holds Claude's state and ~/.codex/config.toml; both envs share PATH.
  const env = {
    ...createClaudeEnv({ mockUrl: anthropic.url, home }),
    ...(await createCodexEnv({ mockUrl: responses.url, home })),
    BOSUN_HOME: bosunHome,
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    NO_COLOR: "1",
  };
  for (const [name, text] of Object.entries(options.files)) await writeFile(join(repo, name), text);
  await runGitChecked(repo, env, ["add", ...Object.keys(options.files)]);
  await runGitChecked(repo, env, ["commit", "-q", "-m", options.message]);
  return { repo, env, anthropic, responses, cleanup };
}

/** Runs git with the workspace's env; throws with its stderr when it fails. */
export async function runGitChecked(
  cwd: string,
  env: Record<string, string>,
  args: string[],
): Promise<string> {
  const result = await runProcess({
    command: "git",
    args,
    cwd,
    env,
    isEnvIsolated: true,
    timeoutMs: 10_000,
  });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderrTail}`);
  return result.stdout;
}
