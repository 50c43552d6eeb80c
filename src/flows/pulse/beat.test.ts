import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeDispatchResult } from "../../../test/helpers/dispatch-result.js";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import type { AgentRunner, DispatchRequest } from "../../agents/dispatch.js";
import { listAsks, writeAnswer, writeAsk } from "../../human/asks.js";
import { createBosunPaths } from "../../store/paths.js";
import {
  readDecisionRecord,
  readPulseState,
  writeDecisionRecord,
} from "../../store/pulse-store.js";
import { DEFAULT_CONFIG, type Config } from "../../store/schema/config.js";
import type { PulseAction } from "../../store/schema/pulse-decision.js";
import type { PulseDecisionRecord } from "../../store/schema/pulse-record.js";
import { UsageError } from "../../errors.js";
import { runBeat } from "./beat.js";
import type { PulseEnv } from "./pulse-env.js";
import { settleHeldActions } from "./settle.js";

/** A brain that replies with the queued decisions, one per call, and records each prompt. */
function createBrain(replies: string[]): { runner: AgentRunner; prompts: string[] } {
  const prompts: string[] = [];
  const runner: AgentRunner = (request: DispatchRequest) => {
    prompts.push(request.prompt);
    const reply = replies.shift();
    if (reply === undefined)
      return Promise.reject(new Error("the brain was called more often than scripted"));
    return Promise.resolve({ ...makeDispatchResult(0.01), finalText: reply });
  };
  return { runner, prompts };
}

function decision(actions: PulseAction[], critique = "looked at the world"): string {
  return JSON.stringify({ critique, actions });
}

async function createEnv(
  replies: string[],
  pulse: Partial<Config["pulse"]> = {},
): Promise<{ env: PulseEnv; prompts: string[]; root: string; clock: { ms: number } }> {
  const root = await makeTestDir();
  const paths = createBosunPaths(root);
  const brain = createBrain(replies);
  const clock = { ms: Date.parse("2026-12-03T12:00:00Z") };
  const config: Config = {
    ...DEFAULT_CONFIG,
    pulse: { ...DEFAULT_CONFIG.pulse, brain: "offline", ...pulse },
  };
  const env: PulseEnv = {
    repoRoot: root,
    paths,
    config,
    cliPath: "/nonexistent/bosun.js",
    runner: brain.runner,
    now: () => clock.ms,
    log: () => undefined,
  };
  return { env, prompts: brain.prompts, root, clock };
}

/** A brain decision's record as a beat leaves it, with `actions` in the states given. */
async function writeBrainRecord(
  env: PulseEnv,
  id: string,
  actions: PulseDecisionRecord["actions"],
): Promise<void> {
  await writeDecisionRecord(env.paths, {
    version: 1,
    id,
    createdAt: "2026-12-03T11:59:00.000Z",
    source: "brain",
    worldHash: "h",
    critique: "c",
    actions,
  });
}

async function writeSensor(root: string, name: string, signal: string): Promise<void> {
  const file = path.join(root, ".bosun/pulse/sensors", name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `#!/bin/sh\necho '{"signal": ${signal}}'\n`);
  await chmod(file, 0o755);
}

describe("a beat", () => {
  it("decides on the first beat, then makes no brain call while nothing changes", async () => {
    const { env, prompts, root } = await createEnv([
      decision([{ type: "noop", reason: "all quiet" }]),
      decision([{ type: "write_goal", id: "green", text: "Keep main green." }]),
    ]);
    await writeSensor(root, "ci", '"green"');
    expect((await runBeat(env)).kind).toBe("decided");
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain('"green"');
    const second = await runBeat(env);
    expect(second).toMatchObject({ kind: "skipped", reason: "nothing changed" });
    expect(prompts).toHaveLength(1);
    // A signal change wakes the brain, and its safe move runs at once.
    await writeSensor(root, "ci", '"red"');
    const third = await runBeat(env);
    expect(third.kind).toBe("decided");
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toMatch(/sensor ci: signal "green" → "red"/);
    expect(await readFile(env.paths.pulse.goalFile("green"), "utf8")).toContain("Keep main green.");
    // Its own move (a new goal) does not wake it again.
    expect((await runBeat(env)).kind).toBe("skipped");
    const journal = await readFile(env.paths.pulse.journalFile, "utf8");
    expect(journal).toMatch(/#1 write goal green — done/);
  });

  it("holds an irreversible move for a human; reject never runs it, approve does", async () => {
    const { env, root } = await createEnv([
      decision([{ type: "delete", path: "old.txt", reason: "unused" }]),
      decision([{ type: "delete", path: "old.txt", reason: "unused" }]),
    ]);
    await writeFile(path.join(root, "old.txt"), "keep me until approved\n");
    const first = await runBeat(env);
    if (first.kind !== "decided") throw new Error(`expected a decision, got ${first.kind}`);
    expect(first.decision.actions[0]).toMatchObject({ status: "awaiting", gate: "ask" });
    expect(existsSync(path.join(root, "old.txt"))).toBe(true);
    const asks = await listAsks(env.paths, true);
    expect(asks.map((item) => item.ask.id)).toEqual([first.decision.askId]);
    // One decision in flight: while it waits, no new brain call.
    expect(await runBeat(env)).toMatchObject({ kind: "skipped" });
    await settleHeldActions(env, { decisionId: first.decision.id, isReject: true, by: "test" });
    expect(existsSync(path.join(root, "old.txt"))).toBe(true);
    expect((await readDecisionRecord(env.paths, first.decision.id))?.actions[0]?.status).toBe(
      "rejected",
    );
    // The ask was answered for whoever waits on it.
    expect(await listAsks(env.paths, true)).toEqual([]);

    // The answered ask changed the world: the brain proposes again; approved through the mailbox.
    const second = await runBeat(env);
    if (second.kind !== "decided") throw new Error(`expected a decision, got ${second.kind}`);
    await writeAnswer(env.paths, second.decision.askId ?? "", "approve", { source: "test" });
    await runBeat(env);
    expect(existsSync(path.join(root, "old.txt"))).toBe(false);
    const snapshot = path.join(env.paths.pulse.snapshotsDir, second.decision.id, "old.txt");
    expect(await readFile(snapshot, "utf8")).toBe("keep me until approved\n");
    expect((await readDecisionRecord(env.paths, second.decision.id))?.actions[0]).toMatchObject({
      status: "done",
    });
  });

  it("shows the human what a held move would write: a sensor's script", async () => {
    const script = "#!/bin/sh\necho '{\"signal\": 1}'\n";
    const { env } = await createEnv([decision([{ type: "write_sensor", name: "ci", script }])]);
    const outcome = await runBeat(env);
    if (outcome.kind !== "decided") throw new Error(`expected a decision, got ${outcome.kind}`);
    expect(outcome.decision.actions[0]?.status).toBe("awaiting");
    const [held] = await listAsks(env.paths, true);
    expect(held?.ask.question).toMatch(/#1 write sensor ci/);
    expect(held?.ask.context).toContain(`    echo '{"signal": 1}'`);
  });

  it("asks again for a held decision whose ask a crash never wrote, and settles it", async () => {
    const { env, root } = await createEnv([
      decision([{ type: "delete", path: "old.txt", reason: "unused" }]),
    ]);
    await writeFile(path.join(root, "old.txt"), "keep me until approved\n");
    const first = await runBeat(env);
    if (first.kind !== "decided") throw new Error(`expected a decision, got ${first.kind}`);
    const askId = first.decision.askId ?? "";
    // Killed between the decision's record and its ask.
    await rm(env.paths.askFile(askId));
    expect(await runBeat(env)).toMatchObject({ kind: "skipped" });
    expect((await listAsks(env.paths, true)).map((item) => item.ask.id)).toEqual([askId]);
    await rm(env.paths.askFile(askId));
    // Approved by id while the ask is missing: the move runs, and nothing throws.
    const record = await settleHeldActions(env, {
      decisionId: first.decision.id,
      isReject: false,
      by: "test",
    });
    expect(record.actions[0]).toMatchObject({ status: "done" });
    expect(existsSync(path.join(root, "old.txt"))).toBe(false);
  });

  it("tells the brain what a human answered, not only that an ask closed", async () => {
    const { env, prompts } = await createEnv([
      decision([{ type: "ask", question: "Which branch do you release from?" }]),
      decision([{ type: "noop", reason: "heard it" }]),
    ]);
    await runBeat(env);
    const [asked] = await listAsks(env.paths, true);
    await writeAnswer(env.paths, asked?.ask.id ?? "", "release/2026 only, never main", {
      source: "test",
    });
    await runBeat(env);
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toContain("Which branch do you release from?");
    expect(prompts[1]).toContain("release/2026 only, never main");
  });

  it("tells the first decision the setup answer given before the loop ever ran", async () => {
    const { env, prompts } = await createEnv([decision([{ type: "noop" }])]);
    await writeAsk(env.paths, {
      version: 1,
      id: "ask-20261203-115900-aaaa",
      runId: "pulse",
      createdAt: "2026-12-03T11:59:00Z",
      question: "What should the pulse work toward?",
      options: [],
      context: "Setup",
    });
    await writeAnswer(env.paths, "ask-20261203-115900-aaaa", "Ship the CSV export by Friday", {
      source: "test",
    });
    await runBeat(env);
    expect(prompts[0]).toContain("Ship the CSV export by Friday");
  });

  it("runs moves in their order: one held for a human holds the ones after it", async () => {
    const { env, root } = await createEnv(
      [
        decision([
          { type: "delete", path: "bar.txt", reason: "unused" },
          { type: "run_command", command: "ls bar.txt", reason: "check it is gone" },
        ]),
      ],
      { maxActions: 2, allow: ["ls"] },
    );
    await writeFile(path.join(root, "bar.txt"), "bar\n");
    const outcome = await runBeat(env);
    if (outcome.kind !== "decided") throw new Error(`expected a decision, got ${outcome.kind}`);
    expect(outcome.decision.actions.map((item) => item.status)).toEqual(["awaiting", "pending"]);
    const settled = await settleHeldActions(env, {
      decisionId: outcome.decision.id,
      isReject: false,
      by: "test",
    });
    expect(settled.actions.map((item) => item.status)).toEqual(["done", "failed"]);
    // `ls` ran after the delete: the file was gone.
    expect(settled.actions[1]?.error).toMatch(/exited [12]/);
  });

  it("blocks a denied command outright and says so", async () => {
    const { env } = await createEnv([
      decision([{ type: "run_command", command: "sudo rm -rf /", reason: "clean up" }]),
    ]);
    const outcome = await runBeat(env);
    if (outcome.kind !== "decided") throw new Error(`expected a decision, got ${outcome.kind}`);
    expect(outcome.decision.actions[0]).toMatchObject({ status: "blocked", gate: "block" });
    expect(await readFile(env.paths.pulse.journalFile, "utf8")).toMatch(/BLOCKED/);
  });

  it("re-prompts an invalid reply once, then takes no move and backs off", async () => {
    const { env, prompts, root, clock } = await createEnv(["not json", "{}", "still not"]);
    await writeSensor(root, "ci", "1");
    const outcome = await runBeat(env);
    expect(outcome.kind).toBe("brain-failed");
    expect(prompts).toHaveLength(2);
    const state = await readPulseState(env.paths);
    expect(state.consecutiveFailures).toBe(1);
    expect(state.backoffUntilMs).toBe(clock.ms + 30_000);
    expect(await readFile(env.paths.pulse.journalFile, "utf8")).toMatch(
      /brain invalid: .* no move/,
    );
    // The world changes, but the backoff holds the brain.
    await writeSensor(root, "ci", "2");
    expect(await runBeat(env)).toMatchObject({
      kind: "skipped",
      reason: expect.stringMatching(/backing off/) as unknown,
    });
    expect(prompts).toHaveLength(2);
  });

  it("stops calling the brain at the hourly cap while sensing goes on", async () => {
    const { env, prompts, root } = await createEnv(
      [decision([{ type: "noop" }]), decision([{ type: "noop" }])],
      { brainCallsPerHour: 1 },
    );
    await writeSensor(root, "ci", "1");
    await runBeat(env);
    await writeSensor(root, "ci", "2");
    const capped = await runBeat(env);
    expect(capped).toMatchObject({
      kind: "skipped",
      reason: expect.stringMatching(/1 of 1 calls/) as unknown,
    });
    expect(capped.readings[0]).toMatchObject({ name: "ci", signal: 2 });
    expect(prompts).toHaveLength(1);
  });

  it("never repeats a move a crash left half-done, and re-runs a repeatable one", async () => {
    const { env } = await createEnv([]);
    await writeBrainRecord(env, "D-20261203-115900-abcd", [
      {
        index: 1,
        action: { type: "run_command", command: "echo ran >> ran.txt", reason: "r" },
        gate: "run",
        gateReason: "allow-listed",
        status: "started",
      },
      {
        index: 2,
        action: { type: "write_goal", id: "again", text: "Written twice is fine." },
        gate: "run",
        gateReason: "safe",
        status: "started",
      },
    ]);
    // Paused, so this beat only recovers (and calls no brain).
    await writeFile(env.paths.pulse.pausedFile, "paused\n");
    expect((await runBeat(env)).kind).toBe("paused");
    const record = await readDecisionRecord(env.paths, "D-20261203-115900-abcd");
    expect(record?.actions.map((item) => item.status)).toEqual(["interrupted", "done"]);
    expect(existsSync(path.join(env.repoRoot, "ran.txt"))).toBe(false);
    expect(await readFile(env.paths.pulse.journalFile, "utf8")).toMatch(/INTERRUPTED/);
    expect((await readPulseState(env.paths)).lastFailure?.message).toMatch(/interrupted half-done/);
  });

  it("journals each half-done move once, also when two decisions were cut short", async () => {
    const { env } = await createEnv([]);
    for (const [id, command] of [
      ["D-20261203-115800-aaaa", "echo one >> one.txt"],
      ["D-20261203-115900-bbbb", "echo two >> two.txt"],
    ] as const)
      await writeBrainRecord(env, id, [
        {
          index: 1,
          action: { type: "run_command", command, reason: "r" },
          gate: "run",
          gateReason: "allow-listed",
          status: "started",
        },
      ]);
    await writeFile(env.paths.pulse.pausedFile, "paused\n");
    await runBeat(env);
    const journal = await readFile(env.paths.pulse.journalFile, "utf8");
    expect(journal.match(/INTERRUPTED/g)).toHaveLength(2);
    expect(journal.match(/INTERRUPTED D-20261203-115800-aaaa/g)).toHaveLength(1);
  });

  it("runs the moves a crash cut off before they started (gated to run, or approved)", async () => {
    const { env } = await createEnv([]);
    await writeBrainRecord(env, "D-20261203-115900-cccc", [
      {
        index: 1,
        action: { type: "write_goal", id: "first", text: "Never started." },
        gate: "run",
        gateReason: "safe",
        status: "pending",
      },
      {
        index: 2,
        action: { type: "run_command", command: "echo ran >> ran.txt", reason: "r" },
        gate: "ask",
        gateReason: "not on the allow-list",
        status: "approved",
        decidedBy: "cli",
      },
    ]);
    await writeFile(env.paths.pulse.pausedFile, "paused\n");
    await runBeat(env);
    const record = await readDecisionRecord(env.paths, "D-20261203-115900-cccc");
    expect(record?.actions.map((item) => item.status)).toEqual(["done", "done"]);
    expect(await readFile(path.join(env.repoRoot, "ran.txt"), "utf8")).toBe("ran\n");
  });

  it("senses but never decides while paused", async () => {
    const { env, prompts, root } = await createEnv([decision([{ type: "noop" }])]);
    await writeSensor(root, "ci", "1");
    await mkdir(env.paths.pulse.dir, { recursive: true });
    await writeFile(env.paths.pulse.pausedFile, "paused\n");
    expect((await runBeat(env)).kind).toBe("paused");
    expect(prompts).toHaveLength(0);
  });

  it("skips a damaged decision file with a message, and refuses a bad decision id as usage", async () => {
    const { env } = await createEnv([decision([{ type: "noop" }])]);
    const logged: string[] = [];
    env.log = (line) => logged.push(line);
    await mkdir(env.paths.pulse.decisionsDir, { recursive: true });
    await writeFile(path.join(env.paths.pulse.decisionsDir, "D-20261203-110000-dead.json"), "{bad");
    expect((await runBeat(env)).kind).toBe("decided");
    expect(logged.join("\n")).toMatch(/D-20261203-110000-dead\.json.*skips it/);
    await expect(
      settleHeldActions(env, { decisionId: "../x", isReject: false, by: "test" }),
    ).rejects.toThrow(UsageError);
  });

  it("never deletes bosun's or git's own state", async () => {
    const { env } = await createEnv([
      decision([{ type: "delete", path: ".bosun/pulse/goals", reason: "tidy" }]),
    ]);
    const outcome = await runBeat(env);
    if (outcome.kind !== "decided") throw new Error(`expected a decision, got ${outcome.kind}`);
    const settled = await settleHeldActions(env, {
      decisionId: outcome.decision.id,
      isReject: false,
      by: "test",
    });
    expect(settled.actions[0]).toMatchObject({ status: "failed" });
    expect(settled.actions[0]?.error).toMatch(/bosun's or git's own state/);
  });
});
