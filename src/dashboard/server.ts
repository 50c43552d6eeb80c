/**
 * `bosun dashboard`'s server: a hono app with the JSON API under /api/ (what the page itself
 * uses), the live SSE streams, the login link, and the page's static files, served on
 * 127.0.0.1 by default through @hono/node-server.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { findHarnessLineParser } from "../agents/line-parsers.js";
import { BosunError, getErrorMessage } from "../errors.js";
import { createEventBus, type EventBus } from "../flows/event-bus.js";
import type { BosunEvent } from "../flows/events.js";
import type { PulseEnv } from "../flows/pulse/pulse-env.js";
import { findPackageRoot, type BosunPaths } from "../store/paths.js";
import type { Config } from "../store/schema/config.js";
import { createDashboardActions, type DashboardActions } from "./actions.js";
import {
  checkAccess,
  createAuthCookie,
  createDashboardAuth,
  spendLoginCode,
  type DashboardAuth,
} from "./auth.js";
import {
  DamagedRunError,
  LOG_TAIL_BYTES,
  RunNotFoundError,
  getAgentLogFile,
  readAgentLogTail,
  readDashboardAsks,
  readDashboardBoard,
  readDashboardDiff,
  readEventsSince,
  readRunCosts,
  readRunOrThrow,
  readRunSummaries,
  type LogRef,
} from "./data.js";
import { createDashboardPulse, parseOnlyMoves, type DashboardPulse } from "./pulse.js";
import {
  getResumeSeq,
  parseWholeNumber,
  respondLogStream,
  respondRunStream,
  respondSSE,
} from "./stream.js";
import { startStoreWatch, type StoreWatch } from "./store-watch.js";

/** The port `bosun dashboard` listens on unless --port says otherwise. */
export const DEFAULT_DASHBOARD_PORT = 4318;

/** The address it binds unless --host says otherwise: this machine only. */
export const DEFAULT_DASHBOARD_HOST = "127.0.0.1";

/** Types of the static files the page is made of. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * Scripts, styles and connections from this server only, nothing framed: the page has no
 * inline script, so an injected one would not run.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  // The login link carries its one-time code in the URL: never pass it on.
  "Referrer-Policy": "no-referrer",
};

/** What the server needs. */
export interface DashboardOptions {
  /** Repository paths. */
  paths: BosunPaths;
  /** The address to bind. */
  host: string;
  /** The port; 0 takes a free one. */
  port: number;
  /** The resolved config, for continuing runs (loaded when first needed). */
  getConfig: () => Promise<Config>;
  /** Events of the runs this dashboard continues (the CLI prints them). */
  onEvent?: (event: BosunEvent) => void;
  /** The pulse's world for a move approved from the page (default: this repository's). */
  getPulseEnv?: () => Promise<PulseEnv>;
}

/** A running dashboard. */
export interface Dashboard {
  /** Its base URL, e.g. http://127.0.0.1:4318/. */
  url: string;
  /** The login link (once): it sets the token cookie and opens the page. */
  loginUrl: string;
  /** The bearer token (never written anywhere). */
  token: string;
  /** True when every request needs the token (a bind other than loopback). */
  isTokenRequired: boolean;
  /** The actions (the runs this process drives). */
  actions: DashboardActions;
  /** Stops the runs it drives, closes every stream and the server. */
  close(): Promise<void>;
}

/** The static files of the page, read once: file name → content. */
interface StaticFile {
  body: Buffer;
  type: string;
}

/** Starts the server; resolves once it listens. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const auth = createDashboardAuth(options.host);
  const bus = createEventBus();
  const shutdown = new AbortController();
  const actions = createDashboardActions({
    paths: options.paths,
    getConfig: options.getConfig,
    onEvent: (event) => {
      bus.publish(event);
      options.onEvent?.(event);
    },
  });
  const storeWatch = startStoreWatch(options.paths);
  const app = createDashboardApp({
    paths: options.paths,
    getConfig: options.getConfig,
    auth,
    actions,
    bus,
    storeWatch,
    signal: shutdown.signal,
    pulse: createDashboardPulse({
      paths: options.paths,
      getConfig: options.getConfig,
      signal: shutdown.signal,
      ...(options.getPulseEnv === undefined ? {} : { getPulseEnv: options.getPulseEnv }),
    }),
  });
  let listening: { server: ServerType; address: AddressInfo };
  try {
    listening = await listen(app, options.host, options.port);
  } catch (error) {
    // The watchers and the actions' handles would keep the process alive after the message:
    // `bosun dashboard` must exit 1 when it cannot listen, not hang.
    shutdown.abort();
    storeWatch.close();
    await actions.close();
    throw error;
  }
  const { server, address } = listening;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${options.host === "localhost" ? "localhost" : hostForUrl}:${address.port}/`;
  return {
    url,
    loginUrl: `${url}login?code=${auth.loginCode}`,
    token: auth.token,
    isTokenRequired: auth.isTokenRequired,
    actions,
    close: async () => {
      shutdown.abort();
      storeWatch.close();
      await actions.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open SSE responses would hold close() until their clients go.
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
    },
  };
}

function listen(
  app: Hono<{ Variables: { hasToken: boolean } }>,
  host: string,
  port: number,
): Promise<{ server: ServerType; address: AddressInfo }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (address) =>
      resolve({ server, address }),
    );
    server.once("error", (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === "EADDRINUSE"
          ? `port ${port} is taken: give another with --port`
          : getErrorMessage(error);
      reject(new BosunError(`Cannot start the dashboard on ${host}:${port}: ${hint}.`));
    });
  });
}

/** What the app is built from. */
export interface DashboardAppOptions {
  /** Repository paths. */
  paths: BosunPaths;
  /** The resolved config (for the harnesses' output parsers). */
  getConfig: () => Promise<Config>;
  /** This start's secrets. */
  auth: DashboardAuth;
  /** The actions. */
  actions: DashboardActions;
  /** Live events of runs this process drives. */
  bus: EventBus;
  /** Runs and asks folder changes. */
  storeWatch: StoreWatch;
  /** Aborted when the server closes (ends the streams). */
  signal: AbortSignal;
  /** The pulse's status and approvals (default: this repository's, with the real agents). */
  pulse?: DashboardPulse;
}

/** The hono app: auth first, then the page, the API and the streams. */
export function createDashboardApp(
  options: DashboardAppOptions,
): Hono<{ Variables: { hasToken: boolean } }> {
  const { paths, auth, actions } = options;
  const pulse =
    options.pulse ??
    createDashboardPulse({ paths, getConfig: options.getConfig, signal: options.signal });
  const files = readStaticFiles();
  // Whether the request proved the token: live agent output (a log) goes only to those that did.
  const app = new Hono<{ Variables: { hasToken: boolean } }>();

  app.use(async (c, next) => {
    const decision = checkAccess(auth, {
      method: c.req.method,
      path: c.req.path,
      host: c.req.header("host"),
      origin: c.req.header("origin"),
      authorization: c.req.header("authorization"),
      cookie: c.req.header("cookie"),
    });
    if (!decision.isAllowed) return c.json({ error: decision.message }, decision.status);
    c.set("hasToken", decision.hasToken);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    if (c.req.path.startsWith("/api/")) c.header("Cache-Control", "no-store");
    await next();
    return undefined;
  });

  app.onError((error, c) => {
    const status = getErrorStatus(error);
    // An unexpected error's stack stays on this machine; the page gets one line.
    const message =
      error instanceof BosunError ? error.message : "Internal error in the dashboard.";
    if (!(error instanceof BosunError))
      process.stderr.write(`dashboard: ${error.stack ?? error.message}\n`);
    return c.json({ error: message }, status);
  });

  app.get("/login", (c) => {
    if (!spendLoginCode(auth, c.req.query("code")))
      return c.json(
        {
          error:
            "This login link is wrong or was already used. Restart bosun dashboard for a new one, or send Authorization: Bearer <token>.",
        },
        401,
      );
    c.header("Set-Cookie", createAuthCookie(auth));
    return c.redirect("/", 303);
  });

  app.get("/", (c) => sendStatic(c, files, "index.html"));
  app.get("/static/:file", (c) => sendStatic(c, files, c.req.param("file")));

  app.get("/api/runs", async (c) => c.json({ runs: await readRunSummaries(paths) }));
  app.get("/api/runs/:id", async (c) => {
    const run = await readRunOrThrow(paths, c.req.param("id"));
    return c.json({ run, isDrivenHere: actions.listDrivenRunIds().includes(run.id) });
  });
  app.get("/api/runs/:id/board", async (c) =>
    c.json({ board: await readDashboardBoard(paths, c.req.param("id")) }),
  );
  app.get("/api/runs/:id/events", async (c) => {
    const since = parseWholeNumber(c.req.query("since") ?? "0");
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? undefined : parseWholeNumber(limitText);
    if (since === undefined || (limitText !== undefined && limit === undefined))
      return c.json({ error: "since and limit are whole numbers ≥ 0." }, 400);
    return c.json(await readEventsSince(paths, c.req.param("id"), since, limit));
  });
  app.get("/api/runs/:id/costs", async (c) => c.json(await readRunCosts(paths, c.req.param("id"))));
  app.get("/api/runs/:id/log", async (c) => {
    const ref = getLogRef(c);
    if (ref === undefined) return c.json({ error: LOG_REF_USAGE }, 400);
    return c.text(await readAgentLogTail(paths, c.req.param("id"), ref));
  });
  // A task's diff (the whole run's without ?task): behind the token, like the logs (auth.ts).
  app.get("/api/runs/:id/diff", async (c) => {
    const runId = c.req.param("id");
    const taskId = c.req.query("task");
    const { diff, outsideCommits } = await readDashboardDiff(paths, runId, taskId);
    return c.json({ runId, taskId: taskId ?? null, diff, outsideCommits });
  });
  // An agent's log followed live from disk, whichever process runs the agent: behind the token.
  app.get("/api/runs/:id/log/stream", async (c) => {
    const ref = getLogRef(c);
    if (ref === undefined) return c.json({ error: LOG_REF_USAGE }, 400);
    const file = await getAgentLogFile(paths, c.req.param("id"), ref);
    const harness = c.req.query("harness");
    // A config that no longer loads still leaves the log worth showing, unparsed.
    const parse =
      harness === undefined
        ? undefined
        : await options.getConfig().then(
            (config) => findHarnessLineParser(harness, config.agents),
            () => undefined,
          );
    return respondLogStream(c, {
      file,
      parse,
      tailBytes: LOG_TAIL_BYTES,
      signal: options.signal,
    });
  });
  app.get("/api/runs/:id/stream", async (c) => {
    const runId = c.req.param("id");
    await readRunOrThrow(paths, runId);
    const afterSeq = getResumeSeq(c.req.header("last-event-id"), c.req.query("since"));
    if (afterSeq === undefined)
      return c.json({ error: "Last-Event-ID and since are whole numbers ≥ 0." }, 400);
    return respondRunStream(c, {
      paths,
      runId,
      afterSeq,
      bus: options.bus,
      signal: options.signal,
      isAgentOutputAllowed: c.get("hasToken"),
    });
  });
  app.get("/api/asks", async (c) => {
    const runId = c.req.query("run");
    const asks = await readDashboardAsks(paths, {
      ...(runId === undefined ? {} : { runId }),
      isAll: c.req.query("all") === "1",
    });
    return c.json({ asks });
  });
  app.get("/api/pulse", async (c) => c.json(await pulse.readState()));
  app.get("/api/stream", (c) =>
    respondSSE(c, options.signal, async (stream, signal) => {
      const unsubscribe = options.storeWatch.subscribe(
        (change) => void stream.writeSSE({ event: "changed", data: JSON.stringify(change) }),
      );
      try {
        await stream.writeSSE({ event: "ready", data: "{}" });
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          else signal.addEventListener("abort", () => resolve(), { once: true });
        });
      } finally {
        unsubscribe();
      }
    }),
  );

  app.post("/api/asks/:id/answer", async (c) => {
    const body = await readJsonBody(c);
    const answer = typeof body.answer === "string" ? body.answer : undefined;
    const note = typeof body.note === "string" ? body.note : undefined;
    if (answer === undefined || answer.trim() === "")
      return c.json({ error: 'The body needs "answer": an option key, or your words.' }, 400);
    return c.json(
      await actions.answer({
        askId: c.req.param("id"),
        answer,
        ...(note === undefined ? {} : { note }),
      }),
    );
  });
  app.post("/api/runs/:id/stop", async (c) => c.json(await actions.stop(c.req.param("id"))));
  app.post("/api/runs/:id/approve", async (c) => c.json(await actions.approve(c.req.param("id"))));
  app.post("/api/runs/:id/tell", async (c) => {
    const body = await readJsonBody(c);
    const text = typeof body.text === "string" ? body.text : undefined;
    if (text === undefined || text.trim() === "")
      return c.json({ error: 'The body needs "text": your message for the worker.' }, 400);
    if (body.taskId !== undefined && typeof body.taskId !== "string")
      return c.json({ error: '"taskId" must be a task id (a string), or left out.' }, 400);
    const taskId = typeof body.taskId === "string" ? body.taskId : undefined;
    return c.json(
      await actions.tell({
        runId: c.req.param("id"),
        ...(taskId === undefined ? {} : { taskId }),
        text,
      }),
    );
  });

  app.post("/api/pulse/decisions/:id/:verb", async (c) => {
    const verb = c.req.param("verb");
    if (verb !== "approve" && verb !== "reject")
      return c.json({ error: `Nothing at ${c.req.path}: approve or reject a decision.` }, 404);
    const body = await readJsonBody(c);
    const only = parseOnlyMoves(body.only);
    const decision = await pulse.settle({
      decisionId: c.req.param("id"),
      isReject: verb === "reject",
      ...(only === undefined ? {} : { only }),
    });
    return c.json({ contract: 1, decision });
  });

  app.notFound((c) => c.json({ error: `Nothing at ${c.req.path}.` }, 404));
  return app;
}

/** What a request for an agent's log must name. */
const LOG_REF_USAGE =
  "task, seat and round (≥ 1) are required; attempt, phase (and for a live tail harness) are optional.";

/** The agent attempt a log request names (?task, seat, round, attempt, phase); undefined if bad. */
function getLogRef(c: Context): LogRef | undefined {
  const round = parseWholeNumber(c.req.query("round") ?? "");
  const attempt = parseWholeNumber(c.req.query("attempt") ?? "1");
  const taskId = c.req.query("task");
  const seat = c.req.query("seat");
  const phase = c.req.query("phase");
  if (round === undefined || round === 0 || attempt === undefined || !taskId || !seat)
    return undefined;
  return { taskId, seat, round, attempt, ...(phase === undefined ? {} : { phase }) };
}

/**
 * 404 for a missing run, 400 for bad input, 500 for a run's file that cannot be read (the
 * store is damaged, nothing the caller can change), 409 for a state that refuses the action.
 */
function getErrorStatus(error: Error): 400 | 404 | 409 | 500 {
  if (error instanceof RunNotFoundError) return 404;
  if (error instanceof DamagedRunError) return 500;
  if (error instanceof BosunError) return error.exitCode === 2 ? 400 : 409;
  return 500;
}

async function readJsonBody(c: Context): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await c.req.json();
    if (typeof body === "object" && body !== null && !Array.isArray(body))
      return Object.fromEntries(Object.entries(body));
  } catch {
    // Not JSON: answered below as an empty body, whose missing fields say what to send.
  }
  return {};
}

function sendStatic(c: Context, files: ReadonlyMap<string, StaticFile>, name: string): Response {
  const file = files.get(name);
  if (file === undefined) return c.json({ error: `Nothing at ${c.req.path}.` }, 404);
  return c.body(new Uint8Array(file.body), 200, { "Content-Type": file.type });
}

/**
 * The page's files: src/dashboard/static/ beside this module when run from the sources (tests,
 * tsx), dist/dashboard/static/ (copied there by the build) from the bundle.
 */
function readStaticFiles(): Map<string, StaticFile> {
  const candidates = [
    fileURLToPath(new URL("./static/", import.meta.url)),
    path.join(findPackageRoot(import.meta.url), "dist", "dashboard", "static"),
  ];
  const dir = candidates.find((candidate) => existsSync(path.join(candidate, "index.html")));
  if (dir === undefined)
    throw new BosunError(
      `The dashboard's page is missing (looked in ${candidates.join(" and ")}). Reinstall bosun, or run "npm run build" in its checkout.`,
    );
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type !== undefined) files.set(name, { body: readFileSync(path.join(dir, name)), type });
  }
  return files;
}
