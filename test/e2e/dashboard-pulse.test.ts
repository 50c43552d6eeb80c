/**
 * The pulse on `bosun dashboard` in a real Chromium: a beat of the built CLI (its brain a
 * harness that prints a scripted decision) holds three irreversible moves for a human; the page
 * shows the daemon, budgets, goals, readings (the failing sensor in red with its reason) and
 * each held move; one move approved from the page runs while the others stay held; a reject
 * from another process lands on the page live, journal line and all, with no reload; the last
 * held move rejected from the page.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBosunPaths } from "../../src/store/paths.js";
import { listDecisionIds, readDecisionRecord } from "../../src/store/pulse-store.js";
import {
  SCREENSHOT_FILE,
  countColours,
  launchChromium,
  startDashboard,
  stopDashboard,
} from "../helpers/dashboard-browser.js";
import { makeGitRepo } from "../helpers/git-repo.js";
import {
  assertBosunBuilt,
  createBosunEnv,
  expectNoInternalError,
  runBosun,
} from "../helpers/run-bosun.js";
import { makeTestDir } from "../helpers/testdir.js";

let browser: Browser;

beforeAll(async () => {
  assertBosunBuilt();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** style.css's --red. */
const RED = "rgb(248, 81, 73)";

/** A repository whose pulse brain replies with `decision`, and two sensors (one failing). */
async function createPulseRepo(decision: unknown): Promise<{ root: string; home: string }> {
  const root = await makeGitRepo();
  const home = join(await makeTestDir(), "home");
  await mkdir(home, { recursive: true });
  const reply = join(home, "reply.json");
  await writeFile(reply, JSON.stringify(decision));
  await writeFile(
    join(root, "bosun.yaml"),
    `agents:\n  scripted:\n    template: "cat ${reply}"\n    parser: plain\npulse:\n  brain: scripted\n  maxActions: 4\n`,
  );
  await writeFile(join(root, "old-a.txt"), "a\n");
  await writeFile(join(root, "old-b.txt"), "b\n");
  await writeFile(join(root, "old-c.txt"), "c\n");
  const sensors = join(root, ".bosun", "pulse", "sensors");
  await mkdir(sensors, { recursive: true });
  await writeFile(join(sensors, "ci"), `#!/bin/sh\necho '{"signal": "green"}'\n`);
  await writeFile(
    join(sensors, "deploys"),
    `#!/bin/sh\necho 'cannot reach the server' >&2\nexit 2\n`,
  );
  for (const name of ["ci", "deploys"]) await chmod(join(sensors, name), 0o755);
  return { root, home };
}

async function runCli(repo: { root: string; home: string }, args: string[]): Promise<string> {
  const result = await runBosun(args, { cwd: repo.root, env: createBosunEnv(repo.home) });
  expectNoInternalError(result);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

describe("the pulse on bosun dashboard in Chromium", () => {
  it("approves one held move from the page (it runs, the other stays held) and shows the journal live", async () => {
    const repo = await createPulseRepo({
      critique: "two old files are unused",
      actions: [
        { type: "delete", path: "old-a.txt", reason: "unused" },
        { type: "delete", path: "old-b.txt", reason: "unused" },
        { type: "delete", path: "old-c.txt", reason: "unused" },
        { type: "write_goal", id: "tidy", text: "# Tidy\n\nKeep the tree free of unused files." },
      ],
    });
    await runCli(repo, ["pulse", "once"]);
    const paths = createBosunPaths(repo.root);
    const [decisionId] = await listDecisionIds(paths);
    if (decisionId === undefined) throw new Error("the beat made no decision");

    const dashboard = await startDashboard(repo.root, {
      ...process.env,
      ...createBosunEnv(repo.home),
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    try {
      const failures: string[] = [];
      page.on("pageerror", (error) => failures.push(error.message));
      await page.goto(dashboard.loginUrl);
      await page.waitForSelector('[data-move="1"][data-status="awaiting"]');
      // Gone if the page reloads: what follows must arrive through the store stream.
      await page.evaluate("window.bosunTestMarker = 'still here'");

      expect(await page.textContent('[data-pulse-part="daemon"]')).toContain("stopped");
      expect(await page.textContent('[data-pulse-part="brain"]')).toContain(
        "1 / 20 calls this hour",
      );
      // Moves run in order: the goal waits behind the held deletes.
      await page.waitForSelector('[data-move="4"][data-status="pending"]');
      expect(await page.$('[data-goal="tidy"]')).toBeNull();
      expect(await page.textContent('[data-reading="ci"]')).toContain('"green"');
      const failed = '[data-reading="deploys"][data-status="failed"]';
      expect(await page.textContent(failed)).toContain("cannot reach the server");
      expect(
        String(await page.evaluate(`getComputedStyle(document.querySelector('${failed}')).color`)),
      ).toBe(RED);
      const move1 = await page.textContent('[data-move="1"]');
      expect(move1).toContain("delete old-a.txt");
      expect(move1).toContain("never done without a human's approval");
      expect(await page.$('[data-move="4"] [data-approve]')).toBeNull();
      expect(await page.$('[data-approve="all"]')).not.toBeNull();

      // Parts whose data did not change are never redrawn: the same nodes stay on the page.
      await page.evaluate(
        "window.goalsPart = document.querySelector('[data-pulse-part=\"goals\"]')",
      );
      await page.click('[data-approve="1"]');
      await page.waitForSelector('[data-move="1"][data-status="done"]');
      expect(
        await page.$('[data-move="2"][data-status="awaiting"] [data-approve="2"]'),
      ).not.toBeNull();
      expect(existsSync(join(repo.root, "old-a.txt"))).toBe(false);
      expect(existsSync(join(repo.root, "old-b.txt"))).toBe(true);
      await page.waitForSelector(
        "[data-journal] >> text=#1 delete old-a.txt — approved (dashboard)",
      );

      // Another process rejects move 2 (#3 still held, so its ask stays open and only the
      // pulse's files change): the page hears of it sooner than its own 10 s re-read, no reload.
      await runCli(repo, ["pulse", "reject", decisionId, "--only", "2"]);
      await page.waitForSelector("[data-journal] >> text=#2 delete old-b.txt — rejected (cli)", {
        timeout: 8_000,
      });
      await page.waitForSelector('[data-move="2"][data-status="rejected"]');
      expect(await page.evaluate("window.bosunTestMarker")).toBe("still here");
      expect(
        await page.evaluate(
          "window.goalsPart === document.querySelector('[data-pulse-part=\"goals\"]')",
        ),
      ).toBe(true);
      expect(existsSync(join(repo.root, "old-b.txt"))).toBe(true);

      // The last held move rejected from the page: nothing waits any more.
      await page.click('[data-reject="3"]');
      await page.waitForSelector('[data-pulse-part="decision"] >> text=No move waits for a human.');
      // The POST's answer (its ask answered too) is what the notice says.
      await page.waitForSelector(`#notice >> text=${decisionId}: #3 rejected`);
      expect(existsSync(join(repo.root, "old-c.txt"))).toBe(true);
      // Nothing holds the goal any more: it was written, and the page shows it.
      expect(await page.textContent('[data-goal="tidy"]', { timeout: 8_000 })).toContain(
        "Keep the tree free of unused files.",
      );
      const record = await readDecisionRecord(paths, decisionId);
      expect(record?.actions.map((item) => [item.status, item.decidedBy])).toEqual([
        ["done", "dashboard"],
        ["rejected", "cli"],
        ["rejected", "dashboard"],
        ["done", undefined],
      ]);

      const png = await page.screenshot({ fullPage: true });
      if (SCREENSHOT_FILE !== undefined) await writeFile(SCREENSHOT_FILE, png);
      expect(await countColours(page, png)).toBeGreaterThan(20);
      expect(failures).toEqual([]);
    } finally {
      await page.close();
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    }
  }, 120_000);
});
