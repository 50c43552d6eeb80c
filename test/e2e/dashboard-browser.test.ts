/**
 * `bosun dashboard` in a real Chromium (Debian's, driven by playwright-core): a team run with the
 * offline agent shows up and its tasks move on the board live (no reload), an ask answered from
 * the page continues the run in the dashboard's process, the cost plot renders, and a screenshot
 * of the page is not blank.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { readAsk } from "../../src/human/asks.js";
import {
  SCREENSHOT_FILE,
  countColours,
  launchChromium,
  startDashboard,
  stopDashboard,
} from "../helpers/dashboard-browser.js";
import { createOfflineRepo, filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import { createBosunEnv } from "../helpers/run-bosun.js";
import {
  APPROVE,
  CHECK_SCRIPT,
  REJECT,
  RUN_OFFLINE,
  THREE_TASK_PLAN,
  writeTaskFile,
} from "../helpers/team-repo.js";

const repos = useOfflineRepos();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe("bosun dashboard in Chromium", () => {
  it("shows a team run live, answers its ask from the page and the run continues there", async () => {
    // a and b work a few seconds each, so the page sees them running before they merge; the
    // critic rejects b, which escalates at once (--max-repairs 0) and asks a human.
    const slowly = (id: string): OfflineAction[] => [{ sleepMs: 2_500 }, ...writeTaskFile(id)];
    const repo = await createOfflineRepo(
      [
        { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
        { seat: "worker", task: "a", actions: slowly("a") },
        { seat: "worker", task: "b", actions: slowly("b") },
        { seat: "worker", task: "c", actions: writeTaskFile("c") },
        { seat: "critic", task: "b", times: 1, actions: [REJECT] },
        { seat: "critic", actions: [APPROVE] },
      ],
      {},
      { cliTimeoutMs: 120_000 },
    );
    repos.push(repo);
    await writeFile(join(repo.root, "check.sh"), CHECK_SCRIPT);
    await repo.git(["add", "check.sh"]);
    await repo.git(["commit", "-q", "-m", "check.sh"]);

    const dashboard = await startDashboard(repo.root, {
      ...process.env,
      ...createBosunEnv(repo.home),
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    try {
      const failures: string[] = [];
      page.on("pageerror", (error) => failures.push(error.message));
      // The login link sets the cookie and lands on the page.
      await page.goto(dashboard.loginUrl);
      expect(new URL(page.url()).pathname).toBe("/");
      await page.waitForSelector("text=No runs in this repository yet.");
      // Gone if the page reloads: everything below must arrive as events.
      await page.evaluate("window.bosunTestMarker = 'still here'");

      // The run starts after the page is open: it appears, and its tasks move as events land.
      const run = repo.startCli([...RUN_OFFLINE, "--max-repairs", "0"]);
      await page.waitForSelector('[data-task="a"][data-status="running"]', { timeout: 60_000 });
      await page.waitForSelector('[data-lane="a/worker"][data-state="working"]');
      await page.waitForSelector('[data-task="a"][data-status="merged"]', { timeout: 60_000 });
      await page.waitForSelector('[data-ask] button[data-option="accept"]', {
        timeout: 60_000,
      });
      expect((await run.result).exitCode).toBe(3);
      expect(await page.textContent("#kpis")).toContain("escalated");

      // Answered from the page: the dashboard's own process continues the run to the end.
      await page.fill('[data-ask] input[name="note"]', "b is fine as it is");
      await page.click('[data-ask] button[data-option="accept"]');
      await page.waitForSelector('[data-task="c"][data-status="merged"]', { timeout: 60_000 });
      await page.waitForSelector(".muted >> .s-succeeded", { timeout: 60_000 });
      expect(await page.evaluate("window.bosunTestMarker")).toBe("still here");

      // The plots: the cost line spans the run, throughput climbed to 3 merged.
      const spend = await page.getAttribute("#plot-cost path.spend", "d");
      expect(spend?.split("L").length).toBeGreaterThan(3);
      expect(await page.textContent("#plot-throughput")).toContain("3 of 3 merged");

      const png = await page.screenshot({ fullPage: true });
      if (SCREENSHOT_FILE !== undefined) await writeFile(SCREENSHOT_FILE, png);
      expect(await countColours(page, png)).toBeGreaterThan(20);
      expect(failures).toEqual([]);

      // Stopped first: the dashboard's run writes its last run.json as it lets go of the run.
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
      const { run: done, events } = await repo.readOnlyRun();
      expect(done.status).toBe("succeeded");
      expect(
        filterEvents(events, "merge.completed")
          .map((e) => e.taskId)
          .sort(),
      ).toEqual(["a", "b", "c"]);
      const [asked] = filterEvents(events, "ask.created").filter((e) => e.taskId === "b");
      const { answer } = await readAsk(repo.paths, asked?.askId ?? "");
      expect(answer).toMatchObject({
        answer: "accept",
        source: "dashboard",
        note: "b is fine as it is",
      });
    } catch (error) {
      // What the page showed when it failed, for a person to look at.
      if (SCREENSHOT_FILE !== undefined)
        await writeFile(SCREENSHOT_FILE, await page.screenshot({ fullPage: true }));
      throw error;
    } finally {
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    }
  }, 180_000);
});
