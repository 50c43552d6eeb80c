/**
 * The dashboard's server over real HTTP on a free port: the JSON API on a hand-made team run,
 * the SSE stream resumed with Last-Event-ID and live as the journal grows, the answer action,
 * and the security rules (token on a non-loopback bind, the login link, the token for every POST).
 */
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { request } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { writeAsk } from "../human/asks.js";
import { readTells } from "../human/tells.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { acquireRunLock } from "../store/run-lock.js";
import { RunEventSchema, type RunEvent } from "../store/schema/events.js";
import { DEFAULT_CONFIG } from "../store/schema/config-defaults.js";
import {
  TEAM_RUN_ID,
  makeDispatch,
  makeJournal,
  makePlan,
  makePlanTask,
  makeTeamCreated,
  writeRunDir,
} from "../../test/helpers/team-run.js";
import { commitOnBranch, makeGitRepo } from "../../test/helpers/git-repo.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { runGit } from "../workspace/git.js";
import { createEventBus } from "../flows/event-bus.js";
import type { BosunEvent } from "../flows/events.js";
import { createDashboardActions } from "./actions.js";
import { createDashboardAuth } from "./auth.js";
import { createDashboardApp, startDashboard, type Dashboard } from "./server.js";
import { startStoreWatch } from "./store-watch.js";

const EVENTS: RunEvent[] = makeJournal([
  makeTeamCreated(),
  { type: "plan.created", taskIds: ["a", "b"], attempt: 1 },
  { type: "plan.approved", by: "auto" },
  { type: "task.status", taskId: "a", status: "running" },
  { type: "round.started", taskId: "a", round: 1, head: "b".repeat(40) },
  ...makeDispatch("a", 1, "worker", "claude", 0.25),
  { type: "ask.created", askId: "ask-b-1", taskId: "b", question: "Merge b anyway?" },
]);

const PLAN = makePlan([makePlanTask("a"), makePlanTask("b", ["a"])]);

const dashboards: Dashboard[] = [];
afterEach(async () => {
  for (const dashboard of dashboards.splice(0)) await dashboard.close();
  vi.unstubAllEnvs();
});

async function makeRepo(): Promise<BosunPaths> {
  const paths = createBosunPaths(await makeTestDir());
  await writeRunDir(paths, TEAM_RUN_ID, EVENTS, PLAN);
  await writeAsk(paths, {
    version: 1,
    id: "ask-b-1",
    runId: TEAM_RUN_ID,
    createdAt: "2026-12-01T09:00:08.000Z",
    question: "Merge b anyway?",
    options: [
      { key: "accept", label: "merge it" },
      { key: "abort", label: "drop it" },
    ],
    context: "",
  });
  await mkdir(paths.bosunDir, { recursive: true });
  const cost = (runId: string, costUsd: number): string =>
    `${JSON.stringify({ ts: "2026-12-01T09:00:06.000Z", runId, taskId: "a", round: 1, seat: "worker", harness: "claude", inputTokens: 1, cachedInputTokens: 0, outputTokens: 1, costUsd, isCostEstimated: false })}\n`;
  await writeFile(paths.costsFile, cost(TEAM_RUN_ID, 0.25) + cost("20261201-080000-ffff", 9));
  return paths;
}

async function start(paths: BosunPaths, host = "127.0.0.1"): Promise<Dashboard> {
  const dashboard = await startDashboard({
    paths,
    host,
    port: 0,
    getConfig: () => Promise.resolve(DEFAULT_CONFIG),
  });
  dashboards.push(dashboard);
  return dashboard;
}

/** Reads JSON from the dashboard (same origin for POSTs, as the page sends them). */
async function call(
  dashboard: Dashboard,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(path, dashboard.url), init);
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** POSTs JSON with the bearer token, as a script does (every change needs the token). */
function post(
  dashboard: Dashboard,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return call(dashboard, path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${dashboard.token}` },
    body: JSON.stringify(body),
  });
}

/** A raw request, for headers fetch will not let a test choose (Host). */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** An SSE client that collects messages and can wait for the n-th one. */
async function openStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<{
  messages: Array<{ id?: string; event?: string; data: string }>;
  waitFor: (count: number) => Promise<void>;
  close: () => void;
}> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const messages: Array<{ id?: string; event?: string; data: string }> = [];
  let waiters: Array<() => void> = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: { id?: string; event?: string; data: string } = { data: "" };
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) message.id = line.slice(4);
            else if (line.startsWith("event: ")) message.event = line.slice(7);
            else if (line.startsWith("data: ")) message.data += line.slice(6);
          }
          if (!block.startsWith(":")) messages.push(message);
          end = buffer.indexOf("\n\n");
        }
        for (const wake of waiters) wake();
      }
    } catch {
      // Aborted by close(): the test is done with the stream.
    }
  })();
  return {
    messages,
    waitFor: (count) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (messages.length >= count) {
            waiters = waiters.filter((wake) => wake !== check);
            resolve();
          }
        };
        waiters.push(check);
        check();
      }),
    close: () => controller.abort(),
  };
}

describe("starting", () => {
  it("closes what it opened when it cannot listen (a taken port), so the process can exit", async () => {
    const paths = await makeRepo();
    const taken = await start(paths);
    const port = Number(new URL(taken.url).port);
    const watchers = (): number =>
      process.getActiveResourcesInfo().filter((name) => name === "FSEventWrap").length;
    const before = watchers();
    await expect(
      startDashboard({
        paths,
        host: "127.0.0.1",
        port,
        getConfig: () => Promise.resolve(DEFAULT_CONFIG),
      }),
    ).rejects.toThrow(`port ${port} is taken: give another with --port`);
    // A watcher's handle goes a moment after close().
    await waitFor("the watchers to close", () => (watchers() === before ? true : undefined), {
      timeoutMs: 2_000,
    });
  });
});

describe("the JSON API", () => {
  it("lists runs and serves a run, its board, events since a seq, asks and costs", async () => {
    const paths = await makeRepo();
    const dashboard = await start(paths);
    const runs = await call(dashboard, "/api/runs");
    expect(runs.status).toBe(200);
    expect(runs.body.runs).toMatchObject([
      {
        id: TEAM_RUN_ID,
        flow: "team",
        status: "running",
        costUsd: 0.25,
        budgetUsd: 5,
        openAskIds: ["ask-b-1"],
      },
    ]);
    const run = await call(dashboard, `/api/runs/${TEAM_RUN_ID}`);
    expect(run.body).toMatchObject({
      run: { id: TEAM_RUN_ID, eventCount: 8 },
      isDrivenHere: false,
    });
    const board = await call(dashboard, `/api/runs/${TEAM_RUN_ID}/board`);
    expect(board.body.board).toMatchObject({
      eventCount: 8,
      tasks: [
        { id: "a", status: "running", costUsd: 0.25 },
        { id: "b", status: "pending", blockedBy: ["a"], openAskIds: ["ask-b-1"] },
      ],
    });
    const since = await call(dashboard, `/api/runs/${TEAM_RUN_ID}/events?since=6&limit=1`);
    expect(since.body).toMatchObject({
      lastSeq: 8,
      events: [{ seq: 7, type: "dispatch.completed" }],
    });
    const asks = await call(dashboard, `/api/asks?run=${TEAM_RUN_ID}`);
    expect(asks.body.asks).toMatchObject([{ ask: { id: "ask-b-1" }, answer: null, isOpen: true }]);
    const costs = await call(dashboard, `/api/runs/${TEAM_RUN_ID}/costs`);
    expect(costs.body).toMatchObject({ totalUsd: 0.25, budgetUsd: 5, lines: [{ costUsd: 0.25 }] });
  });

  it("sends no secret: provider keys in the environment appear in no answer, with the token or without", async () => {
    const secret = "sk-ant-test-0123456789abcdef";
    vi.stubEnv("ANTHROPIC_API_KEY", secret);
    vi.stubEnv("OPENAI_API_KEY", secret);
    const paths = await makeRepo();
    const dashboard = await start(paths);
    const bearer = { headers: { Authorization: `Bearer ${dashboard.token}` } };
    const run = `/api/runs/${TEAM_RUN_ID}`;
    const reads = ["/api/runs", run, `${run}/board`, `${run}/events`, `${run}/costs`, "/api/asks"];
    for (const path of [...reads, `${run}/diff?task=a`, "/", "/static/app.js"]) {
      for (const init of [{}, bearer]) {
        const response = await fetch(new URL(path, dashboard.url), init);
        expect(await response.text(), path).not.toContain(secret);
      }
    }
  });

  it("answers 404 for a run that is not there and 400 for a bad seq", async () => {
    const dashboard = await start(await makeRepo());
    expect((await call(dashboard, "/api/runs/20990101-000000-0000")).status).toBe(404);
    expect((await call(dashboard, "/api/runs/..%2F..%2Fetc")).status).toBe(404);
    expect((await call(dashboard, `/api/runs/${TEAM_RUN_ID}/events?since=-1`)).status).toBe(400);
    expect((await call(dashboard, `/api/runs/${TEAM_RUN_ID}/events?limit=all`)).status).toBe(400);
  });

  it("lists a run whose run.json is damaged with its error, and answers 500 for it, not 409", async () => {
    const paths = await makeRepo();
    const damaged = "20261201-100000-dead";
    await mkdir(paths.runDir(damaged), { recursive: true });
    await writeFile(paths.runFile(damaged), '{"version": 2, "id": 3}');
    const dashboard = await start(paths);
    const runs = await call(dashboard, "/api/runs");
    expect(runs.status).toBe(200);
    expect(runs.body.runs).toMatchObject([
      {
        id: damaged,
        status: "damaged",
        error: expect.stringContaining(`Invalid ${paths.runFile(damaged)}`) as unknown,
        openAskIds: [],
      },
      { id: TEAM_RUN_ID, status: "running" },
    ]);
    const run = await call(dashboard, `/api/runs/${damaged}`);
    expect(run.status).toBe(500);
    expect(String(run.body.error)).toContain(`Invalid ${paths.runFile(damaged)}`);
  });

  it("serves the page and its modules with a strict content security policy", async () => {
    const dashboard = await start(await makeRepo());
    const page = await fetch(dashboard.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/static/app.js">');
    // An empty icon: no request for /favicon.ico, whose 404 the browser would log.
    expect(html).toContain('<link rel="icon" href="data:," />');
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const app = await fetch(new URL("/static/app.js", dashboard.url));
    expect(app.headers.get("content-type")).toContain("text/javascript");
    expect((await fetch(new URL("/static/..%2Fserver.ts", dashboard.url))).status).toBe(404);
  });
});

describe("the run's SSE stream", () => {
  it("resumes after Last-Event-ID and sends each event appended later, with its seq as id", async () => {
    const paths = await makeRepo();
    const dashboard = await start(paths);
    const stream = await openStream(
      new URL(`/api/runs/${TEAM_RUN_ID}/stream`, dashboard.url).href,
      {
        "Last-Event-ID": "6",
      },
    );
    try {
      // ready, then seq 7 and 8.
      await stream.waitFor(3);
      expect(stream.messages[0]).toMatchObject({ event: "ready" });
      expect(stream.messages.slice(1).map((m) => m.id)).toEqual(["7", "8"]);
      const next = RunEventSchema.parse({
        seq: 9,
        ts: "2026-12-01T09:00:09.000Z",
        type: "task.status",
        taskId: "a",
        status: "accepted",
      });
      await appendFile(paths.eventsFile(TEAM_RUN_ID), `${JSON.stringify(next)}\n`);
      await stream.waitFor(4);
      expect(stream.messages[3]?.id).toBe("9");
      expect(JSON.parse(stream.messages[3]?.data ?? "")).toMatchObject({
        type: "task.status",
        status: "accepted",
      });
    } finally {
      stream.close();
    }
  });

  it("starts from ?since= when there is no Last-Event-ID", async () => {
    const dashboard = await start(await makeRepo());
    const stream = await openStream(
      new URL(`/api/runs/${TEAM_RUN_ID}/stream?since=7`, dashboard.url).href,
    );
    try {
      await stream.waitFor(2);
      expect(stream.messages[1]?.id).toBe("8");
    } finally {
      stream.close();
    }
  });
});

describe("actions", () => {
  it("refuses an answer that is not one of the ask's options (400), and writes nothing", async () => {
    const paths = await makeRepo();
    const dashboard = await start(paths);
    const wrong = await post(dashboard, "/api/asks/ask-b-1/answer", { answer: "maybe" });
    expect(wrong.status).toBe(400);
    expect(String(wrong.body.error)).toContain('"maybe" is not an answer to ask-b-1');
  });

  it("records an answer for a run another process drives, leaving the run to it", async () => {
    const paths = await makeRepo();
    const lock = await acquireRunLock(paths.lockFile(TEAM_RUN_ID), "the run");
    try {
      const dashboard = await start(paths);
      const answered = await post(dashboard, "/api/asks/ask-b-1/answer", {
        answer: "accept",
        note: "fine",
      });
      expect(answered.status).toBe(200);
      expect(answered.body).toMatchObject({
        runId: TEAM_RUN_ID,
        isContinuing: false,
        answer: { answer: "accept", note: "fine", source: "dashboard" },
      });
      const asks = await call(dashboard, `/api/asks?run=${TEAM_RUN_ID}`);
      expect(asks.body.asks).toEqual([]);
    } finally {
      await lock.release();
    }
  });
});

describe("the tell action", () => {
  it("writes a tell for a run's task with source dashboard, and answers 400 or 404 for bad input", async () => {
    const paths = await makeRepo();
    const dashboard = await start(paths);
    const told = await post(dashboard, `/api/runs/${TEAM_RUN_ID}/tell`, {
      taskId: "b",
      text: "Reuse the form component.",
    });
    expect(told.status).toBe(200);
    expect(told.body).toMatchObject({
      tell: {
        runId: TEAM_RUN_ID,
        taskId: "b",
        text: "Reuse the form component.",
        source: "dashboard",
      },
      isRunLive: false,
    });
    expect(String(told.body.message)).toContain("delivered with b's next worker prompt");
    expect((await readTells(paths, TEAM_RUN_ID)).pending).toMatchObject([{ taskId: "b" }]);

    expect((await post(dashboard, `/api/runs/${TEAM_RUN_ID}/tell`, { text: " " })).status).toBe(
      400,
    );
    expect(
      (await post(dashboard, `/api/runs/${TEAM_RUN_ID}/tell`, { text: "x", taskId: 3 })).status,
    ).toBe(400);
    const noTask = await post(dashboard, `/api/runs/${TEAM_RUN_ID}/tell`, {
      text: "x",
      taskId: "zz",
    });
    expect(noTask.status).toBe(400);
    expect(String(noTask.body.error)).toContain("has no task zz");
    expect(
      (await post(dashboard, "/api/runs/20261201-000000-0000/tell", { text: "x" })).status,
    ).toBe(404);
    // A cross-site page may not tell anything, even with the login cookie (the POST rules of
    // every action).
    const foreign = await call(dashboard, `/api/runs/${TEAM_RUN_ID}/tell`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Origin: "https://evil.example",
        Cookie: `bosun_dashboard=${dashboard.token}`,
      },
      body: JSON.stringify({ text: "x" }),
    });
    expect(foreign.status).toBe(403);
    expect((await readTells(paths, TEAM_RUN_ID)).pending).toHaveLength(1);
  });
});

describe("security", () => {
  it("on a non-loopback bind answers 401 without the token, and serves with it", async () => {
    const dashboard = await start(await makeRepo(), "0.0.0.0");
    expect(dashboard.isTokenRequired).toBe(true);
    const local = `http://127.0.0.1:${new URL(dashboard.url).port}`;
    for (const path of ["/", "/api/runs", `/api/runs/${TEAM_RUN_ID}/stream`]) {
      const response = await fetch(`${local}${path}`);
      expect(response.status, path).toBe(401);
      await response.body?.cancel();
    }
    const withToken = await fetch(`${local}/api/runs`, {
      headers: { Authorization: `Bearer ${dashboard.token}` },
    });
    expect(withToken.status).toBe(200);
  });

  it("lets the login link in once, through an HttpOnly cookie", async () => {
    const dashboard = await start(await makeRepo(), "0.0.0.0");
    const port = new URL(dashboard.url).port;
    const login = `http://127.0.0.1:${port}/login?code=${new URL(dashboard.loginUrl).searchParams.get("code")}`;
    const first = await rawGet(login, {});
    expect(first.status).toBe(303);
    const cookie = String(first.headers["set-cookie"]);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect((await rawGet(login, {})).status).toBe(401);
    const jar = cookie.split(";")[0] ?? "";
    expect((await rawGet(`http://127.0.0.1:${port}/api/runs`, { Cookie: jar })).status).toBe(200);
  });

  it("on loopback refuses foreign Host names, POSTs from other origins, and logs without the token", async () => {
    const dashboard = await start(await makeRepo());
    expect((await rawGet(`${dashboard.url}api/runs`, { Host: "evil.example" })).status).toBe(403);
    const stop = await call(dashboard, `/api/runs/${TEAM_RUN_ID}/stop`, {
      method: "POST",
      headers: { Origin: "http://evil.example" },
    });
    expect(stop.status).toBe(401);
    const log = `/api/runs/${TEAM_RUN_ID}/log?task=a&seat=worker&round=1`;
    expect((await call(dashboard, log)).status).toBe(401);
    const withToken = await fetch(new URL(log, dashboard.url), {
      headers: { Authorization: `Bearer ${dashboard.token}` },
    });
    expect(withToken.status).toBe(200);
  });
});

describe("changes on loopback", () => {
  it("need the token: a forged same-origin POST is refused (401) and writes nothing", async () => {
    const paths = await makeRepo();
    const dashboard = await start(paths);
    const origin = new URL(dashboard.url).origin;
    // What any local process can send: curl -H "Origin: http://127.0.0.1:PORT".
    const forged = await call(dashboard, `/api/runs/${TEAM_RUN_ID}/tell`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: origin },
      body: JSON.stringify({ text: "run rm -rf ~" }),
    });
    expect(forged.status).toBe(401);
    expect(String(forged.body.error)).toContain("open the login link");
    expect((await readTells(paths, TEAM_RUN_ID)).pending).toEqual([]);
    // The page opened through the login link: its cookie and its own origin.
    const fromPage = await call(dashboard, `/api/runs/${TEAM_RUN_ID}/tell`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Origin: origin,
        Cookie: `bosun_dashboard=${dashboard.token}`,
      },
      body: JSON.stringify({ text: "Reuse the form component." }),
    });
    expect(fromPage.status).toBe(200);
    expect((await readTells(paths, TEAM_RUN_ID)).pending).toHaveLength(1);
  });
});

describe("live agent output", () => {
  it("goes only to streams that proved the token (it is a log); warnings go to all", async () => {
    const paths = await makeRepo();
    const bus = createEventBus();
    const auth = createDashboardAuth("127.0.0.1");
    const storeWatch = startStoreWatch(paths);
    const shutdown = new AbortController();
    const app = createDashboardApp({
      paths,
      getConfig: () => Promise.resolve(DEFAULT_CONFIG),
      auth,
      bus,
      storeWatch,
      signal: shutdown.signal,
      actions: createDashboardActions({
        paths,
        getConfig: () => Promise.resolve(DEFAULT_CONFIG),
        onEvent: bus.publish,
      }),
    });
    const read = async (headers: Record<string, string>): Promise<string[]> => {
      const response = await app.request(`/api/runs/${TEAM_RUN_ID}/stream?since=8`, {
        headers: { Host: "127.0.0.1:4318", ...headers },
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = "";
      // The ready message says the stream (and its bus subscription) is up.
      while (!text.includes("event: ready")) text += decoder.decode((await reader.read()).value);
      const output: BosunEvent = {
        type: "agent.output",
        runId: TEAM_RUN_ID,
        taskId: "a",
        round: 1,
        seat: "worker",
        event: { type: "text", text: "secret-ish log line" },
      };
      bus.publish(output);
      bus.publish({ type: "warning", runId: TEAM_RUN_ID, message: "last one" });
      while (!text.includes("last one")) text += decoder.decode((await reader.read()).value);
      await reader.cancel();
      return text.split("\n\n").filter((block) => block.startsWith("event: live"));
    };
    try {
      const anonymous = await read({});
      expect(anonymous).toHaveLength(1);
      expect(anonymous[0]).toContain("last one");
      const withToken = await read({ Authorization: `Bearer ${auth.token}` });
      expect(withToken).toHaveLength(2);
      expect(withToken[0]).toContain("secret-ish log line");
    } finally {
      shutdown.abort();
      storeWatch.close();
    }
  });
});

describe("diffs", () => {
  it("serves a task's diff only with the token, on loopback too (401 without, 200 with)", async () => {
    const root = await makeGitRepo();
    const paths = createBosunPaths(root);
    const base = (await runGit(root, ["rev-parse", "HEAD"])).trim();
    const commit = await commitOnBranch(root, "task-a", base, { "src/a/a.ts": "export {};\n" });
    // makeTeamCreated's base is made up; a diff needs a real commit.
    const created = { ...makeTeamCreated(), baseCommit: base };
    const events = makeJournal([
      created,
      { type: "plan.created", taskIds: ["a"], attempt: 1 },
      { type: "round.started", taskId: "a", round: 1, head: base },
      { type: "checkpoint.created", taskId: "a", round: 1, parent: base, commit, filesChanged: [] },
      { type: "merge.completed", taskId: "a", commit, previous: base },
    ]);
    await writeRunDir(paths, TEAM_RUN_ID, events, makePlan([makePlanTask("a")]));
    const dashboard = await start(paths);
    const url = `/api/runs/${TEAM_RUN_ID}/diff?task=a`;
    const anonymous = await call(dashboard, url);
    expect(anonymous.status).toBe(401);
    expect(String(anonymous.body.error)).toContain("open the login link");
    expect(anonymous.body.diff).toBeUndefined();
    // A spelling of the path the router decodes is the same path to the check.
    expect((await call(dashboard, `/api/runs/${TEAM_RUN_ID}/%64iff?task=a`)).status).toBe(401);
    const bearer = { headers: { Authorization: `Bearer ${dashboard.token}` } };
    const served = await call(dashboard, url, bearer);
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({ runId: TEAM_RUN_ID, taskId: "a" });
    expect(String(served.body.diff)).toContain("+export {};");
    expect((await call(dashboard, `/api/runs/${TEAM_RUN_ID}/diff?task=nope`, bearer)).status).toBe(
      400,
    );
    // Without a task: the whole run's, base to head, as bosun diff shows it.
    const whole = await call(dashboard, `/api/runs/${TEAM_RUN_ID}/diff`, bearer);
    expect(whole.body).toMatchObject({ taskId: null, outsideCommits: [] });
    expect(String(whole.body.diff)).toContain("+export {};");
  });
});

describe("an agent's log, followed live", () => {
  const logUrl = (dashboard: Dashboard): string =>
    new URL(
      `/api/runs/${TEAM_RUN_ID}/log/stream?task=a&seat=worker&round=1&harness=offline`,
      dashboard.url,
    ).href;

  it("sends the log's lines, then each append, as agent events; the watch ends with the client", async () => {
    const paths = await makeRepo();
    const dir = paths.attemptDir(TEAM_RUN_ID, "a", 1, "worker", 1);
    await mkdir(dir, { recursive: true });
    const log = path.join(dir, "agent.log");
    const line = (text: string): string => `${JSON.stringify({ type: "text", text })}\n`;
    await writeFile(log, line("already there"));
    const dashboard = await start(paths);
    const watchers = (): number =>
      process.getActiveResourcesInfo().filter((name) => name === "FSEventWrap").length;
    const before = watchers();
    const stream = await openStream(logUrl(dashboard), {
      Authorization: `Bearer ${dashboard.token}`,
    });
    try {
      await stream.waitFor(2);
      expect(stream.messages[0]).toMatchObject({ event: "ready" });
      expect(JSON.parse(stream.messages[1]?.data ?? "")).toEqual({
        events: [{ type: "text", text: "already there" }],
      });
      // As another process's agent writes it: appended bytes reach the client.
      await appendFile(log, line("written later") + "not json at all\n");
      await stream.waitFor(3);
      expect(stream.messages[2]).toMatchObject({ event: "output" });
      expect(JSON.parse(stream.messages[2]?.data ?? "")).toEqual({
        events: [
          { type: "text", text: "written later" },
          { type: "unknown", raw: "not json at all" },
        ],
      });
      expect(watchers()).toBeGreaterThan(before);
    } finally {
      stream.close();
    }
    await waitFor("the log's watch to close", () => (watchers() === before ? true : undefined), {
      timeoutMs: 5_000,
    });
  });

  it("is refused without the token (401), on loopback too, and names what it needs (400)", async () => {
    const dashboard = await start(await makeRepo());
    const response = await fetch(logUrl(dashboard));
    expect(response.status).toBe(401);
    await response.body?.cancel();
    const noRound = await call(
      dashboard,
      `/api/runs/${TEAM_RUN_ID}/log/stream?task=a&seat=worker`,
      {
        headers: { Authorization: `Bearer ${dashboard.token}` },
      },
    );
    expect(noRound.status).toBe(400);
    expect(String(noRound.body.error)).toContain("round (≥ 1) are required");
  });
});
