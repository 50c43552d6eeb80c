/**
 * `bosun stop` on a run the dashboard drives: the stop is a request for that run alone, so the
 * run pauses (its reason says who asked) while the dashboard, which may drive other runs, keeps
 * serving; it is not sent SIGTERM.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDashboard, stopDashboard } from "../helpers/dashboard-browser.js";
import {
  GOAL_TASK_ID,
  createOfflineRepo,
  filterEvents,
  useOfflineRepos,
} from "../helpers/offline-repo.js";
import { createBosunEnv, expectNoInternalError } from "../helpers/run-bosun.js";
import { FEATURE_WORK, ONE_ROUND_REVIEW } from "../helpers/one-round-review.js";
import { waitFor } from "../helpers/wait-for.js";

const repos = useOfflineRepos();

describe("bosun stop on a run the dashboard drives", () => {
  it("pauses that run with the requested-stop reason; the dashboard keeps serving and exits 0 later", async () => {
    // Round 1 is rejected and, at --max-rounds 1, asks a human; answered "more" in the
    // dashboard, round 2's worker talks, then hangs until stopped.
    const repo = await createOfflineRepo([
      { role: "worker", round: 1, actions: FEATURE_WORK },
      {
        role: "reviewer",
        round: 1,
        actions: [
          {
            report: {
              decision: "changes_required",
              blocking_issues: [{ severity: "high", file: "feature.txt", reason: "say FEATURE" }],
            },
          },
        ],
      },
      { role: "worker", round: 2, actions: [{ say: "working on round 2" }, { sleepMs: 120_000 }] },
    ]);
    repos.push(repo);
    expect((await repo.runCli(ONE_ROUND_REVIEW)).exitCode).toBe(3);
    const { runId, run } = await repo.readOnlyRun();

    const dashboard = await startDashboard(repo.root, {
      ...process.env,
      ...createBosunEnv(repo.home),
    });
    try {
      const origin = dashboard.url.replace(/\/$/, "");
      const answered = await fetch(new URL(`api/asks/${run.openAskIds[0]}/answer`, dashboard.url), {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Origin: origin,
          Authorization: `Bearer ${dashboard.token}`,
        },
        body: JSON.stringify({ answer: "more" }),
      });
      expect(answered.status, await answered.clone().text()).toBe(200);
      expect(await answered.json()).toMatchObject({ runId, isContinuing: true });
      // The dashboard's process drives round 2 now; stopped once its worker is at work.
      await waitFor("round 2's worker to start", async () => {
        const log = join(repo.paths.attemptDir(runId, GOAL_TASK_ID, 2, "worker", 1), "agent.log");
        const text = await readFile(log, "utf8").catch(() => "");
        return text.includes("working on round 2") ? true : undefined;
      });

      const stopped = await repo.runCli(["stop", runId]);
      expectNoInternalError(stopped);
      expect(stopped.exitCode, stopped.stderr).toBe(0);
      expect(stopped.stderr).toContain(`asked process ${dashboard.child.pid} to stop it`);
      expect(stopped.stderr).not.toContain("SIGTERM");
      expect(stopped.stdout).toContain(`Continue it with: bosun review --resume ${runId}`);

      const after = await repo.readOnlyRun();
      expect(after.run.status).toBe("paused");
      expect(after.run.reason).toBe("stop requested with bosun stop");
      expect(filterEvents(after.events, "run.paused").at(-1)?.reason).toBe(
        "stop requested with bosun stop",
      );
      expect(filterEvents(after.events, "dispatch.cancelled", { round: 2 })).toHaveLength(1);
      // Answered and removed by the run's process before it let go.
      await expect(readFile(repo.paths.stopRequestFile(runId))).rejects.toThrow("ENOENT");

      // The dashboard was not signalled: it still serves, and stops cleanly when asked to.
      expect(dashboard.child.exitCode).toBeNull();
      expect(dashboard.stderr()).not.toContain("Stopping agents");
      const runs = await fetch(new URL("api/runs", dashboard.url), {
        headers: { Authorization: `Bearer ${dashboard.token}` },
      });
      expect(runs.status).toBe(200);
      expect(await runs.text()).toContain(runId);
    } finally {
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    }
  }, 120_000);
});
