/**
 * How the dashboard's page redraws, in a real Chromium: a long journal is replayed in one batch
 * and drawn once, the clock moves idle timers without redrawing a section, an event redraws only
 * what it touched (a board card, not the board), and the timeline shows the newest 100 events.
 */
import { appendFile, writeFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunEventSchema, type RunEvent } from "../../src/store/schema/events.js";
import {
  SCREENSHOT_FILE,
  launchChromium,
  startDashboard,
  stopDashboard,
} from "../helpers/dashboard-browser.js";
import { createOfflineRepo, useOfflineRepos } from "../helpers/offline-repo.js";
import { createBosunEnv } from "../helpers/run-bosun.js";
import {
  makeJournal,
  makePlan,
  makePlanTask,
  makeTeamCreated,
  writeRunDir,
} from "../helpers/team-run.js";

const repos = useOfflineRepos();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const RUN_ID = "20261201-100000-abcd";
/** Gate events after the dispatch: a journal long enough that its replay spans many frames. */
const GATES = 4_000;

/** Records every lastSeq the page shows, from its first paint (window.seqs). */
const RECORD_SEQS = `document.addEventListener("DOMContentLoaded", () => {
  window.seqs = [];
  new MutationObserver(() => window.seqs.push(document.body.dataset.lastSeq)).observe(
    document.body, { attributes: true, attributeFilter: ["data-last-seq"] });
})`;

/** Keeps the page's current section and card nodes (window.kept), to compare with later ones. */
const KEEP_NODES = `window.kept = {
  header: document.querySelector("#run-header"),
  kpis: document.querySelector("#kpis"),
  lanes: document.querySelector("#lanes"),
  board: document.querySelector("#board"),
  plots: document.querySelector("#plots"),
  cardA: document.querySelector('[data-task="a"]'),
  cardB: document.querySelector('[data-task="b"]'),
  cardC: document.querySelector('[data-task="c"]'),
}`;

/** Which of the kept nodes are still the page's own. */
const SAME_NODES = `Object.fromEntries(Object.entries(window.kept).map(([name, node]) => [
  name,
  node === document.querySelector(name.startsWith("card")
    ? '[data-task="' + name.slice(4).toLowerCase() + '"]'
    : name === "header" ? "#run-header" : "#" + name),
]))`;

describe("the dashboard page redraws only what changed", () => {
  it("replays in one batch, ticks in place, redraws one card per task event, caps the timeline", async () => {
    const repo = await createOfflineRepo([]);
    repos.push(repo);
    const plan = makePlan([makePlanTask("a"), makePlanTask("b"), makePlanTask("c")]);
    const events = makeJournal([
      makeTeamCreated(RUN_ID),
      { type: "plan.created", taskIds: ["a", "b", "c"], attempt: 1 },
      { type: "task.status", taskId: "a", status: "running" },
      {
        type: "dispatch.started",
        taskId: "a",
        round: 1,
        seat: "worker",
        harness: "claude",
        attempt: 1,
      },
      ...Array.from({ length: GATES }, () => ({
        type: "gate.completed" as const,
        taskId: "a",
        round: 1,
        name: "verify",
        passed: true,
        detail: "ok",
      })),
    ]);
    // Stamped just now, so the worker's idle timer counts up from a few seconds.
    const nowMs = Date.now();
    const stamped = events.map((event): RunEvent => ({
      ...event,
      ts: new Date(nowMs).toISOString(),
    }));
    await writeRunDir(repo.paths, RUN_ID, stamped, plan);
    let seq = stamped.length;
    const append = async (input: Record<string, unknown>): Promise<void> => {
      seq += 1;
      const event = RunEventSchema.parse({ ...input, seq, ts: new Date().toISOString() });
      await appendFile(repo.paths.eventsFile(RUN_ID), `${JSON.stringify(event)}\n`);
      await page.waitForSelector(`body[data-last-seq="${seq}"]`, { timeout: 15_000 });
    };

    const dashboard = await startDashboard(repo.root, {
      ...process.env,
      ...createBosunEnv(repo.home),
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      const failures: string[] = [];
      page.on("pageerror", (error) => failures.push(error.message));
      await page.addInitScript(RECORD_SEQS);
      const startedMs = Date.now();
      await page.goto(`${dashboard.url}#run=${RUN_ID}`);
      await page.waitForSelector(`body[data-last-seq="${seq}"]`, { timeout: 60_000 });
      const replayMs = Date.now() - startedMs;
      // Drawn at first paint, on the clock's ticks while replaying, and once caught up: never per
      // frame (a render per frame shows dozens of seqs on the way).
      const seqs = await page.evaluate<string[]>("window.seqs");
      expect(new Set(seqs).size).toBeLessThanOrEqual(2 + Math.ceil(replayMs / 1000));
      expect(seqs.at(-1)).toBe(String(seq));
      // The newest 100 events, of 4,004.
      expect(await page.locator("#timeline [data-seq]").count()).toBe(100);
      expect(await page.getAttribute("#timeline [data-seq]", "data-seq")).toBe(String(seq));

      // The clock: the idle timer counts on, every section stays the node it was.
      const idle = '[data-lane="a/worker"] .idle';
      await page.evaluate(KEEP_NODES);
      const idleBefore = await page.textContent(idle);
      await page
        .locator(idle)
        .filter({ hasNotText: idleBefore ?? "" })
        .waitFor({ timeout: 5_000 });
      expect(await page.evaluate(SAME_NODES)).toEqual({
        header: true,
        kpis: true,
        lanes: true,
        board: true,
        plots: true,
        cardA: true,
        cardB: true,
        cardC: true,
      });

      // An event only the timeline shows: it goes on top, and nothing else is redrawn.
      await append({
        type: "gate.completed",
        taskId: "a",
        round: 1,
        name: "lint",
        passed: true,
        detail: "ok",
      });
      expect(await page.getAttribute("#timeline [data-seq]", "data-seq")).toBe(String(seq));
      expect(await page.locator("#timeline [data-seq]").count()).toBe(100);
      expect(await page.evaluate(SAME_NODES)).toMatchObject({
        header: true,
        kpis: true,
        lanes: true,
        board: true,
        cardA: true,
        cardB: true,
      });

      // Task b starts: its card (only) is redrawn, in the running column after a's; the counts
      // follow. The KPIs are redrawn; the board section and the other cards are not.
      await append({ type: "task.status", taskId: "b", status: "running" });
      expect(await page.evaluate(SAME_NODES)).toMatchObject({
        header: true,
        kpis: false,
        board: true,
        cardA: true,
        cardB: false,
        cardC: true,
      });
      expect(
        await page.evaluate(
          `[...document.querySelectorAll('[data-column="running"] [data-task]')].map((card) => card.dataset.task)`,
        ),
      ).toEqual(["a", "b"]);
      expect(await page.textContent('[data-column="running"] h3')).toBe("running (2)");
      expect(await page.textContent('[data-column="pending"] h3')).toBe("pending (1)");

      // A seat in two phases (a pipeline's stages) is two lanes, not one overwritten.
      for (const phase of ["p1", "p2"])
        await append({
          type: "dispatch.started",
          taskId: "b",
          phase,
          round: 1,
          seat: "worker",
          harness: "offline",
          attempt: 1,
        });
      expect(await page.locator('[data-lane^="b/"]').count()).toBe(2);
      expect(await page.textContent('[data-lane="b/p1/worker"]')).toContain("b · p1");
      expect(await page.textContent('[data-lane="b/p2/worker"]')).toContain("b · p2");
      expect(failures).toEqual([]);
    } catch (error) {
      if (SCREENSHOT_FILE !== undefined)
        await writeFile(SCREENSHOT_FILE, await page.screenshot({ fullPage: true }));
      throw error;
    } finally {
      await page.close();
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    }
  }, 120_000);
});
