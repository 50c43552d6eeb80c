/**
 * `npm run bench`: bosun's own overhead, as medians over repeated runs with ratios side by side.
 * 1. dispatch() of a trivial agent vs spawning the same agent directly (target: ≤ 50 ms added);
 * 2. one full review round with the offline agent (worker, gates, reviewer);
 * 3. a four-pair `bosun pipeline` run (pipeline.ts): bosun's overhead per iteration beside the
 *    review round's (target: within it);
 * 4. `bosun status` on a run with 100k events vs bare `node` startup (target: ≤ 150 ms);
 * 5. team runs (team.ts): a real 200-task run at --max-parallel 8, bosun's CPU while agents work,
 *    and the state side of a 1,000-task run;
 * 6. `bosun dashboard` (dashboard.ts) on a 1,000-task run with 8 live agents: event on disk to the
 *    SSE client (target: ≤ 100 ms), server CPU while idle, memory;
 * 7. `bosun pulse` (pulse.ts): one beat's own overhead, and an idle daemon on 10 steady sensors —
 *    model calls (target: none) and CPU per hour (target: ≤ 0.5 % of a core).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { dispatch } from "../src/agents/dispatch.js";
import { resolveHarness } from "../src/agents/harnesses.js";
import { appendLines } from "../src/store/jsonl.js";
import { createBosunPaths } from "../src/store/paths.js";
import { RunStore } from "../src/store/run-store.js";
import { runGit } from "../src/workspace/git.js";
import { benchDashboard } from "./dashboard.js";
import { benchPipeline } from "./pipeline.js";
import { benchPulse } from "./pulse.js";
import { benchTeam } from "./team.js";
import { CLI, createRepo, row, spawnDirect, time } from "./util.js";

const AGENT_LINE = '{"type":"final","text":"done","isError":false}';

async function benchDispatch(dir: string): Promise<{ direct: number; viaBosun: number }> {
  const agentFile = path.join(dir, "agent.sh");
  await writeFile(agentFile, `cat >/dev/null\necho '${AGENT_LINE}'\n`);
  const agentArgs = [agentFile];
  const harness = resolveHarness("bench", {
    bench: { template: `/bin/sh ${agentFile}`, parser: "plain" },
  });
  const runs = 30;
  const direct = await time(runs, () => spawnDirect("/bin/sh", agentArgs, dir));
  let n = 0;
  const viaBosun = await time(runs, async () => {
    n += 1;
    await dispatch({
      harness,
      prompt: "hello",
      cwd: dir,
      logDir: path.join(dir, "dispatch", String(n)),
      timeoutMs: 10_000,
    });
  });
  return { direct, viaBosun };
}

async function benchReviewRound(dir: string): Promise<{ ms: number; repo: string }> {
  const script = {
    version: 1,
    steps: [
      {
        role: "worker",
        actions: [{ run: "date +%s%N >> hello.txt" }, { report: { files_changed: ["hello.txt"] } }],
      },
      { role: "reviewer", actions: [{ report: { decision: "approve" } }] },
    ],
  };
  const repo = await createRepo(path.join(dir, "round"));
  const scriptFile = path.join(dir, "script.json");
  await writeFile(scriptFile, JSON.stringify(script));
  await writeFile(
    path.join(repo, "bosun.yaml"),
    `agents:\n  offline:\n    script: ${scriptFile}\ndispatch:\n  retries: 0\n`,
  );
  await runGit(repo, ["add", "bosun.yaml"]);
  await runGit(repo, ["commit", "-q", "-m", "bosun config"]);
  const args = [
    CLI,
    "review",
    "--goal",
    "bench",
    "--worker",
    "offline",
    "--reviewer",
    "offline",
    "--max-rounds",
    "1",
  ];
  return { ms: await time(5, () => spawnDirect(process.execPath, args, repo)), repo };
}

async function benchStatus(dir: string): Promise<{ node: number; status: number; events: number }> {
  const repo = await createRepo(path.join(dir, "status"));
  const paths = createBosunPaths(repo);
  const store = await RunStore.create(
    paths,
    "bench\n",
    {
      type: "run.created",
      version: 2,
      flow: "review",
      taskId: "T-1",
      title: "bench",
      baseCommit: "0".repeat(40),
      options: { worker: "offline", reviewer: "offline", maxRounds: 3, verify: "", timeoutSec: 0 },
    },
    { createId: () => "20260101-000000-beef" },
  );
  const { runId } = store;
  // 100k events, written as lines in bulk (the store would fsync each; that is not what we time).
  const lines: string[] = [];
  const ts = new Date().toISOString();
  for (let seq = 2; seq <= 100_000; seq += 1) {
    lines.push(
      JSON.stringify({
        seq,
        ts,
        type: "gate.completed",
        taskId: "T-001",
        round: 1,
        name: "verify",
        passed: true,
        detail: "ok",
      }),
    );
  }
  await appendLines(paths.eventsFile(runId), lines);
  await store.close();
  // Re-open once so run.json reflects all 100k events, as after a real run.
  const reopened = await RunStore.open(paths, runId);
  const events = reopened.run.eventCount;
  await reopened.close();
  const node = await time(7, () => spawnDirect(process.execPath, ["-e", ""], repo));
  const status = await time(7, () => spawnDirect(process.execPath, [CLI, "status", runId], repo));
  return { node, status, events };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bosun-bench-"));
  try {
    process.stdout.write(
      `bosun bench · node ${process.version} · ${os.cpus().length} cores · medians\n\n`,
    );
    const d = await benchDispatch(dir);
    const overhead = d.viaBosun - d.direct;
    process.stdout.write(
      `${row("trivial agent, spawned directly", `${d.direct.toFixed(1)} ms`, "")}\n`,
    );
    process.stdout.write(
      `${row("same agent through dispatch()", `${d.viaBosun.toFixed(1)} ms`, `ratio ${(d.viaBosun / d.direct).toFixed(2)}x`)}\n`,
    );
    process.stdout.write(
      `${row("→ bosun overhead per dispatch", `${overhead.toFixed(1)} ms`, `target ≤ 50 ms: ${overhead <= 50 ? "met" : "MISSED"}`)}\n\n`,
    );
    const round = await benchReviewRound(dir);
    process.stdout.write(
      `${row("bosun review: one round, offline agents (CLI)", `${round.ms.toFixed(1)} ms`, "process start, 2 agent spawns, checkpoint, gates, synced events")}\n`,
    );
    await benchPipeline(path.join(dir, "pipeline"), round.repo, (line) =>
      process.stdout.write(`${line}\n`),
    );
    process.stdout.write("\n");
    const s = await benchStatus(dir);
    process.stdout.write(`${row('node startup (node -e "")', `${s.node.toFixed(1)} ms`, "")}\n`);
    process.stdout.write(
      `${row(`bosun status, run with ${s.events} events`, `${s.status.toFixed(1)} ms`, `ratio ${(s.status / s.node).toFixed(2)}x · target ≤ 150 ms: ${s.status <= 150 ? "met" : "MISSED"}`)}\n`,
    );
    process.stdout.write(
      `${row("→ bosun's own part (status − node startup)", `${(s.status - s.node).toFixed(1)} ms`, "history size does not matter: status reads run.json only")}\n\n`,
    );
    await benchTeam(path.join(dir, "team"), (line) => process.stdout.write(`${line}\n`));
    await benchDashboard(path.join(dir, "dashboard"), (line) => process.stdout.write(`${line}\n`));
    process.stdout.write("\n");
    await benchPulse(path.join(dir, "pulse"), (line) => process.stdout.write(`${line}\n`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
