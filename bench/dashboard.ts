/**
 * `bosun dashboard` under a 1,000-task team run with 8 agents live: the built CLI serves it in
 * its own process while this one appends journal events and reads the run's SSE stream.
 * Measured: the time from an event on disk to the SSE client (median and p95; target ≤ 100 ms),
 * the same for a line an agent appends to its agent.log to a client tailing it, the server's CPU
 * while idle with clients connected (target ≈ 0), its memory, and what a page's first load costs
 * (board, whole-journal replay). Then the page itself in Chromium (Debian's, driven by
 * playwright-core as the browser tests drive it): first load until the whole journal is applied,
 * an event on disk → the page's DOM, its main thread's busy time while idle, its DOM node count.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { writeJsonAtomic } from "../src/store/json-file.js";
import { createBosunPaths, type BosunPaths } from "../src/store/paths.js";
import { reduceRunEvents } from "../src/store/run-state.js";
import { RunEventSchema, type RunEvent, type RunEventInput } from "../src/store/schema/events.js";
import { PlanSchema } from "../src/store/schema/plan.js";
import { RunSchema } from "../src/store/schema/run.js";
import { createBenchPlan, getBenchTaskId } from "./team-run.js";
import { CLI, median, percentile, row, verdict, readCpuSec } from "./util.js";

const TASKS = 1_000;
const LIVE_AGENTS = 8;
const LATENCY_SAMPLES = 200;
const LOG_SAMPLES = 100;
const IDLE_MS = 5_000;
const RUN_ID = "20261201-090000-da5b";
const PAGE_SAMPLES = 100;
/** Debian's chromium, as the browser tests launch it. */
const CHROMIUM = process.env.BOSUN_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** The journal of a 1,000-task run: all but the last 8 tasks merged, those 8 working. */
function createJournal(): RunEvent[] {
  const inputs: RunEventInput[] = [
    {
      type: "run.created",
      version: 2,
      flow: "team",
      title: `Write ${TASKS} files.`,
      baseCommit: "b".repeat(40),
      integrationBranch: `bosun/${RUN_ID}/integration`,
      options: {
        planner: "offline",
        worker: "offline",
        critic: "offline",
        maxParallel: LIVE_AGENTS,
        maxRepairs: 0,
        verify: "true",
        timeoutSec: 0,
        stallTimeoutSec: 300,
        budgetUsd: 50,
        isPlanGated: false,
      },
    },
    {
      type: "plan.created",
      taskIds: Array.from({ length: TASKS }, (_, i) => getBenchTaskId(i)),
      attempt: 1,
    },
    { type: "plan.approved", by: "auto" },
  ];
  for (let i = 0; i < TASKS; i += 1) {
    const taskId = getBenchTaskId(i);
    const scope = { taskId, round: 1, seat: "worker" as const, harness: "offline", attempt: 1 };
    inputs.push(
      { type: "task.status", taskId, status: "running" },
      { type: "round.started", taskId, round: 1, head: "b".repeat(40) },
      { type: "dispatch.started", ...scope },
    );
    if (i >= TASKS - LIVE_AGENTS) continue;
    inputs.push(
      {
        type: "dispatch.completed",
        ...scope,
        exitCode: 0,
        costUsd: 0.01,
        isCostEstimated: false,
        tokens: { inputTokens: 100, cachedInputTokens: 0, outputTokens: 10 },
        durationMs: 1000,
        spawns: 1,
      },
      { type: "merge.completed", taskId, commit: "c".repeat(40), previous: "b".repeat(40) },
      { type: "task.status", taskId, status: "merged" },
    );
  }
  const startMs = Date.parse("2026-12-01T09:00:00Z");
  return inputs.map((input, index) =>
    RunEventSchema.parse({ ...input, seq: index + 1, ts: new Date(startMs + index).toISOString() }),
  );
}

/** An SSE reader: each message's id, as it arrives. */
function readStream(url: string, onId: (id: number) => void): AbortController {
  return readMessages(url, {}, (message) => {
    const id = /^id: (\d+)$/m.exec(message)?.[1];
    if (id !== undefined) onId(Number(id));
  });
}

/** An SSE reader: each message's text (its `event:`, `id:` and `data:` lines), as it arrives. */
function readMessages(
  url: string,
  headers: Record<string, string>,
  onMessage: (message: string) => void,
): AbortController {
  const controller = new AbortController();
  void (async () => {
    const response = await fetch(url, { headers, signal: controller.signal });
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          onMessage(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted at the end of the benchmark.
    }
  })();
  return controller;
}

async function readRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function startServer(
  root: string,
): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(
    process.execPath,
    [CLI, "--root", root, "dashboard", "--port", "0", "--json"],
    {
      // Its stderr only says "Stopping…" at the end.
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  const started = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n"))
        resolve(JSON.parse(out.split("\n")[0] ?? "") as { url: string; token: string });
    });
    child.once("exit", (code) => reject(new Error(`bosun dashboard exited ${code}`)));
  });
  return { child, ...started };
}

/** Runs the dashboard benchmark in `dir` and prints its rows. */
export async function benchDashboard(dir: string, print: (line: string) => void): Promise<void> {
  const root = path.join(dir, "repo");
  await mkdir(root, { recursive: true });
  const paths = createBosunPaths(root);
  const events = createJournal();
  await mkdir(paths.runDir(RUN_ID), { recursive: true });
  await writeFile(paths.eventsFile(RUN_ID), events.map((e) => `${JSON.stringify(e)}\n`).join(""));
  await writeJsonAtomic(paths.runFile(RUN_ID), RunSchema, reduceRunEvents(events, RUN_ID));
  await writeJsonAtomic(paths.planFile(RUN_ID), PlanSchema, createBenchPlan(TASKS));

  const { child, url, token } = await startServer(root);
  const pid = child.pid ?? 0;
  try {
    const startedRssMb = await readRssMb(pid);
    // A page's first load: the board (rebuilt from the journal: no board.json) and the replay.
    let started = performance.now();
    const board = await fetch(`${url}api/runs/${RUN_ID}/board`);
    await board.arrayBuffer();
    const boardMs = performance.now() - started;

    let lastSeq = 0;
    let onSeq: (() => void) | undefined;
    started = performance.now();
    const replayed = new Promise<void>((resolve) => (onSeq = resolve));
    const stream = readStream(`${url}api/runs/${RUN_ID}/stream?since=0`, (id) => {
      lastSeq = id;
      if (id >= events.length) onSeq?.();
    });
    await replayed;
    const replayMs = performance.now() - started;
    // A second page, as a second tab would be.
    const second = readStream(`${url}api/runs/${RUN_ID}/stream?since=${events.length}`, () => {});

    // The 8 live agents' events, one at a time: on disk, then at the client.
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
      const seq = events.length + i + 1;
      const taskId = getBenchTaskId(TASKS - LIVE_AGENTS + (i % LIVE_AGENTS));
      const event = RunEventSchema.parse({
        seq,
        ts: new Date().toISOString(),
        type: "gate.completed",
        taskId,
        round: 1,
        name: "verify",
        passed: true,
        detail: "ok",
      });
      const arrived = new Promise<void>((resolve) => {
        onSeq = () => {
          if (lastSeq >= seq) resolve();
        };
      });
      const t0 = performance.now();
      await appendFile(paths.eventsFile(RUN_ID), `${JSON.stringify(event)}\n`);
      await arrived;
      latencies.push(performance.now() - t0);
    }
    const logLatencies = await measureLogTail(url, token, paths, getBenchTaskId(TASKS - 1));
    const busyRssMb = await readRssMb(pid);

    const cpuBefore = await readCpuSec(pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleCpuPct = (((await readCpuSec(pid)) - cpuBefore) / (IDLE_MS / 1000)) * 100;
    stream.abort();
    second.abort();
    logLatencies.tail.abort();

    const p50 = median(latencies);
    print(`\ndashboard (${TASKS} tasks, ${events.length} events, ${LIVE_AGENTS} live agents)`);
    print(
      row(
        "event on disk → SSE client",
        `${p50.toFixed(1)} ms`,
        `p95 ${percentile(latencies, 95).toFixed(1)} ms; target ≤ 100 ms ${verdict(p50 <= 100)}`,
      ),
    );
    const logP50 = median(logLatencies.samples);
    print(
      row(
        "agent.log line → tailing client",
        `${logP50.toFixed(1)} ms`,
        `p95 ${percentile(logLatencies.samples, 95).toFixed(1)} ms; target ≤ 100 ms ${verdict(logP50 <= 100)}`,
      ),
    );
    print(
      row(
        "server CPU while idle",
        `${idleCpuPct.toFixed(2)} %`,
        `${IDLE_MS / 1000} s, 3 SSE clients connected; target ≈ 0 ${verdict(idleCpuPct < 1)}`,
      ),
    );
    print(
      row(
        "server memory (RSS)",
        `${busyRssMb.toFixed(0)} MB`,
        `${startedRssMb.toFixed(0)} MB at start`,
      ),
    );
    print(
      row(
        "first load: board",
        `${boardMs.toFixed(0)} ms`,
        "rebuilt from the journal (no board.json)",
      ),
    );
    print(
      row(
        "first load: journal replay",
        `${replayMs.toFixed(0)} ms`,
        `${events.length} events over SSE`,
      ),
    );
    const journalLength = events.length + LATENCY_SAMPLES;
    const page = await measurePage(url, paths, journalLength);
    if (page === undefined) {
      print(row("the page in Chromium", "skipped", `${CHROMIUM} is missing`));
      return;
    }
    const pageP50 = median(page.latencies);
    print(
      row(
        "page: event on disk → its DOM",
        `${pageP50.toFixed(1)} ms`,
        `p95 ${percentile(page.latencies, 95).toFixed(1)} ms; target ≤ 100 ms ${verdict(pageP50 <= 100)}`,
      ),
    );
    print(
      row(
        "page: main thread busy while idle",
        `${page.idleBusyMsPerSec.toFixed(1)} ms/s`,
        `${IDLE_MS / 1000} s, ${LIVE_AGENTS} idle timers ticking (CDP TaskDuration)`,
      ),
    );
    print(row("page: DOM nodes", `${page.domNodes}`, "elements and text nodes in the document"));
    print(
      row(
        "page: first load until the journal is applied",
        `${page.firstLoadMs.toFixed(0)} ms`,
        `${journalLength} events; load average ${os.loadavg()[0]?.toFixed(1) ?? "?"}`,
      ),
    );
  } finally {
    child.kill("SIGINT");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

/**
 * A live agent's log tailed with the token (as an expanded swimlane does): each line appended
 * to its agent.log, timed until the client has it. The tail stays open for the idle measurement.
 */
async function measureLogTail(
  url: string,
  token: string,
  paths: BosunPaths,
  taskId: string,
): Promise<{ samples: number[]; tail: AbortController }> {
  const attemptDir = paths.attemptDir(RUN_ID, taskId, 1, "worker", 1);
  await mkdir(attemptDir, { recursive: true });
  const log = path.join(attemptDir, "agent.log");
  await writeFile(log, "");
  let received = "";
  let onMessage: (() => void) | undefined;
  const tail = readMessages(
    `${url}api/runs/${RUN_ID}/log/stream?task=${taskId}&seat=worker&round=1&harness=offline`,
    { Authorization: `Bearer ${token}` },
    (message) => {
      received = message;
      onMessage?.();
    },
  );
  await new Promise<void>((resolve) => {
    onMessage = () => {
      if (received.startsWith("event: ready")) resolve();
    };
  });
  const samples: number[] = [];
  for (let i = 0; i < LOG_SAMPLES; i += 1) {
    const text = `line ${i}`;
    const arrived = new Promise<void>((resolve) => {
      onMessage = () => {
        if (received.includes(`"${text}"`)) resolve();
      };
    });
    const t0 = performance.now();
    await appendFile(log, `${JSON.stringify({ type: "text", text })}\n`);
    await arrived;
    samples.push(performance.now() - t0);
  }
  return { samples, tail };
}

/** What the page costs in Chromium: first load, event → DOM latencies, idle busy time, nodes. */
interface PageFigures {
  firstLoadMs: number;
  latencies: number[];
  idleBusyMsPerSec: number;
  domNodes: number;
}

/**
 * The page in headless Chromium on the run whose journal holds `journalLength` events: timed from
 * navigation until the page says (`document.body.dataset.lastSeq`) it applied them all, then each
 * appended event until the page has it, then 5 s of idle. Undefined without a Chromium.
 */
async function measurePage(
  url: string,
  paths: BosunPaths,
  journalLength: number,
): Promise<PageFigures | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  // As root, Chromium refuses to start without --no-sandbox.
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    // The page's lastSeq as it changes, told from inside the page (a MutationObserver), so a
    // wait ends when the DOM has it, not at the next poll.
    let pageSeq = 0;
    let onPageSeq: (() => void) | undefined;
    await page.exposeFunction("benchSeq", (seq: string) => {
      pageSeq = Number(seq);
      onPageSeq?.();
    });
    await page.addInitScript(`document.addEventListener("DOMContentLoaded", () => {
      new MutationObserver(() => window.benchSeq(document.body.dataset.lastSeq)).observe(
        document.body, { attributes: true, attributeFilter: ["data-last-seq"] });
    })`);
    const reached = (seq: number): Promise<void> =>
      new Promise((resolve) => {
        onPageSeq = () => {
          if (pageSeq >= seq) resolve();
        };
        onPageSeq();
      });
    const started = performance.now();
    await page.goto(`${url}#run=${RUN_ID}`);
    await reached(journalLength);
    const firstLoadMs = performance.now() - started;

    // The live agents' events, as the server measurement has them, plus what moves a board card
    // and the spend: a dispatch completed, then started again.
    const latencies: number[] = [];
    for (let i = 0; i < PAGE_SAMPLES; i += 1) {
      const seq = journalLength + i + 1;
      const taskId = getBenchTaskId(TASKS - LIVE_AGENTS + (i % LIVE_AGENTS));
      const scope = { taskId, round: 1, seat: "worker", harness: "offline", attempt: 1 };
      const kind = i % 4;
      const input =
        kind === 1
          ? {
              type: "dispatch.completed",
              ...scope,
              exitCode: 0,
              costUsd: 0.001,
              isCostEstimated: false,
              tokens: { inputTokens: 100, cachedInputTokens: 0, outputTokens: 10 },
              durationMs: 1000,
              spawns: 1,
            }
          : kind === 2
            ? { type: "dispatch.started", ...scope }
            : {
                type: "gate.completed",
                taskId,
                round: 1,
                name: "verify",
                passed: true,
                detail: "ok",
              };
      const event = RunEventSchema.parse({ ...input, seq, ts: new Date().toISOString() });
      const t0 = performance.now();
      await appendFile(paths.eventsFile(RUN_ID), `${JSON.stringify(event)}\n`);
      await reached(seq);
      latencies.push(performance.now() - t0);
    }

    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    const readTaskSec = async (): Promise<number> => {
      const { metrics } = await cdp.send("Performance.getMetrics");
      return metrics.find((metric) => metric.name === "TaskDuration")?.value ?? 0;
    };
    const busyBefore = await readTaskSec();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleBusyMsPerSec = (((await readTaskSec()) - busyBefore) * 1000) / (IDLE_MS / 1000);
    const domNodes = Number(
      await page.evaluate(`(() => {
        const walker = document.createTreeWalker(document, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
        let count = 0;
        while (walker.nextNode()) count += 1;
        return count;
      })()`),
    );
    // Figures of a page that broke on the way would mean nothing.
    if (failures.length > 0) throw new Error(`The page failed: ${failures.join("; ")}`);
    if (process.env.BOSUN_BENCH_SCREENSHOT !== undefined)
      await page.screenshot({ path: process.env.BOSUN_BENCH_SCREENSHOT, fullPage: false });
    return { firstLoadMs, latencies, idleBusyMsPerSec, domNodes };
  } finally {
    await browser.close();
  }
}
