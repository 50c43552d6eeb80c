/**
 * `bosun monitor --pulse` with ink-testing-library over a real `.bosun/pulse/`: the held
 * decision's moves, readings (a failing sensor with its reason), goals and the journal; a and r
 * act on the selected held move only after y, the approved one runs and the other stays held;
 * a change made by another process shows without a key.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { render } from "ink-testing-library";
import { createElement } from "react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import {
  HELD_DECISION_ID,
  makePulseEnv,
  writeHeldDecision,
} from "../../test/helpers/pulse-held.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import type { PulseEnv } from "../flows/pulse/pulse-env.js";
import { appendPulseJournal, readDecisionRecord } from "../store/pulse-store.js";
import { PulseApp } from "./pulse-app.js";
import { startPulseSource } from "./pulse-source.js";

// ink draws only the last frame where CI is set (is-in-ci, read when ink loads): these tests
// watch frames change, as a human at a terminal does.
vi.hoisted(() => {
  Reflect.deleteProperty(process.env, "CI");
});

async function startScreen(): Promise<{ env: PulseEnv; app: ReturnType<typeof render> }> {
  const env = makePulseEnv(await makeTestDir());
  await writeHeldDecision(env);
  const stop = new AbortController();
  const controller = startPulseSource({ env, signal: stop.signal });
  const app = render(
    createElement(PulseApp, { controller, theme: { isColor: false }, columns: 140, rows: 40 }),
  );
  onTestFinished(() => {
    app.unmount();
    stop.abort();
  });
  return { env, app };
}

async function waitForFrame(app: ReturnType<typeof render>, text: string): Promise<string> {
  return waitFor(
    `the frame to show ${JSON.stringify(text)}`,
    () => {
      const frame = app.lastFrame() ?? "";
      return frame.includes(text) ? frame : undefined;
    },
    { timeoutMs: 10_000 },
  );
}

async function readStatuses(env: PulseEnv): Promise<string[]> {
  const record = await readDecisionRecord(env.paths, HELD_DECISION_ID);
  return record?.actions.map((item) => item.status) ?? [];
}

describe("bosun monitor --pulse", () => {
  it("shows the daemon, readings, goals, the held moves and the journal", async () => {
    const { app } = await startScreen();
    const frame = await waitForFrame(app, `Waiting for you: ${HELD_DECISION_ID}`);
    expect(frame).toContain("daemon not running");
    expect(frame).toContain("deploys  FAILED: exited 2: cannot reach the server");
    expect(frame).toContain('ci  "green"');
    expect(frame).toContain("› #1 delete old-a.txt · awaiting");
    expect(frame).toContain("#2 delete old-b.txt · awaiting");
    expect(frame).toContain("#3 write goal tidy · done · goal tidy written");
    expect(frame).toContain("delete cannot be undone: never done without a human's approval");
    expect(frame).toContain("#1 delete old-a.txt — held for a human");
  });

  it("approves the selected move after y (it runs, the other stays held); r then n rejects nothing", async () => {
    const { env, app } = await startScreen();
    await waitForFrame(app, "› #1 delete old-a.txt · awaiting");
    // Not confirmed: nothing happens.
    app.stdin.write("a");
    await waitForFrame(app, "approve #1 delete old-a.txt? y to approve");
    app.stdin.write("n");
    await waitForFrame(app, "#1 delete old-a.txt: still held");
    expect(await readStatuses(env)).toEqual(["awaiting", "awaiting", "done"]);

    app.stdin.write("a");
    await waitForFrame(app, "approve #1 delete old-a.txt?");
    app.stdin.write("y");
    await waitForFrame(app, "#1 delete old-a.txt · done");
    expect(existsSync(path.join(env.repoRoot, "old-a.txt"))).toBe(false);
    expect(existsSync(path.join(env.repoRoot, "old-b.txt"))).toBe(true);
    expect(await readStatuses(env)).toEqual(["done", "awaiting", "done"]);
    // The one still held is selected now.
    await waitForFrame(app, "› #2 delete old-b.txt · awaiting");

    app.stdin.write("r");
    await waitForFrame(app, "reject #2 delete old-b.txt? y to reject");
    app.stdin.write("x");
    await waitForFrame(app, "#2 delete old-b.txt: still held");
    app.stdin.write("r");
    await waitForFrame(app, "reject #2 delete old-b.txt?");
    app.stdin.write("y");
    await waitForFrame(app, "Waiting for you: nothing");
    // The settle's own end (its ask answered too), said on the status line.
    await waitForFrame(app, `${HELD_DECISION_ID}: #2 rejected`);
    expect(await readStatuses(env)).toEqual(["done", "rejected", "done"]);
    expect(existsSync(path.join(env.repoRoot, "old-b.txt"))).toBe(true);
    const record = await readDecisionRecord(env.paths, HELD_DECISION_ID);
    expect(record?.actions[1]?.decidedBy).toBe("monitor");
  });

  it("selects another held move with j, and shows another process's journal line without a key", async () => {
    const { env, app } = await startScreen();
    await waitForFrame(app, "› #1 delete old-a.txt");
    app.stdin.write("j");
    await waitForFrame(app, "› #2 delete old-b.txt");
    await appendPulseJournal(env.paths, ["a line from another process"]);
    await waitForFrame(app, "a line from another process");
    app.stdin.write("r");
    await waitForFrame(app, "reject #2 delete old-b.txt?");
    app.stdin.write("y");
    await waitForFrame(app, `${HELD_DECISION_ID}: #2 rejected`);
    expect(await readStatuses(env)).toEqual(["awaiting", "rejected", "done"]);
  });

  it("approves every held move with A after y", async () => {
    const { env, app } = await startScreen();
    await waitForFrame(app, "› #1 delete old-a.txt");
    app.stdin.write("A");
    await waitForFrame(app, `approve all 2 held move(s) of ${HELD_DECISION_ID}? y to approve`);
    app.stdin.write("y");
    // Approved (no move held any more), then run: the journal says when the last one is done.
    await waitForFrame(app, "Waiting for you: nothing");
    await waitForFrame(app, "#2 delete old-b.txt — done");
    await waitForFrame(app, `${HELD_DECISION_ID}: #1 done, #2 done`);
    expect(await readStatuses(env)).toEqual(["done", "done", "done"]);
    expect(existsSync(path.join(env.repoRoot, "old-a.txt"))).toBe(false);
    expect(existsSync(path.join(env.repoRoot, "old-b.txt"))).toBe(false);
  });
});
