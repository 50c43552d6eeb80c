/**
 * The pulse's daemon with the real Claude Code CLI as its brain, against the Anthropic mock: the
 * first beat and a goal written each cost one model request, a wake-up that changes nothing
 * costs none (the mock sees no request), and `pulse down` leaves no process behind.
 */
import { readFile, rm } from "node:fs/promises";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClaudeEnv, createTempDir } from "../helpers/agent-env.js";
import { listProcessesWithHome } from "../helpers/process-list.js";
import { createReviewRepo, getBosunPaths } from "../helpers/review-repo.js";
import { assertBosunBuilt, createBosunEnv, runBosun } from "../helpers/run-bosun.js";
import { waitFor } from "../helpers/wait-for.js";
import { startAnthropicMock } from "../mocks/anthropic-mock.js";
import type { MockContext, MockServer, MockTurn } from "../mocks/mock-script.js";

/** Real Claude Code calls on a busy machine. */
const TEST_TIMEOUT_MS = 120_000;
const WAIT_MS = 60_000;
const CONSTITUTION = "# The pulse's constitution";

const cleanups: Array<() => Promise<void>> = [];

beforeAll(assertBosunBuilt);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The brain's reply: it names the goal it sees, so the journal says which world it decided. */
function replyToBrain(ctx: MockContext): MockTurn {
  const critique = ctx.prompt.includes("Ship the release.")
    ? "the release goal is new"
    : "no goals yet";
  return { text: JSON.stringify({ critique, actions: [{ type: "noop" }] }) };
}

/** The model turns the mock answered. */
function countTurns(mock: MockServer): number {
  return mock.requests.filter((request) => request.kind === "turn").length;
}

describe("the pulse daemon with the real Claude Code as its brain", () => {
  it(
    "calls the model on its first beat and on a new goal, and not for a wake-up that changes nothing",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const home = await createTempDir("bosun-home-");
      const mock = await startAnthropicMock({
        conversations: [
          {
            name: "brain",
            match: (prompt) => prompt.startsWith(CONSTITUTION),
            turns: [replyToBrain],
          },
        ],
      });
      const repo = await createReviewRepo({
        pulse: { brain: "claude" },
        dispatch: { graceSec: 1 },
      });
      cleanups.push(async () => {
        for (const line of await listProcessesWithHome(home)) {
          try {
            process.kill(Number(line.split(":")[0]), "SIGKILL");
          } catch {
            // Gone meanwhile.
          }
        }
        await mock.close();
        await rm(repo, { recursive: true, force: true });
        await rm(home, { recursive: true, force: true });
      });
      // The daemon inherits this env from `pulse up`, and its brain from the daemon.
      const env = { ...createBosunEnv(home), ...createClaudeEnv({ mockUrl: mock.url, home }) };
      const bosun = (args: string[]) => runBosun(args, { cwd: repo, env });
      const paths = getBosunPaths(repo);
      const readLines = async (file: string): Promise<string[]> =>
        (await readFile(file, "utf8").catch(() => "")).split("\n").filter((line) => line !== "");
      const waitForLine = (file: string, pattern: RegExp, afterLines = 0): Promise<string> =>
        waitFor(
          `a line matching ${String(pattern)} in ${file}`,
          async () => (await readLines(file)).slice(afterLines).find((line) => pattern.test(line)),
          { timeoutMs: WAIT_MS, intervalMs: 100 },
        );

      const up = await bosun(["pulse", "up"]);
      expect(up.exitCode, up.stderr).toBe(0);
      await waitForLine(paths.pulse.journalFile, /decided \(first beat.*\): no goals yet/);
      expect(countTurns(mock)).toBe(1);

      const goal = await bosun(["_", "goal", "write", "release", "Ship the release."]);
      expect(goal.exitCode).toBe(0);
      const decided = await waitForLine(paths.pulse.journalFile, /the release goal is new/);
      expect(countTurns(mock)).toBe(2);
      // The beat's end is logged after its journal line: wake-ups looked for later are the next's.
      const decisionId = /(D-\d{8}-\d{6}-[0-9a-f]+) decided/.exec(decided)?.[1] ?? "?";
      await waitForLine(paths.pulse.daemonLogFile, new RegExp(`decided ${decisionId}:`));

      // Written again, unchanged: the daemon wakes, senses, finds the same world, asks no model.
      const logLines = (await readLines(paths.pulse.daemonLogFile)).length;
      await bosun(["_", "goal", "write", "release", "Ship the release."]);
      await waitForLine(paths.pulse.daemonLogFile, /woken: goals\//, logLines);
      expect(
        await waitForLine(paths.pulse.daemonLogFile, /decided |no decision/, logLines),
      ).toMatch(/no decision: nothing changed$/);
      expect(countTurns(mock)).toBe(2);
      expect(mock.unmatched).toEqual([]);

      const down = await bosun(["pulse", "down"]);
      expect(down.exitCode, down.stderr).toBe(0);
      await waitFor("no process of the test left", async () =>
        (await listProcessesWithHome(home)).length === 0 ? true : undefined,
      );
    },
  );
});
