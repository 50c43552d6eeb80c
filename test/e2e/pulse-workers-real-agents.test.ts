/**
 * The acceptance test for workers, with the real Claude Code CLI against the Anthropic
 * mock: a pulse worker whose one Bash tool call runs the `bosun _ ask` its prompt shows (blocking
 * until a human answers through `bosun _ answer`) and writes the answer to a file; a tell sent
 * meanwhile reaches it in a follow-up call of the same session; the verify post-condition passes.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeWorkerTell } from "../../src/flows/pulse/workers.js";
import { readWorkerFile } from "../../src/store/pulse-workers.js";
import type { WorkerFile } from "../../src/store/schema/pulse-worker.js";
import { createClaudeEnv, createTempDir } from "../helpers/agent-env.js";
import { listProcessesWithHome } from "../helpers/process-list.js";
import { createReviewRepo, getBosunPaths } from "../helpers/review-repo.js";
import { assertBosunBuilt, createBosunEnv, runBosun } from "../helpers/run-bosun.js";
import { waitFor } from "../helpers/wait-for.js";
import { startAnthropicMock } from "../mocks/anthropic-mock.js";
import type { MockContext, MockTurn } from "../mocks/mock-script.js";

/** Real Claude Code calls on a busy machine. */
const TEST_TIMEOUT_MS = 120_000;
const WAIT_MS = 60_000;
const TELL = "Also write told.txt saying told.";

const cleanups: Array<() => Promise<void>> = [];

beforeAll(assertBosunBuilt);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The Bash call of the worker's first turn: the prompt's own ask line, its answer to color.txt. */
function makeAskTurn(ctx: MockContext): MockTurn {
  const line = ctx.prompt.split("\n").find((text) => text.includes(' _ ask "QUESTION"'));
  if (line === undefined) return { text: "The prompt does not say how to ask." };
  const bosun = line.trim().split(" _ ask ")[0] ?? "";
  const readAnswer =
    'node -e \'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).answer.answer))\'';
  const command = `${bosun} _ ask 'Which color?' --option red:Red --option blue:Blue --timeout 540 | ${readAnswer} > color.txt`;
  return { toolCalls: [{ name: "Bash", input: { command, timeout: 600_000 } }] };
}

describe("a pulse worker played by the real Claude Code", () => {
  it(
    "asks through bosun _ ask, is answered through bosun _ answer, takes a tell in a follow-up, and finishes verified",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const home = await createTempDir("bosun-home-");
      const mock = await startAnthropicMock({
        conversations: [
          {
            name: "worker",
            match: (prompt) => prompt.startsWith('You are worker "asker" of bosun\'s pulse'),
            turns: [makeAskTurn, { text: "Wrote color.txt." }],
          },
          {
            name: "tell",
            match: (prompt) => prompt.startsWith("Messages from the human"),
            isCountedFromPrompt: true,
            turns: [
              (ctx): MockTurn =>
                ctx.prompt.includes(TELL)
                  ? {
                      toolCalls: [
                        { name: "Bash", input: { command: "printf 'told\\n' > told.txt" } },
                      ],
                    }
                  : { text: "No message." },
              { text: "Wrote told.txt." },
            ],
          },
        ],
      });
      const repo = await createReviewRepo({ dispatch: { graceSec: 1 } });
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
      const env = { ...createBosunEnv(home), ...createClaudeEnv({ mockUrl: mock.url, home }) };
      const bosun = async (args: string[]): Promise<Record<string, unknown>> => {
        const run = await runBosun(["_", ...args], { cwd: repo, env });
        expect(run.exitCode, run.stdout + run.stderr).toBe(0);
        return JSON.parse(run.stdout) as Record<string, unknown>;
      };
      const paths = getBosunPaths(repo);

      await bosun([
        "worker",
        "start",
        "asker",
        "--prompt",
        "Ask the human which color to use and write it to color.txt.",
        "--verify",
        "grep -qx blue color.txt && grep -qx told told.txt",
      ]);
      const askId = await waitFor(
        "Claude's bosun _ ask",
        async () => {
          const listed = (await bosun(["worker", "list"])) as {
            workers: Array<{ health: string; openAskIds: string[] }>;
          };
          const [item] = listed.workers;
          return item?.health === "waiting-ask" ? item.openAskIds[0] : undefined;
        },
        { timeoutMs: WAIT_MS, intervalMs: 200 },
      );
      // Sent while the worker waits: its one call cannot take it, the follow-up does.
      const tell = await writeWorkerTell(paths, "asker", TELL, "test");
      await bosun(["answer", askId, "blue"]);

      const worker = await waitFor(
        "the worker to end",
        async (): Promise<WorkerFile | undefined> => {
          const read = await readWorkerFile(paths, "asker");
          return read !== null && ["done", "failed", "killed"].includes(read.status)
            ? read
            : undefined;
        },
        { timeoutMs: WAIT_MS },
      );
      expect(worker, JSON.stringify(worker)).toMatchObject({
        status: "done",
        harness: "claude",
        verifyResult: { exitCode: 0 },
        deliveredTellIds: [tell.id],
      });
      expect(worker.sessionId).toBeTruthy();
      expect(await readFile(join(worker.cwd, "color.txt"), "utf8")).toBe("blue\n");
      expect(await readFile(join(worker.cwd, "told.txt"), "utf8")).toBe("told\n");
      const turns = mock.requests.filter((request) => request.kind === "turn");
      expect(turns.map((request) => request.conversation)).toEqual([
        "worker",
        "worker",
        "tell",
        "tell",
      ]);
      await waitFor("every process of the worker to end", async () =>
        (await listProcessesWithHome(home)).length === 0 ? true : undefined,
      );
    },
  );
});
