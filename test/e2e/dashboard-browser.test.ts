/**
 * `bosun dashboard` in a real Chromium (Debian's, driven by playwright-core): a team run with the
 * offline agent shows up and its tasks move on the board live (no reload), an ask answered from
 * the page continues the run in the dashboard's process, the cost plot renders, a task's diff
 * opens (and says to log in without the token), and a screenshot of the page is not blank; a plan
 * approved from the page continues its run; a run another process drives shows its agent's tail
 * live and is stopped from the page, resumable; spend and idle timers turn amber, then red.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { readAsk } from "../../src/human/asks.js";
import { listRunIds, readRun, readRunEvents } from "../../src/store/run-read.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import {
  SCREENSHOT_FILE,
  countColours,
  launchChromium,
  startDashboard,
  stopDashboard,
} from "../helpers/dashboard-browser.js";
import {
  createOfflineRepo,
  filterEvents,
  useOfflineRepos,
  type OfflineRepo,
  type OfflineSteps,
} from "../helpers/offline-repo.js";
import { createBosunEnv } from "../helpers/run-bosun.js";
import {
  APPROVE,
  CHECK_SCRIPT,
  REJECT,
  RUN_OFFLINE,
  THREE_TASK_PLAN,
  writeTaskFile,
} from "../helpers/team-repo.js";
import {
  makeDispatch,
  makeJournal,
  makePlan,
  makePlanTask,
  makeTeamCreated,
  writeRunDir,
} from "../helpers/team-run.js";
import { waitFor } from "../helpers/wait-for.js";

const repos = useOfflineRepos();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** A repo with check.sh committed whose offline agent plays `steps`. */
async function createDashboardRepo(steps: OfflineSteps): Promise<OfflineRepo> {
  const repo = await createOfflineRepo(steps, {}, { cliTimeoutMs: 120_000 });
  repos.push(repo);
  await writeFile(join(repo.root, "check.sh"), CHECK_SCRIPT);
  await repo.git(["add", "check.sh"]);
  await repo.git(["commit", "-q", "-m", "check.sh"]);
  return repo;
}

/** The plan of one task, a (fast to run and to resume). */
const ONE_TASK_PLAN = { ...THREE_TASK_PLAN, tasks: THREE_TASK_PLAN.tasks.slice(0, 1) };

/** The colour an element is drawn in, as the browser computed it ("rgb(r, g, b)"). */
async function readColour(page: Page, selector: string): Promise<string> {
  const colour: unknown = await page.evaluate(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).color`,
  );
  return String(colour);
}

/** `promise`, or a failure naming `what` once `timeoutMs` passed without it settling. */
async function settleWithin<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** style.css's --amber and --red. */
const AMBER = "rgb(210, 153, 34)";
const RED = "rgb(248, 81, 73)";

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

      // A card opens its task's diff: what its merge brought in. Pressed, two frames, released:
      // the press takes the focus from the answered ask's form, whose section then catches up and
      // shrinks above the board. Drawn before the release, the board would move under the
      // pointer and the click be lost; the page waits for the release.
      const toggle = await page.waitForSelector('#board [data-diff-toggle="a"]');
      const box = await toggle.boundingBox();
      if (box === null) throw new Error("the diff toggle of task a is not on screen");
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.evaluate(
        "new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))",
      );
      await page.mouse.up();
      // The diff, or why there is none: a failure then says what the page said.
      const shown = await page
        .waitForSelector('#board pre.diff[data-diff="a"], #board .diff-error[data-diff="a"]', {
          timeout: 60_000,
        })
        .catch(async (error: unknown) => {
          // What the page shows instead: the toggle, the diff's place, the journal it has.
          const seen = await page.evaluate(
            "JSON.stringify({ lastSeq: document.body.dataset.lastSeq, connection: document.getElementById('connection')?.textContent, toggle: document.querySelector('#board [data-diff-toggle=\"a\"]')?.outerHTML, diffs: [...document.querySelectorAll('#board .board-diff')].map((node) => node.outerHTML.slice(0, 300)), notice: document.getElementById('notice')?.textContent })",
          );
          throw new Error(`the diff of task a never showed: ${String(seen)}`, { cause: error });
        });
      expect(await shown.textContent()).toContain("+a");
      const diff = await page.waitForSelector('#board pre.diff[data-diff="a"]');
      expect(await diff.textContent()).toContain("+a");
      expect(await page.textContent("#board pre.diff .d-add")).toContain("+");
      // Without the token (a page that never used the login link) diffs and tails are refused,
      // and the page says how to get in.
      const anonymous = await browser.newPage();
      try {
        await anonymous.goto(dashboard.url);
        await anonymous.click('#board [data-diff-toggle="a"]');
        const refused = await anonymous.waitForSelector('#board .diff-error[data-diff="a"]');
        expect(await refused.textContent()).toContain("open the login link");
        expect(await anonymous.$("pre.diff")).toBeNull();
        await anonymous.click('[data-tail-toggle="a/worker"]');
        await anonymous.waitForSelector(
          '[data-tail="a/worker"] .notice >> text=open the login link',
        );
      } finally {
        await anonymous.close();
      }

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
  it("approves a gated plan from the page; follows another process's agent live and stops its run", async () => {
    const repo = await createDashboardRepo([
      { seat: "planner", actions: [{ report: ONE_TASK_PLAN }] },
      { seat: "worker", actions: writeTaskFile("a") },
      { seat: "critic", actions: [APPROVE] },
    ]);
    const dashboard = await startDashboard(repo.root, {
      ...process.env,
      ...createBosunEnv(repo.home),
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    try {
      const failures: string[] = [];
      page.on("pageerror", (error) => failures.push(error.message));
      await page.goto(dashboard.loginUrl);

      // The CLI plans and stops for approval; the page approves and the dashboard runs the rest.
      expect((await repo.runCli([...RUN_OFFLINE, "--gate-plan"])).exitCode).toBe(3);
      const [gated = ""] = await listRunIds(repo.paths);
      await page.click("#approve-plan", { timeout: 30_000 });
      await page.waitForSelector('[data-task="a"][data-status="merged"]', { timeout: 60_000 });
      await page.waitForSelector(".muted >> .s-succeeded", { timeout: 60_000 });
      expect((await readAsk(repo.paths, `ask-${gated}-plan`)).answer).toMatchObject({
        answer: "approve",
        source: "dashboard",
      });

      // A run in another process whose worker talks, then hangs.
      await repo.writeScript([
        { seat: "planner", actions: [{ report: ONE_TASK_PLAN }] },
        {
          seat: "worker",
          times: 1,
          actions: [
            { say: "starting on a" },
            { sleepMs: 1_000 },
            { say: "still on a" },
            { sleepMs: 120_000 },
          ],
        },
        { seat: "worker", actions: writeTaskFile("a") },
        { seat: "critic", actions: [APPROVE] },
      ]);
      const run = repo.startCli(RUN_OFFLINE);
      const runId = await waitFor("the second run's directory", async () =>
        (await listRunIds(repo.paths)).find((id) => id !== gated),
      );
      await page.click(`[data-run="${runId}"]`);
      await page.waitForSelector('[data-lane="a/worker"][data-state="working"]', {
        timeout: 30_000,
      });
      // Its tail comes from the agent.log on disk: this dashboard drives nothing of this run.
      await page.click('[data-tail-toggle="a/worker"]');
      await page.waitForSelector('[data-tail="a/worker"] >> text=still on a', { timeout: 30_000 });
      expect(await page.textContent('[data-tail="a/worker"]')).toContain("starting on a");

      await page.click("#stop-run");
      // Well before the CLI call's own timeout, which would also end it (paused, like a stop).
      const ended = await settleWithin(run.result, 15_000, "the run's process to end after Stop");
      expect(ended.exitCode, ended.stderr).not.toBe(0);
      expect((await readRun(repo.paths, runId))?.status).toBe("paused");
      await page.waitForSelector(".muted >> .s-paused", { timeout: 30_000 });
      expect(await page.textContent("#notice")).toContain(`Stopped ${runId}`);
      // Told from the page while it is paused. Typed slowly, across the page's one-second
      // re-renders: the field keeps its focus, so every key lands.
      const message = "a: keep the greeting short";
      await page.selectOption('#tell select[name="task"]', "a");
      await page.click('#tell input[name="tell"]');
      await page.keyboard.type(message, { delay: 60 });
      expect(await page.inputValue('#tell input[name="tell"]')).toBe(message);
      await page.click('#tell button[type="submit"]');
      await page.waitForSelector("#notice >> text=next worker prompt", { timeout: 30_000 });

      // Paused, not lost: a resume finishes it (the worker's second dispatch is a quick one),
      // and that dispatch's prompt carries the message.
      const resumed = await repo.runCli(["run", "--resume", runId]);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect((await readRun(repo.paths, runId))?.status).toBe("succeeded");
      expect(
        filterEvents(await readRunEvents(repo.paths, runId), "tell.delivered").map((event) => [
          event.taskId,
          event.text,
          event.source,
        ]),
      ).toEqual([["a", message, "dashboard"]]);
      expect(failures).toEqual([]);
    } catch (error) {
      if (SCREENSHOT_FILE !== undefined)
        await writeFile(SCREENSHOT_FILE, await page.screenshot({ fullPage: true }));
      throw error;
    } finally {
      await page.close();
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    }
  }, 180_000);

  it("turns spend amber at 80 % of the budget and red at 95 %, and a silent agent's idle timer too", async () => {
    const repo = await createDashboardRepo([]);
    const plan = makePlan([makePlanTask("a")]);
    // Runs of $5 budgets whose critic has been silent for a while, ending now.
    const writeRun = async (runId: string, spentUsd: number, idleSec: number): Promise<void> => {
      const events = makeJournal([
        makeTeamCreated(runId),
        { type: "plan.created", taskIds: ["a"], attempt: 1 },
        { type: "task.status", taskId: "a", status: "running" },
        ...makeDispatch("a", 1, "worker", "claude", spentUsd),
        {
          type: "dispatch.started",
          taskId: "a",
          round: 1,
          seat: "critic",
          harness: "codex",
          attempt: 1,
        },
      ]);
      const lastMs = Date.now() - idleSec * 1000;
      const stamped = events.map((event, index): RunEvent => ({
        ...event,
        ts: new Date(lastMs - (events.length - 1 - index) * 1000).toISOString(),
      }));
      await writeRunDir(repo.paths, runId, stamped, plan);
    };
    await writeRun("20261201-100000-aaaa", 2.5, 5);
    await writeRun("20261201-100000-bbbb", 4.2, 90);
    await writeRun("20261201-100000-cccc", 4.9, 400);
    const dashboard = await startDashboard(repo.root, {
      ...process.env,
      ...createBosunEnv(repo.home),
    });
    const page = await browser.newPage();
    try {
      const spend = '[data-kpi="spend"]';
      const idle = '[data-lane="a/critic"] .idle';
      const show = async (runId: string): Promise<void> => {
        await page.click(`[data-run="${runId}"]`);
        await page.waitForSelector(`h1 + .muted >> text=${runId}`);
        await page.waitForSelector(idle);
      };
      await page.goto(dashboard.url);
      await show("20261201-100000-aaaa");
      expect(await page.getAttribute(spend, "class")).toBe("kpi ");
      expect(await page.getAttribute(idle, "class")).toBe("idle ");
      expect(await page.getAttribute('[data-lane="a/critic"]', "data-state")).toBe("working");
      await show("20261201-100000-bbbb");
      expect(await page.getAttribute(spend, "class")).toContain("amber");
      expect(await readColour(page, `${spend} b`)).toBe(AMBER);
      expect(await page.getAttribute(idle, "class")).toContain("amber");
      expect(await readColour(page, idle)).toBe(AMBER);
      await show("20261201-100000-cccc");
      expect(await page.getAttribute(spend, "class")).toContain("red");
      expect(await readColour(page, `${spend} b`)).toBe(RED);
      expect(await page.getAttribute(idle, "class")).toContain("red");
      expect(await readColour(page, idle)).toBe(RED);
      // Silent that long, the agent is shown as stalled.
      expect(await page.getAttribute('[data-lane="a/critic"]', "data-state")).toBe("stalled");
    } finally {
      await page.close();
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    }
  }, 60_000);
});
