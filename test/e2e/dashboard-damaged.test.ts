/**
 * `bosun dashboard` in a real Chromium with a run whose run.json is damaged: the page still lists
 * every run, the damaged one with its error, and opens a readable one (a damaged newest run
 * used to leave the page without its runs list).
 */
import { mkdir, writeFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, startDashboard, stopDashboard } from "../helpers/dashboard-browser.js";
import { createOfflineRepo, useOfflineRepos } from "../helpers/offline-repo.js";
import { createBosunEnv } from "../helpers/run-bosun.js";
import {
  TEAM_RUN_ID,
  makeJournal,
  makePlan,
  makePlanTask,
  makeTeamCreated,
  writeRunDir,
} from "../helpers/team-run.js";

/** Newer than TEAM_RUN_ID: the list's first entry. */
const DAMAGED_RUN_ID = "20261201-100000-dead";

const repos = useOfflineRepos();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe("the dashboard with a damaged run", () => {
  it("lists it with its error and opens a readable run", async () => {
    const repo = await createOfflineRepo([]);
    repos.push(repo);
    await writeRunDir(
      repo.paths,
      TEAM_RUN_ID,
      makeJournal([makeTeamCreated(), { type: "plan.created", taskIds: ["a"], attempt: 1 }]),
      makePlan([makePlanTask("a")]),
    );
    await mkdir(repo.paths.runDir(DAMAGED_RUN_ID), { recursive: true });
    await writeFile(repo.paths.runFile(DAMAGED_RUN_ID), "{ not json");
    const dashboard = await startDashboard(repo.root, {
      ...process.env,
      ...createBosunEnv(repo.home),
    });
    const page = await browser.newPage();
    try {
      await page.goto(dashboard.url);
      await page.waitForSelector(`h1 + .muted >> text=${TEAM_RUN_ID}`);
      const damaged = await page.textContent(`[data-run="${DAMAGED_RUN_ID}"]`);
      expect(damaged).toContain("damaged");
      expect(damaged).toContain(`Invalid ${repo.paths.runFile(DAMAGED_RUN_ID)}: not valid JSON`);
    } finally {
      await page.close();
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    }
  }, 60_000);
});
