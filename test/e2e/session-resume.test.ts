/**
 * A producer's session kept across iterations, with the real Claude Code and Codex CLIs against
 * the scripted mock models: runAgentStep resumes the first iteration's session (the mock sees
 * the earlier conversation again), and a session the CLI does not have falls back to a fresh one.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SessionResume } from "../../src/flows/agent-session.js";
import { runAgentStep } from "../../src/flows/agent-step.js";
import type { BosunEvent } from "../../src/flows/events.js";
import type { RoundScope, RunContext } from "../../src/flows/flow-context.js";
import { createBosunPaths } from "../../src/store/paths.js";
import { createRunIndex, indexRunEvent } from "../../src/store/run-index.js";
import { DEFAULT_CONFIG } from "../../src/store/schema/config.js";
import { RunEventSchema, type RunEvent } from "../../src/store/schema/events.js";
import { CLAUDE_BIN, CODEX_BIN } from "../helpers/agent-env.js";
import {
  createRealAgentWorkspace,
  type RealAgentWorkspace,
} from "../helpers/real-agent-workspace.js";
import { getHead } from "../../src/workspace/git.js";
import type { MockConversation, MockServer } from "../mocks/mock-script.js";

type Cli = "claude" | "codex";

/** What each CLI says when it has no session of the id it was given. */
const NOT_FOUND_WORDS: Record<Cli, string> = {
  claude: "No conversation found with session ID",
  codex: "no rollout found for thread id",
};

/** A session id of the right shape that neither CLI ever made. */
const UNKNOWN_SESSION = "00000000-0000-7000-8000-000000000000";
const TASK_ID = "T-001";

const cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  // dispatch passes bosun's own env on to the agent: none of these may point it elsewhere, and
  // Codex's failures end with their own words (no backtrace) whatever the machine sets.
  for (const name of ["CLAUDE_CONFIG_DIR", "CODEX_HOME", "ANTHROPIC_AUTH_TOKEN", "RUST_BACKTRACE"])
    vi.stubEnv(name, undefined);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** The prompt of one call; its first word picks the mock conversation. */
function makePrompt(kind: "FIRST" | "CONTINUE" | "FRESH", cli: Cli): string {
  return `${kind}-${cli.toUpperCase()}: answer in one word.\n`;
}

/** One conversation per kind of call; each answers with one text turn ("done"). */
function makeConversations(cli: Cli): MockConversation[] {
  return (["FIRST", "CONTINUE", "FRESH"] as const).map((kind) => ({
    name: kind.toLowerCase(),
    match: (prompt) => prompt.startsWith(`${kind}-${cli.toUpperCase()}`),
    turns: [],
  }));
}

/** A run whose journal is indexed as the store does, with the CLIs pointed at the repo's copies. */
function makeContext(repo: string): {
  ctx: RunContext;
  recorded: RunEvent[];
  emitted: BosunEvent[];
} {
  const recorded: RunEvent[] = [];
  const emitted: BosunEvent[] = [];
  const state = createRunIndex();
  const ctx: RunContext = {
    paths: createBosunPaths(repo),
    config: {
      ...DEFAULT_CONFIG,
      agents: { claude: { command: CLAUDE_BIN }, codex: { command: CODEX_BIN } },
    },
    runId: "r-session",
    state,
    record: (input) => {
      const event = RunEventSchema.parse({ ...input, seq: recorded.length + 1, ts: "t" });
      recorded.push(event);
      indexRunEvent(state, event);
      return Promise.resolve(event);
    },
    emit: (event) => emitted.push(event),
  };
  return { ctx, recorded, emitted };
}

async function setUp(): Promise<RealAgentWorkspace> {
  const workspace = await createRealAgentWorkspace({
    claude: () => makeConversations("claude"),
    codex: () => makeConversations("codex"),
    files: { "notes.md": "# notes\n" },
    message: "add notes",
  });
  cleanups.push(() => workspace.cleanup());
  return workspace;
}

/** The producer of one pipeline iteration (round), on `cli`. */
function makeScope(workspace: RealAgentWorkspace, cli: Cli, round: number): RoundScope {
  return {
    taskId: TASK_ID,
    phase: "implement",
    round,
    cwd: workspace.repo,
    harnesses: { worker: cli },
    maxRounds: 3,
    timeoutSec: 60,
    resumeCommand: "bosun pipeline --resume r-session",
    env: workspace.env,
  };
}

/** Runs the worker's attempt 1 of `round`, resuming `resume` when given. */
async function runIteration(
  ctx: RunContext,
  scope: RoundScope,
  prompt: string,
  resume?: SessionResume,
): Promise<void> {
  const head = await getHead(scope.cwd);
  await ctx.record({
    type: "round.started",
    taskId: TASK_ID,
    phase: "implement",
    round: scope.round,
    head,
  });
  await runAgentStep(ctx, scope, {
    seat: "worker",
    attempt: 1,
    prompt,
    reportFile: join(scope.cwd, "work_report.json"),
    checkReport: () => Promise.resolve({ isValid: true }),
    ...(resume === undefined ? {} : { resume }),
  });
}

function getCompleted(
  recorded: RunEvent[],
): Array<Extract<RunEvent, { type: "dispatch.completed" }>> {
  return recorded.flatMap((event) => (event.type === "dispatch.completed" ? [event] : []));
}

function getStarted(recorded: RunEvent[]): Array<Extract<RunEvent, { type: "dispatch.started" }>> {
  return recorded.flatMap((event) => (event.type === "dispatch.started" ? [event] : []));
}

/** The model turns the mock answered, in order: conversation, turn index, the request body. */
function getTurns(
  mock: MockServer,
): Array<{ conversation?: string; turnIndex?: number; body: string }> {
  return mock.requests
    .filter((request) => request.kind === "turn")
    .map((request) => ({
      conversation: request.conversation,
      turnIndex: request.turnIndex,
      body: JSON.stringify(request.body),
    }));
}

describe.each<Cli>(["claude", "codex"])("a kept session with the real %s CLI", (cli) => {
  it("resumes the first iteration's session, then falls back to a fresh one for a session it does not have", async () => {
    const workspace = await setUp();
    const mock = cli === "claude" ? workspace.anthropic : workspace.responses;
    const { ctx, recorded, emitted } = makeContext(workspace.repo);
    const freshPrompt = makePrompt("FRESH", cli);

    await runIteration(ctx, makeScope(workspace, cli, 1), makePrompt("FIRST", cli));
    const firstSession = getCompleted(recorded)[0]?.sessionId;
    if (firstSession === undefined) throw new Error(`${cli} reported no session on its first call`);
    expect(firstSession).toMatch(/^[0-9a-f-]{36}$/);

    await runIteration(ctx, makeScope(workspace, cli, 2), makePrompt("CONTINUE", cli), {
      sessionId: firstSession,
      freshPrompt,
    });
    await runIteration(ctx, makeScope(workspace, cli, 3), makePrompt("CONTINUE", cli), {
      sessionId: UNKNOWN_SESSION,
      freshPrompt,
    });

    // The resumed call carried the first conversation; the fresh one started from nothing.
    const turns = getTurns(mock);
    expect(turns.map(({ conversation, turnIndex }) => [conversation, turnIndex])).toEqual([
      ["first", 0],
      ["continue", 1],
      ["fresh", 0],
    ]);
    expect(turns[1]?.body).toContain(`FIRST-${cli.toUpperCase()}`);
    expect(turns[2]?.body).not.toContain(`FIRST-${cli.toUpperCase()}`);
    expect(turns[2]?.body).not.toContain(`CONTINUE-${cli.toUpperCase()}`);

    // The journal: which session each attempt tried, whether it resumed, one completion each.
    expect(getStarted(recorded).map((event) => event.resumeSessionId)).toEqual([
      undefined,
      firstSession,
      UNKNOWN_SESSION,
    ]);
    const completed = getCompleted(recorded);
    expect(completed.map((event) => [event.round, event.isSessionResumed])).toEqual([
      [1, undefined],
      [2, true],
      [3, false],
    ]);
    expect(completed[1]?.sessionId).toBe(firstSession);
    expect(completed[2]?.sessionId).not.toBe(firstSession);
    expect(completed[2]?.sessionId).not.toBe(UNKNOWN_SESSION);
    // The CLI said "no such session" once: no retry was spent on it.
    expect(completed[2]?.spawns).toBe(2);
    expect(recorded.map((event) => event.type)).not.toContain("dispatch.failed");

    const warnings = emitted.flatMap((event) =>
      event.type === "warning" && event.message.startsWith("Could not resume")
        ? [event.message]
        : [],
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${cli} session ${UNKNOWN_SESSION}`);
    expect(warnings[0]).toContain(`${cli} found no session to resume: `);
    expect(warnings[0]).toContain(NOT_FOUND_WORDS[cli]);

    // The attempt's directory: what was sent, and the CLI's stream naming the resumed session.
    const attemptDir = (round: number): string =>
      ctx.paths.attemptDir(ctx.runId, TASK_ID, round, "worker", 1, "implement");
    expect(await readFile(join(attemptDir(2), "prompt.md"), "utf8")).toBe(
      makePrompt("CONTINUE", cli),
    );
    expect(await readFile(join(attemptDir(2), "agent.log"), "utf8")).toContain(firstSession);
    expect(await readFile(join(attemptDir(3), "prompt.md"), "utf8")).toBe(freshPrompt);

    // One cost line per attempt, the fallback's included once.
    const costLines = (await readFile(ctx.paths.costsFile, "utf8")).trim().split("\n");
    expect(costLines).toHaveLength(3);
  });
});
