/**
 * `bosun monitor` and `bosun client` in a real terminal: tmux runs them in a 120×40 pane, keys
 * go in with `send-keys`, and the screen is read back with `capture-pane`. Every wait is for text
 * to appear (or a file to be written), never a fixed delay.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { readAsk } from "../../src/human/asks.js";
import { runProcess } from "../../src/proc/run-process.js";
import { listRunIds, readRun } from "../../src/store/run-read.js";
import {
  createOfflineRepo,
  useOfflineRepos,
  type OfflineRepo,
  type OfflineSteps,
} from "../helpers/offline-repo.js";
import { createTempDir } from "../helpers/agent-env.js";
import { BOSUN_CLI } from "../helpers/run-bosun.js";
import { waitFor } from "../helpers/wait-for.js";

const repos = useOfflineRepos();

/** An SGR code that sets a foreground colour (30–37, 90–97, 38;…); 39 only resets it. */
// eslint-disable-next-line no-control-regex -- an escape code is what this looks for.
const COLOUR_CODE = /\u001B\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[0-9;]+)m/;

const WORK_REPORT: OfflineAction = {
  report: { files_changed: ["feature.txt"], notes: "", tests: [] },
};
const CHANGES_REQUIRED: OfflineAction = {
  report: {
    decision: "changes_required",
    blocking_issues: [{ severity: "high", file: "feature.txt", reason: "say it louder" }],
  },
};

/** A worker that waits for `gate` before it works, and a reviewer that wants changes. */
function makeSteps(gate: string): OfflineSteps {
  return [
    {
      seat: "worker",
      actions: [
        { say: "waiting for the gate" },
        { run: `while [ ! -e '${gate}' ]; do sleep 0.05; done` },
        { write: { path: "feature.txt", content: "feature\n" } },
        { say: "wrote feature.txt" },
        WORK_REPORT,
      ],
    },
    { seat: "reviewer", actions: [CHANGES_REQUIRED] },
  ];
}

/**
 * A tmux server of the test's own, killed when the test ends. Its socket is in a folder of its
 * own, where tmux also runs: the repo and its home are removed (afterEach) before onTestFinished
 * runs, and a server whose socket is gone can no longer be told to exit.
 */
function useTmux(repo: OfflineRepo): {
  start(args: readonly string[], env?: Record<string, string>): Promise<void>;
  keys(...keys: string[]): Promise<void>;
  capture(withEscapes?: boolean): Promise<string>;
  waitForScreen(text: string | RegExp): Promise<string>;
} {
  const socketDir = mkdtempSync(join(tmpdir(), "bosun-tmux-"));
  const socket = join(socketDir, "tmux.sock");
  const tmux = async (args: readonly string[]): Promise<string> => {
    const result = await runProcess({
      command: "tmux",
      args: ["-S", socket, ...args],
      // Not the repo: it is removed before the server is killed (the pane's folder is -c's).
      cwd: socketDir,
      env: { TMUX: undefined },
      timeoutMs: 10_000,
    });
    if (result.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${result.stderrTail}`);
    return result.stdout;
  };
  onTestFinished(async () => {
    await tmux(["kill-server"]).catch(() => undefined);
    await rm(socketDir, { recursive: true, force: true });
  });
  const capture = (withEscapes = false): Promise<string> =>
    tmux(["capture-pane", "-p", ...(withEscapes ? ["-e"] : []), "-t", "bosun"]);
  return {
    async start(args, env = {}) {
      const vars = {
        BOSUN_HOME: repo.home,
        HOME: repo.home,
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_NOSYSTEM: "1",
        ...env,
      };
      const quoted = (word: string): string => `'${word.replace(/'/g, "'\\''")}'`;
      // The pane stays after bosun exits, saying how it exited (cat waits on the terminal).
      const command = [
        // A person's terminal, not CI, unless a test sets CI itself (vars come after the -u).
        "env",
        "-u",
        "CI",
        "-u",
        "CONTINUOUS_INTEGRATION",
        ...Object.entries(vars).map(([key, value]) => quoted(`${key}=${value}`)),
        quoted(process.execPath),
        quoted(BOSUN_CLI),
        ...args.map(quoted),
      ].join(" ");
      await tmux([
        "new-session",
        "-d",
        "-s",
        "bosun",
        "-x",
        "120",
        "-y",
        "40",
        "-c",
        repo.root,
        `${command}; printf '[bosun exited %s]\\n' "$?"; exec cat`,
      ]);
    },
    async keys(...keys) {
      await tmux(["send-keys", "-t", "bosun", ...keys]);
    },
    capture,
    waitForScreen: (text) =>
      waitFor(`the screen to show ${String(text)}`, async () => {
        const screen = await capture();
        return (typeof text === "string" ? screen.includes(text) : text.test(screen))
          ? screen
          : undefined;
      }),
  };
}

describe("bosun monitor in a terminal", () => {
  it("shows a live run as its events land, and answers its ask with keys", async () => {
    // Outside the repository (the run starts on a clean tree); the notify command gets every
    // finished run: the review's own, then the monitor's once its answer continues the run.
    const notifiedDir = await createTempDir("bosun-notified-");
    onTestFinished(() => rm(notifiedDir, { recursive: true, force: true }));
    const notified = join(notifiedDir, "finished.jsonl");
    const repo = await createOfflineRepo([], {
      notify: { command: `cat >> '${notified}'`, on: ["run.finished"], timeoutSec: 10 },
    });
    repos.push(repo);
    const gate = join(repo.home, "go");
    await repo.writeScript(makeSteps(gate));
    const review = repo.startCli([
      "review",
      "--goal",
      "Add feature.txt",
      "--worker",
      "offline",
      "--reviewer",
      "offline",
      "--max-rounds",
      "1",
    ]);
    const runId = await waitFor("the run to start", async () => (await listRunIds(repo.paths))[0]);
    const screen = useTmux(repo);
    await screen.start(["monitor", runId]);

    // The worker is at work (and waits for the gate): live, its output tailed from agent.log.
    const working = await screen.waitForScreen("waiting for the gate");
    expect(working).toContain(`bosun monitor · ${runId} · review · running · live · process`);
    expect(working).toMatch(/› T-001 +worker +offline +working +r1 +idle/);
    expect(working).not.toContain("review changes_required");
    // Colours are on in a terminal without NO_COLOR.
    expect(await screen.capture(true)).toMatch(COLOUR_CODE);

    // Events appended after the monitor started appear: the round, the reviewer, the ask.
    await writeFile(gate, "");
    await screen.waitForScreen("review changes_required");
    await screen.waitForScreen("read-only: no process is working on this run");
    // The ask's options are read from its file once the journal names it: a moment later.
    const asked = await screen.waitForScreen("more: run up to");
    expect(asked).toContain("needs_human");
    expect(asked).toContain("read-only: no process is working on this run");
    expect((await review.result).exitCode).toBe(3);

    // a opens the answer prompt; the number of "accept" answers with it, and the run goes on here.
    const run = await readRun(repo.paths, runId);
    const askId = run?.openAskIds[0];
    if (askId === undefined) throw new Error("the review should have asked");
    await screen.keys("a");
    // The prompt's numbered options, not just its first line: ink may draw a frame in parts.
    const prompt = await screen.waitForScreen(new RegExp(`answer ${askId}[^]*\\d {2}accept:`));
    const number = /(\d) {2}accept:/.exec(prompt)?.[1];
    expect(number).toBeDefined();
    await screen.keys(number ?? "");
    const answered = await waitFor("the answer file", async () =>
      existsSync(repo.paths.answerFile(askId))
        ? (await readAsk(repo.paths, askId)).answer
        : undefined,
    );
    expect(answered).toMatchObject({ answer: "accept", source: "monitor" });
    await screen.waitForScreen("succeeded");
    // The monitor draws from the journal; run.json, the snapshot, is written right after the
    // journal line that the screen may already show.
    await waitFor("run.json to say succeeded", async () =>
      (await readRun(repo.paths, runId))?.status === "succeeded" ? true : undefined,
    );
    const statuses = await waitFor("the monitor's run.finished notification", async () => {
      const lines = (await readFile(notified, "utf8")).split("\n").filter((line) => line);
      return lines.length === 2
        ? lines.map((line) => (JSON.parse(line) as { status: string }).status)
        : undefined;
    });
    expect(statuses).toEqual(["needs_human", "succeeded"]);

    await screen.keys("q");
    await screen.waitForScreen("[bosun exited 0]");
  });
});

describe("bosun client in a terminal", () => {
  it("shows an ask the moment it opens, and records an answer typed by hand", async () => {
    const repo = await createOfflineRepo([]);
    repos.push(repo);
    const gate = join(repo.home, "go");
    await repo.writeScript(makeSteps(gate));
    const screen = useTmux(repo);
    // CI set in the terminal's environment (some shells export it): the screen still draws live.
    await screen.start(["client"], { NO_COLOR: "1", CI: "true" });
    await screen.waitForScreen("no open asks: waiting for one");

    await writeFile(gate, "");
    const review = await repo.runCli([
      "review",
      "--goal",
      "Add feature.txt",
      "--worker",
      "offline",
      "--reviewer",
      "offline",
      "--max-rounds",
      "1",
    ]);
    expect(review.exitCode).toBe(3);
    const shown = await screen.waitForScreen("1 open ask(s)");
    expect(shown).toContain("accept: accept the work as it is");
    // NO_COLOR: not one colour code on the screen.
    expect(await screen.capture(true)).not.toMatch(COLOUR_CODE);

    const askId = (await readRun(repo.paths, (await listRunIds(repo.paths))[0] ?? ""))
      ?.openAskIds[0];
    if (askId === undefined) throw new Error("the review should have asked");
    await screen.keys("Enter");
    await screen.waitForScreen("Enter sends");
    await screen.keys("-l", "abort");
    await screen.waitForScreen("> abort");
    await screen.keys("Enter");
    await screen.waitForScreen("Continue its run with");
    expect((await readAsk(repo.paths, askId)).answer).toMatchObject({
      answer: "abort",
      source: "client",
    });
    await screen.waitForScreen("0 open ask(s)");
    await screen.keys("q");
    await screen.waitForScreen("[bosun exited 0]");
  });
});
