/**
 * `bosun dashboard` in a real Chromium while a team run with the real Claude Code (planner,
 * worker) and Codex (critic) CLIs against the mock model servers goes on in another process, as
 * a person would start it in a terminal: the page shows the run, its task moving to merged, the
 * real agents' dispatches and gates, and their spend, live; nothing is left running after.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startProcess } from "../../src/proc/run-process.js";
import type { Plan } from "../../src/store/schema/plan.js";
import {
  SCREENSHOT_FILE,
  countColours,
  launchChromium,
  startDashboard,
  stopDashboard,
} from "../helpers/dashboard-browser.js";
import { listProcessesWithHome } from "../helpers/process-list.js";
import { CODEX_MODEL, createRealAgentWorkspace } from "../helpers/real-agent-workspace.js";
import { BOSUN_CLI, assertBosunBuilt } from "../helpers/run-bosun.js";
import { makeClaudeTeam, makeCodexCritics } from "../helpers/team-real-scripts.js";
import { CHECK_SCRIPT, THREE_TASK_PLAN, VERIFY } from "../helpers/team-repo.js";

/** One task, so the real CLIs take the fewest turns: plan, work, critique (two turns each). */
const ONE_TASK_PLAN: Plan = {
  version: 1,
  goal: "Write a.txt.",
  tasks: THREE_TASK_PLAN.tasks.filter((task) => task.id === "a"),
};

const cleanups: Array<() => Promise<void>> = [];
let browser: Browser;

beforeAll(async () => {
  assertBosunBuilt();
  browser = await launchChromium();
}, 60_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await browser?.close();
});

/** A dollar amount the page shows (`$0.0123`), as a number. */
function parseUsd(text: string | null): number {
  const match = /\$(\d+\.\d+)/.exec(text ?? "");
  if (match?.[1] === undefined) throw new Error(`no dollar amount in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

describe("bosun dashboard in Chromium with the real agent CLIs", () => {
  it("shows a team run of claude and codex from another process live: the run, its task merging, dispatches, gates and spend", async () => {
    const workspace = await createRealAgentWorkspace({
      claude: () => makeClaudeTeam(ONE_TASK_PLAN),
      codex: () => makeCodexCritics(ONE_TASK_PLAN),
      files: {
        "bosun.yaml": `agents:\n  codex:\n    model: ${CODEX_MODEL}\ndispatch:\n  retries: 0\n`,
        "check.sh": CHECK_SCRIPT,
      },
      message: "bosun.yaml and check.sh",
    });
    cleanups.push(() => workspace.cleanup());
    const { repo, env, anthropic, responses } = workspace;
    const home = env["HOME"] ?? "";

    const dashboard = await startDashboard(repo, env);
    cleanups.push(async () => void (await stopDashboard(dashboard.child)));
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    cleanups.push(() => page.close());
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    try {
      await page.goto(dashboard.loginUrl);
      await page.waitForSelector("text=No runs in this repository yet.");
      // Gone if the page reloads: everything below must arrive as events.
      await page.evaluate("window.bosunTestMarker = 'still here'");

      // Started as a person would in a terminal: its own process, the same repository.
      const run = startProcess({
        command: process.execPath,
        args: [
          BOSUN_CLI,
          "run",
          ONE_TASK_PLAN.goal,
          "--execute",
          "--worker",
          "claude",
          "--critic",
          "codex",
          "--verify",
          VERIFY,
          "--timeout",
          "60",
        ],
        cwd: repo,
        env,
        isEnvIsolated: true,
        timeoutMs: 100_000,
        graceMs: 2_000,
      });
      cleanups.push(async () => {
        run.kill();
        await run.result;
      });
      const runOutput = (async () => {
        const lines: string[] = [];
        for await (const line of run.lines()) lines.push(line);
        return { ...(await run.result), stdout: lines.join("\n") };
      })();

      // The run shows up in the list, and its one task moves across the board as events land.
      const runId = await page.getAttribute("#runs [data-run]", "data-run", { timeout: 60_000 });
      await page.waitForSelector('[data-task="a"][data-status="running"]', { timeout: 60_000 });
      await page.waitForSelector('[data-task="a"][data-status="merged"]', { timeout: 60_000 });
      await page.waitForSelector(`#runs [data-run="${runId}"] .s-succeeded`, { timeout: 60_000 });
      await page.waitForSelector("#run .muted >> .s-succeeded");
      expect(await page.evaluate("window.bosunTestMarker")).toBe("still here");

      const ended = await runOutput;
      expect(ended.exitCode, `stderr: ${ended.stderrTail}\nstdout: ${ended.stdout}`).toBe(0);
      expect(anthropic.unmatched).toEqual([]);
      expect(responses.unmatched).toEqual([]);

      // Who did what, as the agents' lanes and the timeline show it.
      expect(await page.textContent('[data-lane="a/worker"]')).toContain("claude");
      expect(await page.textContent('[data-lane="a/critic"]')).toContain("codex");
      // The plan was checked and recorded: the planner's work stands, not "done-unverified".
      await page.waitForSelector('[data-lane="plan/planner"][data-state="verified"]');
      const timeline = (await page.textContent("#timeline")) ?? "";
      expect(timeline).toMatch(/dispatch\.completed plan r1 planner claude/);
      expect(timeline).toMatch(/dispatch\.completed a r1 worker claude/);
      expect(timeline).toMatch(/dispatch\.completed a r1 critic codex/);
      expect(timeline).toMatch(/gate\.completed a r1 verify passed/);
      expect(timeline).toMatch(/merge\.completed a/);

      // The spend the real CLIs reported (Claude) or bosun estimated from their tokens (Codex).
      const recorded = JSON.parse(
        await readFile(join(repo, ".bosun", "runs", runId ?? "", "run.json"), "utf8"),
      ) as { status: string; costUsd: number };
      expect(recorded.status).toBe("succeeded");
      expect(recorded.costUsd).toBeGreaterThan(0);
      const spent = await page.textContent('[data-kpi="spend"] b');
      expect(parseUsd(spent)).toBeGreaterThan(0);
      // The page's sum of the journal's costs is the run's recorded total, to the four places shown.
      expect(spent).toBe(`$${recorded.costUsd.toFixed(4)}`);
      expect(await page.textContent("#plot-cost")).toContain(`spent ${spent}`);
      // One step up per dispatch that cost something: planner, worker, critic.
      const spendPath = await page.getAttribute("#plot-cost path.spend", "d");
      expect(spendPath?.split("L").length).toBeGreaterThan(6);
      expect(await page.textContent("#plot-throughput")).toContain("1 of 1 merged");

      const png = await page.screenshot({ fullPage: true });
      if (SCREENSHOT_FILE !== undefined) await writeFile(SCREENSHOT_FILE, png);
      expect(await countColours(page, png)).toBeGreaterThan(20);
      expect(failures).toEqual([]);
    } catch (error) {
      // What the page showed when it failed, for a person to look at.
      if (SCREENSHOT_FILE !== undefined)
        await writeFile(SCREENSHOT_FILE, await page.screenshot({ fullPage: true }));
      throw error;
    }

    // Cleaned up: the dashboard stops cleanly, and no process of the test's HOME lives on.
    expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    expect(await listProcessesWithHome(home)).toEqual([]);
  }, 150_000);
});
