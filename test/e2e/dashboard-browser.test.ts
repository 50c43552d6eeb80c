/**
 * `bosun dashboard` in a real Chromium (Debian's, driven by playwright-core): a team run with the
 * offline agent shows up and its tasks move on the board live (no reload), an ask answered from
 * the page continues the run in the dashboard's process, the cost plot renders, and a screenshot
 * of the page is not blank.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { readAsk } from "../../src/human/asks.js";
import { createOfflineRepo, filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import { BOSUN_CLI } from "../helpers/run-bosun.js";
import {
  APPROVE,
  CHECK_SCRIPT,
  REJECT,
  RUN_OFFLINE,
  THREE_TASK_PLAN,
  writeTaskFile,
} from "../helpers/team-repo.js";

/** Debian's chromium (installed by .ci/run). */
const CHROMIUM = process.env.BOSUN_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** Where to keep the screenshot for a person to look at, if anywhere. */
const SCREENSHOT_FILE = process.env.BOSUN_TEST_SCREENSHOT;

const repos = useOfflineRepos();
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does), or point BOSUN_TEST_CHROMIUM at one.`,
    );
  // As root (CI), Chromium refuses to start without --no-sandbox.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** `bosun dashboard --port 0 --json` in the repo; resolves with its URLs once it listens. */
async function startDashboard(
  root: string,
  home: string,
): Promise<{ child: ChildProcess; url: string; loginUrl: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BOSUN_CLI, "dashboard", "--port", "0", "--json"], {
    cwd: root,
    env: {
      ...process.env,
      BOSUN_HOME: home,
      HOME: home,
      NO_COLOR: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf("\n");
      if (end !== -1) resolve(out.slice(0, end));
    });
    child.once("exit", (code) => reject(new Error(`bosun dashboard exited ${code}: ${stderr}`)));
  });
  const started = JSON.parse(first) as { url: string; loginUrl: string };
  return { child, ...started, stderr: () => stderr };
}

async function stopDashboard(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  return exited;
}

/**
 * How many distinct colours a PNG has (every 7th pixel), counted by the browser itself from a
 * data URL. A string, since this project's TypeScript has no DOM types.
 */
const COUNT_COLOURS = `async (base64) => {
  const image = new Image();
  image.src = "data:image/png;base64," + base64;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  const colours = new Set();
  for (let at = 0; at < data.length; at += 4 * 7)
    colours.add((data[at] << 16) | (data[at + 1] << 8) | data[at + 2]);
  return colours.size;
}`;

async function countColours(page: Page, png: Buffer): Promise<number> {
  const count: unknown = await page.evaluate(
    `(${COUNT_COLOURS})(${JSON.stringify(png.toString("base64"))})`,
  );
  return Number(count);
}

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

    const dashboard = await startDashboard(repo.root, repo.home);
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
