/**
 * Mock model scripts for a team run with the real CLIs: Claude Code plans (writes the plan) and
 * works every task (writes `<id>.txt` holding the line `<id>`, then its report); Codex critiques.
 * Each agent takes the fewest turns it can: its tool calls, then one closing text.
 */
import { join } from "node:path";
import type { Plan } from "../../src/store/schema/plan.js";
import type { MockContext, MockConversation, MockTurn } from "../mocks/mock-script.js";

const REPORT_PATH_PATTERN = /to this exact path[^\n]*\n\s*(\S+)/;
const WORKTREE_PATTERN = /You work ONLY in the git worktree at (\S+)/;

/** Rounds a task may take: the first, and one repair after a rejection. */
const ROUNDS = [1, 2] as const;

function capture(prompt: string, pattern: RegExp): string {
  const found = pattern.exec(prompt)?.[1];
  if (found === undefined)
    throw new Error(`no match for ${String(pattern)} in: ${prompt.slice(0, 300)}`);
  return found;
}

/**
 * Claude as planner (writes `plan` to plan.json) and as every task's worker: round 1 writes
 * `<id>.txt` holding `<id>`, round 2 (after a rejection) the line twice.
 */
export function makeClaudeTeam(plan: Plan): MockConversation[] {
  const planner: MockConversation = {
    name: "claude-planner",
    match: (prompt) => prompt.startsWith("You are the PLANNER"),
    turns: [
      (ctx): MockTurn => ({
        toolCalls: [
          {
            name: "Write",
            input: {
              file_path: capture(ctx.prompt, REPORT_PATH_PATTERN),
              content: JSON.stringify(plan),
            },
          },
        ],
      }),
      { text: `Planned ${plan.tasks.length} task(s).` },
    ],
  };
  const workers = plan.tasks.flatMap(({ id }) =>
    ROUNDS.map((round): MockConversation => ({
      name: `claude-worker-${id}-${round}`,
      match: (prompt) => new RegExp(`you own task ${id}, round ${round}\\b`).test(prompt),
      turns: [
        // Claude Code writes over an existing file only once it has read it in the session.
        ...(round === 1
          ? []
          : [
              (ctx: MockContext): MockTurn => ({
                toolCalls: [
                  {
                    name: "Read",
                    input: { file_path: join(capture(ctx.prompt, WORKTREE_PATTERN), `${id}.txt`) },
                  },
                ],
              }),
            ]),
        (ctx): MockTurn => {
          const cwd = capture(ctx.prompt, WORKTREE_PATTERN);
          const content = round === 1 ? `${id}\n` : `${id}\n${id}\n`;
          const report = {
            task_id: id,
            round,
            files_changed: [`${id}.txt`],
            notes: "done",
            tests: [],
          };
          return {
            toolCalls: [
              { name: "Write", input: { file_path: join(cwd, `${id}.txt`), content } },
              {
                name: "Write",
                input: {
                  file_path: capture(ctx.prompt, REPORT_PATH_PATTERN),
                  content: JSON.stringify(report),
                },
              },
            ],
          };
        },
        { text: `Task ${id} done.` },
      ],
    })),
  );
  return [planner, ...workers];
}

/** Codex as every task's critic: rejects `rejectedOnce`'s first round, approves everything else. */
export function makeCodexCritics(plan: Plan, rejectedOnce?: string): MockConversation[] {
  return plan.tasks.flatMap(({ id }) =>
    ROUNDS.map((round): MockConversation => ({
      name: `codex-critic-${id}-${round}`,
      match: (prompt) => prompt.startsWith(`You are the CRITIC for task ${id}, round ${round}:`),
      turns: [
        (ctx): MockTurn => {
          const isRejected = id === rejectedOnce && round === 1;
          const report = {
            task_id: id,
            round,
            decision: isRejected ? "changes_required" : "approve",
            blocking_issues: isRejected
              ? [{ severity: "high", file: `${id}.txt`, reason: `${id}.txt must say ${id} twice` }]
              : [],
            non_blocking_suggestions: [],
          };
          const file = capture(ctx.prompt, REPORT_PATH_PATTERN);
          return {
            toolCalls: [
              {
                name: "exec_command",
                input: { cmd: `cat > '${file}' <<'EOF'\n${JSON.stringify(report)}\nEOF` },
              },
            ],
          };
        },
        { text: "Reviewed." },
      ],
    })),
  );
}
