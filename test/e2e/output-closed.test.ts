/**
 * bosun's own output going away (`bosun review … | head`): a run keeps working quietly and ends as
 * it would have, with its usual exit code; a read command stops quietly with exit 0.
 */
import { describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { runProcess } from "../../src/proc/run-process.js";
import {
  createOfflineRepo,
  filterEvents,
  type OfflineRepo,
  useOfflineRepos,
} from "../helpers/offline-repo.js";

const CLI_ENTRY = new URL("../../dist/cli.js", import.meta.url).pathname;

/** Enough agent text that bosun keeps writing long after the reader has gone. */
const CHATTER: OfflineAction[] = Array.from({ length: 40 }, (_, i) => ({ say: `step ${i}` }));

const repos = useOfflineRepos();

async function makeRepo(): Promise<OfflineRepo> {
  const repo = await createOfflineRepo([
    {
      role: "worker",
      actions: [
        ...CHATTER,
        { write: { path: "feature.txt", content: "feature\n" } },
        { report: { files_changed: ["feature.txt"], notes: "done", tests: [] } },
      ],
    },
    {
      role: "reviewer",
      actions: [
        ...CHATTER,
        { report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] } },
      ],
    },
  ]);
  repos.push(repo);
  return repo;
}

/**
 * Runs `bosun <args>` piped into `head -n <lines>` by bash, which waits for the whole pipeline:
 * returns bosun's own exit code and what head printed.
 */
async function runIntoHead(
  repo: OfflineRepo,
  bosunArgs: string,
  lines: number,
): Promise<{ bosunExit: number; shown: string[] }> {
  const script = `"${process.execPath}" "${CLI_ENTRY}" ${bosunArgs} | head -n ${lines}; echo "bosun-exit=\${PIPESTATUS[0]}"`;
  const result = await runProcess({
    command: "bash",
    args: ["-c", script],
    cwd: repo.root,
    env: {
      BOSUN_HOME: repo.home,
      HOME: repo.home,
      NO_COLOR: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
    },
    timeoutMs: 30_000,
  });
  const out = result.stdout.split("\n");
  const exitLine = out.find((line) => line.startsWith("bosun-exit="));
  return {
    bosunExit: Number(exitLine?.slice("bosun-exit=".length)),
    shown: out.filter((line) => !line.startsWith("bosun-exit=")),
  };
}

describe("bosun with its output closed early", () => {
  it("finishes a review whose reader went away (2>&1 | head -3): same outcome and exit code", async () => {
    const repo = await makeRepo();

    const { bosunExit, shown } = await runIntoHead(
      repo,
      '--json review --goal "Add feature.txt" --worker offline --reviewer offline 2>&1',
      3,
    );

    expect(shown).toHaveLength(3);
    expect(bosunExit).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", round: 1 });
    expect(filterEvents(events, "review.completed")).toMatchObject([{ decision: "approve" }]);
  });

  it("finishes a review whose human-readable progress was cut (stderr into head -2)", async () => {
    const repo = await makeRepo();

    const { bosunExit, shown } = await runIntoHead(
      repo,
      'review --goal "Add feature.txt" --worker offline --reviewer offline 2>&1',
      2,
    );

    expect(shown[0]).toContain("▶ review");
    expect(bosunExit).toBe(0);
    expect((await repo.readOnlyRun()).run.status).toBe("succeeded");
  });

  it("finishes a pipeline whose reader went away (pipeline … 2>&1 | head -2)", async () => {
    const repo = await createOfflineRepo([
      {
        seat: "worker",
        actions: [
          ...CHATTER,
          { write: { path: "feature.txt", content: "feature\n" } },
          { report: { files_changed: ["feature.txt"], notes: "done", tests: [] } },
        ],
      },
      {
        seat: "verifier",
        actions: [...CHATTER, { report: { verdict: "complete", summary: "ok" } }],
      },
    ]);
    repos.push(repo);

    const { bosunExit, shown } = await runIntoHead(
      repo,
      'pipeline --intent "Add feature.txt" --pairs implement --producer offline --verifier offline 2>&1',
      2,
    );

    expect(shown[0]).toContain("▶ pipeline");
    expect(bosunExit).toBe(0);
    const { run } = await repo.readOnlyRun();
    expect(run).toMatchObject({ flow: "pipeline", status: "succeeded" });
  });

  it("stops a read command quietly with exit 0 (log | head -1)", async () => {
    const repo = await makeRepo();
    const review = ["review", "--goal", "x", "--worker", "offline", "--reviewer", "offline"];
    expect((await repo.runCli(review)).exitCode).toBe(0);

    const { bosunExit, shown } = await runIntoHead(repo, "log --json 2>&1", 1);

    expect(shown).toHaveLength(1);
    expect(shown[0]).toContain('"type":"run.created"');
    expect(bosunExit).toBe(0);
  });
});
