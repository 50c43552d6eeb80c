/** `bosun demo`: a whole review loop on a throwaway repo with the offline agent — no keys, no network. */
import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { createDemoRepo, DEMO_TASK, DEMO_VERIFY } from "../../flows/demo.js";
import { startReview } from "../../flows/review.js";
import { createBosunPaths, getTempDir } from "../../store/paths.js";
import { DEFAULT_CONFIG, type Config } from "../../store/schema/config.js";
import type { CliContext } from "../context.js";
import { color, formatDuration } from "../format.js";
import { getBosunCommand, quoteForShell } from "../invocation.js";
import { subscribePrinter } from "../printer.js";

/** Runs the demo and tells its story. */
export async function runDemo(ctx: CliContext): Promise<number> {
  const startedAt = performance.now();
  const dir = await mkdtemp(path.join(getTempDir(), "bosun-demo-"));
  const { repo, scriptFile } = await createDemoRepo(dir);
  const config: Config = {
    ...DEFAULT_CONFIG,
    agents: { offline: { script: scriptFile } },
    dispatch: { ...DEFAULT_CONFIG.dispatch, retries: 0, timeoutSec: 60 },
  };
  const paths = createBosunPaths(repo);
  if (!ctx.isJson)
    process.stderr.write(
      `${color.bold("bosun demo")}: a sample repo at ${repo}\nTask: ${DEMO_TASK.goal}. Worker and reviewer: the offline agent. Verify: \`${DEMO_VERIFY}\`.\n\n`,
    );
  const outcome = await startReview({
    paths,
    config,
    signal: ctx.signal,
    onEvent: subscribePrinter(ctx),
    task: DEMO_TASK,
    request: `${DEMO_TASK.goal}\n`,
    reviewOptions: {
      worker: "offline",
      reviewer: "offline",
      maxRounds: 3,
      verify: DEMO_VERIFY,
      timeoutSec: 60,
    },
    isDirtyAllowed: false,
  });
  const { run } = outcome;
  const runDir = paths.runDir(run.id);
  if (ctx.isJson) {
    // One line, like the events before it: stdout stays JSON Lines.
    process.stdout.write(`${JSON.stringify({ type: "demo.result", repo, runDir, run })}\n`);
  } else {
    const story = [
      "",
      color.bold("What happened"),
      // The story of the scripted demo; anything else (a broken machine) gets the run's reason.
      ...(run.status === "succeeded" && run.round === 2
        ? [
            "  round 1: the worker wrote sum() with a bug; bosun checkpointed it and ran the verify command,",
            "           which failed, so the failure became the fix list and no review was spent.",
            "  round 2: the worker got that fix list, fixed the bug; verify passed; the reviewer read the",
            "           real git diff and approved.",
          ]
        : [`  the run did not go as scripted: ${run.reason ?? run.step}`]),
      `  result:  ${run.status} in ${formatDuration(performance.now() - startedAt)}, ${run.round} rounds, ${run.eventCount} events.`,
      "",
      color.bold("Look around") + color.dim(" (these work as printed, from any directory)"),
      ...(await formatLookAround(repo, runDir, run.id)),
      "",
    ];
    process.stderr.write(`${story.join("\n")}\n`);
  }
  return run.status === "succeeded" ? 0 : 1;
}

/** Commands to inspect the demo run: they name the demo repo and run this same bosun. */
async function formatLookAround(repo: string, runDir: string, runId: string): Promise<string[]> {
  const bosun = `${await getBosunCommand()} --root ${quoteForShell(repo)}`;
  const rounds = `${quoteForShell(path.join(runDir, "tasks", DEMO_TASK.task_id, "rounds"))}/*`;
  return [
    `  ${bosun} status ${runId}    # the run's state (run.json)`,
    `  ${bosun} log ${runId}       # every transition (events.jsonl)`,
    `  ${bosun} diff ${runId}      # what the run changed`,
    `  ls ${rounds}   # prompts, agent logs, reports, gates, fix lists`,
  ];
}
