/**
 * The scripted runs of the real Claude Code and Codex CLIs that mocks.test.ts checks and that
 * test/fixtures/streams/capture.ts records, so the fixtures are exactly what the tests verify; and
 * the pi runs of the adapter contract (not in SCENARIOS: no fixtures are recorded for them).
 */
import { rm } from "node:fs/promises";
import {
  createClaudeEnv,
  createCodexEnv,
  createPiEnv,
  createTempDir,
  createTempGitRepo,
  runClaude,
  runCodex,
  runPi,
  type AgentRun,
} from "../helpers/agent-env.js";
import { startAnthropicMock } from "./anthropic-mock.js";
import type { MockScript, RecordedRequest } from "./mock-script.js";
import { startResponsesMock } from "./openai-responses-mock.js";

/** Which CLI a scenario drives. */
export type ScenarioAgent = "claude" | "codex" | "pi";

/** A prompt and the script that answers it. */
export interface Scenario {
  /** Fixture name (`claude-edit` → claude-edit.jsonl). */
  name: string;
  /** The CLI to run. */
  agent: ScenarioAgent;
  /** Task prompt given to the CLI. */
  prompt: string;
  /** What the mock model answers. */
  script: MockScript;
  /** The exit code a correct run ends with. */
  expectedExitCode: number;
}

/** A finished scenario run; call `cleanup()` to delete its temp dirs. */
export interface ScenarioRun {
  /** The CLI's exit code and output. */
  run: AgentRun;
  /** Every request the mock received. */
  requests: RecordedRequest[];
  /** Prompts no conversation matched. */
  unmatched: string[];
  /** The temp git repo the agent worked in. */
  repo: string;
  /** The temp HOME the agent used. */
  home: string;
  /** The mock's base URL (its port shows up in some CLI messages). */
  mockUrl: string;
  /** Removes `repo` and `home`. */
  cleanup(): Promise<void>;
}

const EDIT_PROMPT = "Create hello.txt, change its greeting, then list the files.";
const FAIL_PROMPT = "Say hello.";
const API_ERROR_MESSAGE = "mock bad request";

/** Claude: Write (absolute path from the request's cwd), Edit, Bash, then a final answer. */
export const CLAUDE_EDIT: Scenario = {
  name: "claude-edit",
  expectedExitCode: 0,
  agent: "claude",
  prompt: EDIT_PROMPT,
  script: {
    conversations: [
      {
        name: "edit",
        match: (prompt) => prompt === EDIT_PROMPT,
        turns: [
          (ctx) => ({
            text: "I'll create the file.",
            toolCalls: [
              {
                name: "Write",
                input: { file_path: `${ctx.cwd}/hello.txt`, content: "hello world\n" },
              },
            ],
          }),
          {
            toolCalls: [
              {
                name: "Edit",
                input: {
                  file_path: "hello.txt",
                  old_string: "hello world",
                  new_string: "hello mock",
                },
              },
            ],
          },
          { toolCalls: [{ name: "Bash", input: { command: "ls", description: "List files" } }] },
          {
            text: "Created hello.txt and changed its greeting.",
            usage: { inputTokens: 120, outputTokens: 30 },
          },
        ],
      },
    ],
  },
};

/** Claude: the first model request fails with HTTP 400. */
export const CLAUDE_API_ERROR: Scenario = {
  name: "claude-api-error",
  expectedExitCode: 1,
  agent: "claude",
  prompt: FAIL_PROMPT,
  script: {
    conversations: [
      {
        name: "api-error",
        match: (prompt) => prompt === FAIL_PROMPT,
        turns: [{ httpStatus: 400, message: API_ERROR_MESSAGE }],
      },
    ],
  },
};

/** The freeform apply_patch input: update hello.txt and add patched.txt. */
export const CODEX_PATCH = [
  "*** Begin Patch",
  "*** Update File: hello.txt",
  "@@",
  "-hello world",
  "+hello mock",
  "*** Add File: patched.txt",
  "+patched by apply_patch",
  "*** End Patch",
  "",
].join("\n");

/** Codex: exec_command writes a file, apply_patch edits it and adds one, exec_command lists. */
export const CODEX_EDIT: Scenario = {
  name: "codex-edit",
  expectedExitCode: 0,
  agent: "codex",
  prompt: EDIT_PROMPT,
  script: {
    conversations: [
      {
        name: "edit",
        match: (prompt) => prompt === EDIT_PROMPT,
        turns: [
          (ctx) => ({
            toolCalls: [
              {
                name: "exec_command",
                input: { cmd: "printf 'hello world\\n' > hello.txt", workdir: ctx.cwd ?? "." },
              },
            ],
          }),
          { text: "Now I'll patch it.", toolCalls: [{ name: "apply_patch", input: CODEX_PATCH }] },
          { toolCalls: [{ name: "exec_command", input: { cmd: "ls" } }] },
          {
            text: "Created hello.txt and changed its greeting.",
            usage: { inputTokens: 120, outputTokens: 30 },
          },
        ],
      },
    ],
  },
};

/** Codex: the first model request fails with HTTP 400. */
export const CODEX_TURN_FAILED: Scenario = {
  name: "codex-turn-failed",
  expectedExitCode: 1,
  agent: "codex",
  prompt: FAIL_PROMPT,
  script: {
    conversations: [
      {
        name: "api-error",
        match: (prompt) => prompt === FAIL_PROMPT,
        turns: [{ httpStatus: 400, message: API_ERROR_MESSAGE }],
      },
    ],
  },
};

/** pi: write (relative path), edit, bash, then a final answer; over the Anthropic mock. */
export const PI_EDIT: Scenario = {
  name: "pi-edit",
  expectedExitCode: 0,
  agent: "pi",
  prompt: EDIT_PROMPT,
  script: {
    conversations: [
      {
        name: "edit",
        match: (prompt) => prompt === EDIT_PROMPT,
        turns: [
          {
            text: "I'll create the file.",
            toolCalls: [{ name: "write", input: { path: "hello.txt", content: "hello world\n" } }],
          },
          {
            toolCalls: [
              {
                name: "edit",
                input: {
                  path: "hello.txt",
                  edits: [{ oldText: "hello world", newText: "hello mock" }],
                },
              },
            ],
          },
          { toolCalls: [{ name: "bash", input: { command: "ls" } }] },
          {
            text: "Created hello.txt and changed its greeting.",
            usage: { inputTokens: 120, outputTokens: 30 },
          },
        ],
      },
    ],
  },
};

const DECIDE_PROMPT = "Decide the next move; reply with text only.";

/** pi: one text reply, no tool call (what the pulse's brain answers). */
export const PI_TEXT: Scenario = {
  name: "pi-text",
  expectedExitCode: 0,
  agent: "pi",
  prompt: DECIDE_PROMPT,
  script: {
    conversations: [
      {
        name: "text",
        match: (prompt) => prompt === DECIDE_PROMPT,
        turns: [{ text: '{"actions": [{"type": "noop"}]}' }],
      },
    ],
  },
};

/** pi: the first model request fails with HTTP 400 (pi still exits 0 in JSON mode). */
export const PI_API_ERROR: Scenario = {
  name: "pi-api-error",
  expectedExitCode: 0,
  agent: "pi",
  prompt: FAIL_PROMPT,
  script: {
    conversations: [
      {
        name: "api-error",
        match: (prompt) => prompt === FAIL_PROMPT,
        turns: [{ httpStatus: 400, message: API_ERROR_MESSAGE }],
      },
    ],
  },
};

/** Every scenario, in fixture order. */
export const SCENARIOS: readonly Scenario[] = [
  CLAUDE_EDIT,
  CLAUDE_API_ERROR,
  CODEX_EDIT,
  CODEX_TURN_FAILED,
];

/** Runs a scenario's CLI in a fresh temp repo and HOME against a fresh mock. */
export async function runScenario(scenario: Scenario): Promise<ScenarioRun> {
  const repo = await createTempGitRepo();
  const home = await createTempDir("bosun-home-");
  const cleanup = async (): Promise<void> => {
    await Promise.all([repo, home].map((dir) => rm(dir, { recursive: true, force: true })));
  };
  const isCodex = scenario.agent === "codex";
  const mock = await (isCodex ? startResponsesMock : startAnthropicMock)(scenario.script);
  try {
    const options = { prompt: scenario.prompt, cwd: repo, timeoutMs: 20_000 };
    const run =
      scenario.agent === "claude"
        ? await runClaude({ ...options, env: createClaudeEnv({ mockUrl: mock.url, home }) })
        : isCodex
          ? await runCodex({ ...options, env: await createCodexEnv({ mockUrl: mock.url, home }) })
          : await runPi({ ...options, env: await createPiEnv({ mockUrl: mock.url, home }) });
    const { requests, unmatched, url: mockUrl } = mock;
    return { run, requests, unmatched, repo, home, mockUrl, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  } finally {
    await mock.close();
  }
}
