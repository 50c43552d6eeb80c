/**
 * The dashboard's pulse API over real HTTP: `/api/pulse` (the object `bosun _ state` prints),
 * approving one held move of a decision while the other stays held, rejecting the rest, the
 * token rules every POST follows, refusals with their statuses, and the store stream telling the
 * page of the pulse's changes.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  HELD_DECISION_ID,
  makePulseEnv,
  writeHeldDecision,
} from "../../test/helpers/pulse-held.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { PulseEnv } from "../flows/pulse/pulse-env.js";
import { isOpen, readAsk } from "../human/asks.js";
import { readDecisionRecord, readPulseJournalTail } from "../store/pulse-store.js";
import { DEFAULT_CONFIG } from "../store/schema/config-defaults.js";
import { startDashboard, type Dashboard } from "./server.js";

const dashboards: Dashboard[] = [];
afterEach(async () => {
  for (const dashboard of dashboards.splice(0)) await dashboard.close();
});

async function start(env: PulseEnv): Promise<Dashboard> {
  const dashboard = await startDashboard({
    paths: env.paths,
    host: "127.0.0.1",
    port: 0,
    getConfig: () => Promise.resolve(DEFAULT_CONFIG),
    getPulseEnv: () => Promise.resolve(env),
  });
  dashboards.push(dashboard);
  return dashboard;
}

async function call(
  dashboard: Dashboard,
  urlPath: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(urlPath, dashboard.url), init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function post(
  dashboard: Dashboard,
  urlPath: string,
  body: unknown,
  headers: Record<string, string> = { Authorization: `Bearer ${dashboard.token}` },
): Promise<{ status: number; body: Record<string, unknown> }> {
  return call(dashboard, urlPath, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

const APPROVE = `/api/pulse/decisions/${HELD_DECISION_ID}/approve`;
const REJECT = `/api/pulse/decisions/${HELD_DECISION_ID}/reject`;

async function readStatuses(env: PulseEnv): Promise<string[]> {
  const record = await readDecisionRecord(env.paths, HELD_DECISION_ID);
  return record?.actions.map((item) => item.status) ?? [];
}

describe("the dashboard's pulse", () => {
  it("says there is no pulse where none was set up", async () => {
    const env = makePulseEnv(await makeTestDir());
    const dashboard = await start(env);
    expect(await call(dashboard, "/api/pulse")).toEqual({
      status: 200,
      body: { contract: 1, state: null },
    });
  });

  it("serves bosun _ state's object: readings (a failed one with its reason), held moves described, the journal", async () => {
    const env = makePulseEnv(await makeTestDir());
    await writeHeldDecision(env);
    const dashboard = await start(env);
    const { status, body } = await call(dashboard, "/api/pulse");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      contract: 1,
      state: {
        daemon: { isRunning: false },
        readings: [
          { name: "ci", status: "ok", signal: "green" },
          { name: "deploys", status: "failed", error: "exited 2: cannot reach the server" },
        ],
        heldDecision: {
          id: HELD_DECISION_ID,
          actions: [
            { index: 1, status: "awaiting", description: "delete old-a.txt" },
            { index: 2, status: "awaiting", description: "delete old-b.txt" },
            { index: 3, status: "done", description: "write goal tidy" },
          ],
        },
      },
    });
    const state = body.state as { journalTail: string[]; openAsks: unknown[] };
    expect(state.journalTail.join("\n")).toContain("#1 delete old-a.txt — held for a human");
    expect(state.openAsks).toHaveLength(1);
  });

  it("approves one held move (it runs, the other stays held), then rejects the rest", async () => {
    const env = makePulseEnv(await makeTestDir());
    const record = await writeHeldDecision(env);
    const dashboard = await start(env);

    const approved = await post(dashboard, APPROVE, { only: [1] });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      contract: 1,
      decision: {
        id: HELD_DECISION_ID,
        actions: [{ status: "done" }, { status: "awaiting" }, { status: "done" }],
      },
    });
    expect(existsSync(path.join(env.repoRoot, "old-a.txt"))).toBe(false);
    expect(existsSync(path.join(env.repoRoot, "old-b.txt"))).toBe(true);
    expect(await readStatuses(env)).toEqual(["done", "awaiting", "done"]);
    const after = (await call(dashboard, "/api/pulse")).body.state as {
      heldDecision: { actions: Array<{ status: string; decidedBy?: string }> };
    };
    expect(after.heldDecision.actions[0]).toMatchObject({ status: "done", decidedBy: "dashboard" });
    // The ask stays open while a move is still held.
    expect(isOpen(await readAsk(env.paths, record.askId ?? ""))).toBe(true);

    const rejected = await post(dashboard, REJECT, {});
    expect(rejected.status).toBe(200);
    expect(await readStatuses(env)).toEqual(["done", "rejected", "done"]);
    expect(existsSync(path.join(env.repoRoot, "old-b.txt"))).toBe(true);
    expect(isOpen(await readAsk(env.paths, record.askId ?? ""))).toBe(false);
    expect((await call(dashboard, "/api/pulse")).body).toMatchObject({
      state: { heldDecision: null },
    });
    const journal = (await readPulseJournalTail(env.paths, 10)).join("\n");
    expect(journal).toContain("#1 delete old-a.txt — approved (dashboard)");
    expect(journal).toContain("#2 delete old-b.txt — rejected (dashboard)");
  });

  it("needs the token for an approval, as every POST does; a page opened without it is read-only", async () => {
    const env = makePulseEnv(await makeTestDir());
    await writeHeldDecision(env);
    const dashboard = await start(env);
    const bare = await post(dashboard, APPROVE, {}, {});
    expect(bare.status).toBe(401);
    expect(String(bare.body.error)).toContain("token");
    const cookieElsewhere = await post(
      dashboard,
      APPROVE,
      {},
      { Cookie: `bosun_dashboard=${dashboard.token}`, Origin: "http://evil.example" },
    );
    expect(cookieElsewhere.status).toBe(403);
    const wrong = await post(dashboard, APPROVE, {}, { Authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(await readStatuses(env)).toEqual(["awaiting", "awaiting", "done"]);
    expect(existsSync(path.join(env.repoRoot, "old-a.txt"))).toBe(true);
    // The page's own origin with the login cookie may.
    const own = await post(
      dashboard,
      REJECT,
      { only: [2] },
      { Cookie: `bosun_dashboard=${dashboard.token}`, Origin: new URL(dashboard.url).origin },
    );
    expect(own.status).toBe(200);
    expect(await readStatuses(env)).toEqual(["awaiting", "rejected", "done"]);
  });

  it("refuses what cannot be settled, saying why: bad moves 400, a move not held 409, no such decision 400", async () => {
    const env = makePulseEnv(await makeTestDir());
    await writeHeldDecision(env);
    const dashboard = await start(env);
    for (const only of [[], ["1"], [0], 1.5, "1"]) {
      const refused = await post(dashboard, APPROVE, { only });
      expect(refused.status, JSON.stringify(only)).toBe(400);
      expect(String(refused.body.error)).toContain('"only" must be a list of move numbers');
    }
    const notHeld = await post(dashboard, APPROVE, { only: [3] });
    expect(notHeld.status).toBe(409);
    expect(String(notHeld.body.error)).toContain("Move #3 of");
    const missing = await post(
      dashboard,
      "/api/pulse/decisions/D-20990101-000000-0000/approve",
      {},
    );
    expect(missing.status).toBe(400);
    expect(String(missing.body.error)).toContain("No decision D-20990101-000000-0000");
    const badId = await post(dashboard, "/api/pulse/decisions/..%2Fx/approve", {});
    expect(badId.status).toBe(400);
    const badVerb = await post(dashboard, `/api/pulse/decisions/${HELD_DECISION_ID}/maybe`, {});
    expect(badVerb.status).toBe(404);
    expect(await readStatuses(env)).toEqual(["awaiting", "awaiting", "done"]);
  });

  it("tells the page's store stream when the pulse changes", async () => {
    const env = makePulseEnv(await makeTestDir());
    await writeHeldDecision(env);
    const dashboard = await start(env);
    const controller = new AbortController();
    const response = await fetch(new URL("/api/stream", dashboard.url), {
      signal: controller.signal,
    });
    let text = "";
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
          text += decoder.decode(chunk, { stream: true });
      } catch {
        // Aborted at the end of the test.
      }
    })();
    await waitFor("the stream to be ready", () =>
      text.includes("event: ready") ? true : undefined,
    );
    await post(dashboard, APPROVE, { only: [1] });
    await waitFor("a pulse change", () => (text.includes('"change":"pulse"') ? true : undefined));
    controller.abort();
    await reading;
  });
});
