/**
 * `notify:` in bosun.yaml through the built CLI with the offline agent: the command gets the
 * ask-opened and run-finished notifications as JSON on stdin (valid against `bosun _ schema
 * notify`), and a failing command is a warning, never the run's failure.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { createOfflineRepo, type OfflineSteps, useOfflineRepos } from "../helpers/offline-repo.js";
import { startDashboard, stopDashboard } from "../helpers/dashboard-browser.js";
import { createBosunEnv, expectNoInternalError } from "../helpers/run-bosun.js";
import { FEATURE_WORK, ONE_ROUND_REVIEW } from "../helpers/one-round-review.js";
import { waitFor } from "../helpers/wait-for.js";

/** The reviewer rejects round 1; with --max-rounds 1 the run asks a human and needs one. */
const STEPS: OfflineSteps = [
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
];

const repos = useOfflineRepos();

describe("notify: in bosun.yaml", () => {
  it("runs the command with the ask-opened and run-finished notifications as JSON on stdin", async () => {
    const home = await createOfflineRepo([]);
    repos.push(home);
    // The file is outside the repository: the run must start on a clean tree.
    const received = join(home.home, "notifications.jsonl");
    const repo = await createOfflineRepo(STEPS, {
      notify: { command: `cat >> '${received}'`, timeoutSec: 10 },
    });
    repos.push(repo);
    const result = await repo.runCli(ONE_ROUND_REVIEW);
    expectNoInternalError(result);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).not.toContain("notify");
    const { runId, run } = await repo.readOnlyRun();

    const lines = (await readFile(received, "utf8")).split("\n").filter((line) => line !== "");
    const notifications = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(notifications).toMatchObject([
      {
        contract: 1,
        kind: "ask.opened",
        runId,
        event: { type: "ask.created", askId: run.openAskIds[0] },
        ask: {
          id: run.openAskIds[0],
          options: [{ key: "more" }, { key: "accept" }, { key: "abort" }],
        },
      },
      {
        contract: 1,
        kind: "run.finished",
        runId,
        status: "needs_human",
        event: { type: "run.completed", status: "needs_human" },
      },
    ]);
    const published = JSON.parse((await repo.runCli(["_", "schema", "notify"])).stdout) as {
      schema: object;
    };
    const validate = new Ajv2020({ strict: false }).compile(published.schema);
    for (const notification of notifications) expect(validate(notification)).toBe(true);
  });

  it("sends only the kinds in notify.on, as an argv list, and a failing command is a warning", async () => {
    const failing = await createOfflineRepo(STEPS, {
      notify: { command: ["/bin/sh", "-c", "echo no phone >&2; exit 7"] },
    });
    repos.push(failing);
    const failed = await failing.runCli(ONE_ROUND_REVIEW);
    expectNoInternalError(failed);
    // The run's outcome is its own: it needs a human, whatever the notify command did.
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toContain(
      "The notify command (notify.command in bosun.yaml) failed on ask.opened: it exited with code 7: no phone",
    );
    expect((await failing.readOnlyRun()).run.status).toBe("needs_human");

    const onlyFinished = await createOfflineRepo(STEPS, {
      notify: { command: ["/bin/sh", "-c", 'cat >> "$0"', "finished.jsonl"], on: ["run.finished"] },
    });
    repos.push(onlyFinished);
    expect((await onlyFinished.runCli(ONE_ROUND_REVIEW)).exitCode).toBe(3);
    const file = join(onlyFinished.root, "finished.jsonl");
    expect(existsSync(file)).toBe(true);
    const kinds = (await readFile(file, "utf8"))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => (JSON.parse(line) as { kind: string }).kind);
    expect(kinds).toEqual(["run.finished"]);
  });

  it("notifies from the dashboard when an answer there continues the run", async () => {
    const home = await createOfflineRepo([]);
    repos.push(home);
    const received = join(home.home, "notifications.jsonl");
    const repo = await createOfflineRepo(STEPS, {
      notify: { command: `cat >> '${received}'`, on: ["run.finished"], timeoutSec: 10 },
    });
    repos.push(repo);
    expect((await repo.runCli(ONE_ROUND_REVIEW)).exitCode).toBe(3);
    const { runId, run } = await repo.readOnlyRun();
    expect(existsSync(received)).toBe(true);
    const readKinds = async (): Promise<string[]> =>
      (await readFile(received, "utf8"))
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => (JSON.parse(line) as { kind: string; runId: string }).kind);
    expect(await readKinds()).toEqual(["run.finished"]);

    // A script's request, with the token every change needs: the dashboard's process continues
    // the run.
    const dashboard = await startDashboard(repo.root, {
      ...process.env,
      ...createBosunEnv(repo.home),
    });
    try {
      const response = await fetch(new URL(`api/asks/${run.openAskIds[0]}/answer`, dashboard.url), {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${dashboard.token}`,
        },
        body: JSON.stringify({ answer: "accept" }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      await waitFor("the second run.finished notification", async () => {
        expect(await readKinds()).toEqual(["run.finished", "run.finished"]);
        return true;
      });
    } finally {
      expect(await stopDashboard(dashboard.child), dashboard.stderr()).toBe(0);
    }
    const last = (await readFile(received, "utf8")).trim().split("\n").at(-1) ?? "";
    expect(JSON.parse(last)).toMatchObject({ kind: "run.finished", runId });
    expect((await repo.readOnlyRun()).run.status).toBe("succeeded");
  });
});
