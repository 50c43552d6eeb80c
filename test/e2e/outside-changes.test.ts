/**
 * Whose changes are whose when bosun stops and resumes: commits and edits made outside the run
 * are never the worker's; an agent's own changes are never lost from review because bosun was
 * stopped under it; a reviewer's are always taken back (and saved); nothing a human made is
 * thrown away or tested as the worker's without a word.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import {
  type CliResult,
  createOfflineRepo,
  filterEvents,
  type OfflineRepo,
  type OfflineSteps,
  useOfflineRepos,
} from "../helpers/offline-repo.js";
import { isPidRunning } from "../helpers/testdir.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { waitFor } from "../helpers/wait-for.js";

const GOAL = "Add feature.txt containing the word feature.";
const WRITE_FEATURE: OfflineAction = { write: { path: "feature.txt", content: "feature\n" } };
const WORK_REPORT: OfflineAction = {
  report: { files_changed: ["feature.txt"], notes: "Edited feature.txt.", tests: [] },
};
const APPROVE: OfflineAction = {
  report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] },
};
/** An agent commits what it wrote, as the worker prompt allows (and a reviewer must not). */
const COMMIT_ALL = (message: string): OfflineAction => ({
  run: `git add -A && git -c user.name=agent -c user.email=agent@example.com commit -q -m '${message}'`,
});
/** Says "I am here" through a file, then keeps working, so the test can stop bosun under it. */
const SIGNAL_AND_HANG = (file: string): OfflineAction[] => [
  { run: `echo here > '${file}'` },
  { sleepMs: 60_000 },
];
const ADD_USER_FILE = ["-c", "user.name=u", "-c", "user.email=u@example.com", "commit", "-q"];

const repos = useOfflineRepos();

async function makeRepo(steps: OfflineSteps): Promise<OfflineRepo> {
  const repo = await createOfflineRepo(steps);
  repos.push(repo);
  return repo;
}

function reviewArgs(...extra: string[]): string[] {
  return ["review", "--goal", GOAL, "--worker", "offline", "--reviewer", "offline", ...extra];
}

/** The user commits user.txt, as after "fix the cause, then --resume". */
async function commitUserFile(repo: OfflineRepo): Promise<string> {
  await writeFile(join(repo.root, "user.txt"), "mine\n");
  await repo.git(["add", "user.txt"]);
  await repo.git([...ADD_USER_FILE, "-m", "add user.txt"]);
  return (await repo.git(["rev-parse", "HEAD"])).trim();
}

/** Starts a review and stops bosun with `signal` once an agent wrote `marker`. */
async function stopWhenMarked(
  repo: OfflineRepo,
  args: readonly string[],
  marker: string,
  signal: NodeJS.Signals,
): Promise<CliResult> {
  const bosun = repo.startCli(args);
  await waitFor(`an agent to write ${marker}`, () => (existsSync(marker) ? true : undefined), {
    timeoutMs: 30_000,
  });
  process.kill(bosun.pid, signal);
  return bosun.result;
}

describe("commits made outside the run", () => {
  it("never credits the worker with a commit made between a failure and --resume", async () => {
    // Round 1's worker crashes, so the run fails; the user commits; the resumed worker changes nothing.
    const repo = await makeRepo([{ role: "worker", actions: [{ exit: 1 }] }]);
    const failed = await repo.runCli(reviewArgs("--max-rounds", "1"));
    expect(failed.exitCode).toBe(1);
    const { runId } = await repo.readOnlyRun();
    const userCommit = await commitUserFile(repo);
    await repo.writeScript([
      { role: "worker", actions: [WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);

    const resumed = await repo.runCli(["review", "--resume", runId]);

    expectNoInternalError(resumed);
    expect(resumed.exitCode).toBe(3);
    expect(resumed.stderr).toContain("HEAD moved outside the run");
    expect(resumed.stderr).toContain("add user.txt");
    expect(resumed.stderr).toMatch(/gate noop ✗ the worker changed nothing/);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("needs_human");
    expect(filterEvents(events, "head.moved")).toMatchObject([
      {
        round: 1,
        to: userCommit,
        stage: "worker",
        commits: [expect.stringMatching(/ add user\.txt$/)],
      },
    ]);
    expect(filterEvents(events, "checkpoint.created")).toMatchObject([
      { round: 1, parent: userCommit, commit: userCommit, filesChanged: [] },
    ]);
    expect(filterEvents(events, "review.completed")).toEqual([]);
    expect(await repo.git(["show", "HEAD:user.txt"])).toBe("mine");
  });

  it("measures a resumed worker's change from the user's commit, not from the round's start", async () => {
    const repo = await makeRepo([{ role: "worker", actions: [{ exit: 1 }] }]);
    expect((await repo.runCli(reviewArgs())).exitCode).toBe(1);
    const { runId } = await repo.readOnlyRun();
    const userCommit = await commitUserFile(repo);
    await repo.writeScript([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);

    const resumed = await repo.runCli(["review", "--resume", runId]);

    expect(resumed.exitCode).toBe(0);
    const { events } = await repo.readOnlyRun();
    expect(filterEvents(events, "checkpoint.created")).toMatchObject([
      { round: 1, parent: userCommit, filesChanged: ["feature.txt"] },
    ]);
    const diff = await repo.runCli(["diff", runId, "--round", "1"]);
    expect(diff.stdout).toContain("feature.txt");
    expect(diff.stdout).not.toContain("user.txt");
    // The whole run's diff spans the user's commit: it says so, on stderr, outside the patch.
    const whole = await repo.runCli(["diff", runId]);
    expect(whole.stdout).toContain("user.txt");
    expect(whole.stderr).toMatch(
      /note: this diff includes 1 commit\(s\) made outside the run \(\w+ add user\.txt\)/,
    );
    const wholeJson = await repo.runCli(["diff", runId, "--json"]);
    expect(JSON.parse(wholeJson.stdout)).toMatchObject({
      outsideCommits: [expect.stringMatching(/ add user\.txt$/)],
    });
  });

  it("keeps a commit made after the checkpoint, reviews only the worker's diff, and tests the tree as it is", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);
    const first = await repo.runCli(reviewArgs("--verify", "no-such-test-runner-for-bosun"));
    expect(first.exitCode).toBe(2);
    const stopped = await repo.readOnlyRun();
    const checkpoint = filterEvents(stopped.events, "checkpoint.created")[0];
    const userCommit = await commitUserFile(repo);

    const resumed = await repo.runCli([
      "review",
      "--resume",
      stopped.runId,
      "--verify",
      "test -f feature.txt && test -f user.txt",
    ]);

    expect(resumed.exitCode).toBe(0);
    expect(resumed.stderr).toContain("kept on top of the checkpoint");
    const { events } = await repo.readOnlyRun();
    expect(filterEvents(events, "head.moved")).toMatchObject([
      { round: 1, from: checkpoint?.commit, to: userCommit, stage: "gates" },
    ]);
    expect(filterEvents(events, "gate.completed", { round: 1 }).at(-1)).toMatchObject({
      name: "verify",
      passed: true,
    });
    const reviewPrompt = await readFile(
      repo.getTaskFile(stopped.runId, "rounds/1/reviewer/prompt.md"),
      "utf8",
    );
    expect(reviewPrompt).toContain("## What changed, measured by git: feature.txt\n");
    expect(reviewPrompt).not.toContain("+mine");
    // The user's commit is still there after the reviewer's clean-up.
    expect((await repo.git(["rev-parse", "HEAD"])).trim()).toBe(userCommit);
  });

  it("stops, naming the checkpoint, when HEAD no longer contains the worker's change", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);
    expect(
      (await repo.runCli(reviewArgs("--verify", "no-such-test-runner-for-bosun"))).exitCode,
    ).toBe(2);
    const stopped = await repo.readOnlyRun();
    const checkpoint = filterEvents(stopped.events, "checkpoint.created")[0];
    await repo.git(["reset", "-q", "--hard", "HEAD~1"]);

    const resumed = await repo.runCli(["review", "--resume", stopped.runId, "--verify", "true"]);

    expect(resumed.exitCode).toBe(1);
    expectNoInternalError(resumed);
    expect(resumed.stderr).toContain(
      `no longer contains round 1's checkpoint ${checkpoint?.commit.slice(0, 7)}`,
    );
    const { events } = await repo.readOnlyRun();
    expect(filterEvents(events, "review.completed")).toEqual([]);
  });
});

describe("an agent's own changes when bosun stops under it", () => {
  it("stops rather than drop a failed worker's commits from review when a human committed on top", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, COMMIT_ALL("worker commit"), { exit: 1 }] },
    ]);
    expect((await repo.runCli(reviewArgs())).exitCode).toBe(1);
    const { runId } = await repo.readOnlyRun();
    const workerCommit = (await repo.git(["rev-parse", "HEAD"])).trim();
    await commitUserFile(repo);
    await repo.writeScript([
      { role: "worker", actions: [WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);

    const stopped = await repo.runCli(["review", "--resume", runId]);

    expectNoInternalError(stopped);
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stderr).toContain("the worker's change cannot be measured apart from them");
    expect(stopped.stderr).toContain(`git reset --hard ${workerCommit.slice(0, 7)}`);
    expect(filterEvents((await repo.readOnlyRun()).events, "checkpoint.created")).toEqual([]);

    // As advised: the user's commit moves to a branch; the worker's commit is reviewed whole.
    await repo.git(["branch", "mine"]);
    await repo.git(["reset", "-q", "--hard", workerCommit]);
    const resumed = await repo.runCli(["review", "--resume", runId]);
    expect(resumed.exitCode).toBe(0);
    expect(filterEvents((await repo.readOnlyRun()).events, "checkpoint.created")).toMatchObject([
      { round: 1, filesChanged: ["feature.txt"] },
    ]);
  });

  it("credits a worker with the commit it made before bosun was killed (kill -9, then --resume)", async () => {
    const repo = await makeRepo([]);
    const marker = join(repo.home, "worker-committed");
    await repo.writeScript([
      {
        role: "worker",
        actions: [WRITE_FEATURE, COMMIT_ALL("worker commit"), ...SIGNAL_AND_HANG(marker)],
      },
    ]);
    await stopWhenMarked(repo, reviewArgs(), marker, "SIGKILL");
    const { runId } = await repo.readOnlyRun();
    await repo.writeScript([
      { role: "worker", actions: [WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);

    const resumed = await repo.runCli(["review", "--resume", runId]);

    expectNoInternalError(resumed);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stderr).toContain(
      "cannot be told apart from the worker's and count as its change",
    );
    const { events } = await repo.readOnlyRun();
    expect(filterEvents(events, "head.moved")).toEqual([]);
    expect(filterEvents(events, "checkpoint.created")).toMatchObject([
      { round: 1, filesChanged: ["feature.txt"] },
    ]);
  });

  it("counts its own checkpoint commit as the worker's when killed before journaling it", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);
    // The verify command cannot run: bosun stops right after the checkpoint (exit 2).
    expect(
      (await repo.runCli(reviewArgs("--verify", "no-such-test-runner-for-bosun"))).exitCode,
    ).toBe(2);
    const { runId } = await repo.readOnlyRun();
    // As if killed between "git commit" and journaling it: the journal ends at checkpoint.started.
    const journal = repo.paths.eventsFile(runId);
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    const started = lines.findIndex((line) => line.includes('"type":"checkpoint.started"'));
    expect(started).toBeGreaterThan(0);
    await writeFile(journal, `${lines.slice(0, started + 1).join("\n")}\n`);

    const resumed = await repo.runCli(["review", "--resume", runId, "--verify", "true"]);

    expectNoInternalError(resumed);
    expect(resumed.exitCode).toBe(0);
    const { events } = await repo.readOnlyRun();
    expect(filterEvents(events, "head.moved")).toEqual([]);
    expect(filterEvents(events, "checkpoint.created")).toMatchObject([
      { round: 1, filesChanged: ["feature.txt"] },
    ]);
  });

  it("takes back a reviewer's commit when bosun is stopped under it (Ctrl-C), and on --resume", async () => {
    const repo = await makeRepo([]);
    const marker = join(repo.home, "reviewer-committed");
    await repo.writeScript([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      {
        role: "reviewer",
        actions: [
          { write: { path: "feature.txt", content: "REVIEWER WAS HERE\n" } },
          COMMIT_ALL("reviewer sneaks in"),
          ...SIGNAL_AND_HANG(marker),
        ],
      },
    ]);
    const stopped = await stopWhenMarked(repo, reviewArgs(), marker, "SIGINT");
    expect(stopped.exitCode).toBe(130);
    expect(stopped.stderr).toContain("The reviewer changed 1 file(s) (feature.txt)");
    const { runId, events } = await repo.readOnlyRun();
    const checkpoint = filterEvents(events, "checkpoint.created")[0];
    expect((await repo.git(["rev-parse", "HEAD"])).trim()).toBe(checkpoint?.commit);
    await repo.writeScript([{ role: "reviewer", actions: [APPROVE] }]);

    const resumed = await repo.runCli(["review", "--resume", runId]);

    expect(resumed.exitCode).toBe(0);
    expect(resumed.stderr).not.toContain("HEAD moved");
    expect((await repo.git(["rev-parse", "HEAD"])).trim()).toBe(checkpoint?.commit);
    expect(await readFile(join(repo.root, "feature.txt"), "utf8")).toBe("feature\n");
  });

  it("takes back what changed while a reviewer ran under a killed bosun, saved, before the next reviewer looks", async () => {
    const repo = await makeRepo([]);
    const marker = join(repo.home, "reviewer-working");
    await repo.writeScript([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      {
        role: "reviewer",
        actions: [{ write: { path: "scratch.txt", content: "x\n" } }, ...SIGNAL_AND_HANG(marker)],
      },
    ]);
    await stopWhenMarked(repo, reviewArgs(), marker, "SIGKILL");
    const { runId, events } = await repo.readOnlyRun();
    const checkpoint = filterEvents(events, "checkpoint.created")[0];
    // The next reviewer must find the tree as the worker left it (it notes what it saw in $HOME).
    await repo.writeScript([
      {
        role: "reviewer",
        actions: [
          { run: 'if [ -e scratch.txt ]; then echo yes; else echo no; fi > "$HOME/saw-scratch"' },
          APPROVE,
        ],
      },
    ]);

    const resumed = await repo.runCli(["review", "--resume", runId]);

    expect(resumed.exitCode).toBe(0);
    expect(resumed.stderr).toContain(
      "The reviewer bosun was stopped under (or someone since) changed 1 file(s) (scratch.txt)",
    );
    const ref = /saved as (refs\/bosun\/discarded\/\S+):/.exec(resumed.stderr)?.[1];
    expect(await repo.git(["show", `${ref}:scratch.txt`])).toBe("x");
    expect((await repo.git(["rev-parse", "HEAD"])).trim()).toBe(checkpoint?.commit);
    expect(existsSync(join(repo.root, "scratch.txt"))).toBe(false);
    expect(await readFile(join(repo.home, "saw-scratch"), "utf8")).toBe("no\n");
  });
});

describe("a human's uncommitted changes", () => {
  it("are neither tested nor thrown away at the gates: --resume stops, naming them", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);
    expect(
      (await repo.runCli(reviewArgs("--verify", "no-such-test-runner-for-bosun"))).exitCode,
    ).toBe(2);
    const { runId } = await repo.readOnlyRun();
    await writeFile(join(repo.root, "bosun.yaml"), "# being edited\n", { flag: "a" });

    const resumed = await repo.runCli(["review", "--resume", runId, "--verify", "true"]);

    expectNoInternalError(resumed);
    expect(resumed.exitCode).toBe(2);
    expect(resumed.stderr).toContain(
      "The working tree has uncommitted changes bosun did not make (bosun.yaml)",
    );
    expect(await readFile(join(repo.root, "bosun.yaml"), "utf8")).toContain("# being edited");
    const gates = filterEvents((await repo.readOnlyRun()).events, "gate.completed");
    expect(gates.filter((gate) => gate.name === "verify")).toEqual([]);

    await repo.git(["add", "bosun.yaml"]);
    await repo.git([...ADD_USER_FILE, "-m", "edit bosun.yaml"]);
    const again = await repo.runCli(["review", "--resume", runId, "--verify", "true"]);
    expect(again.exitCode).toBe(0);
    expect(await readFile(join(repo.root, "bosun.yaml"), "utf8")).toContain("# being edited");
  });

  it("are never a later round's worker's: answering 'more' on a dirty tree stops, naming them", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      {
        role: "reviewer",
        actions: [
          { report: { decision: "changes_required", blocking_issues: [{ reason: "no" }] } },
        ],
      },
    ]);
    expect((await repo.runCli(reviewArgs("--max-rounds", "1"))).exitCode).toBe(3);
    const { run } = await repo.readOnlyRun();
    await writeFile(join(repo.root, "notes.txt"), "mine\n");

    const answered = await repo.runCli(["answer", run.openAskIds[0] ?? "", "more"]);

    expectNoInternalError(answered);
    expect(answered.exitCode).toBe(2);
    expect(answered.stderr).toContain("round 2's worker must not be credited with them");
    expect(await readFile(join(repo.root, "notes.txt"), "utf8")).toBe("mine\n");
    expect(filterEvents((await repo.readOnlyRun()).events, "round.started")).toHaveLength(1);
  });
});

describe("processes a killed bosun left behind", () => {
  it("are ended when the next run starts, not only on --resume of theirs", async () => {
    const repo = await makeRepo([]);
    const marker = join(repo.home, "orphan-started");
    const orphanPidFile = join(repo.home, "orphan.pid");
    await repo.writeScript([
      {
        role: "worker",
        actions: [
          // A tool command that left the agent's group, writing into the repository later.
          {
            run: `setsid sh -c 'echo $$ > "${orphanPidFile}"; sleep 60; echo late > orphan.txt' > /dev/null 2>&1 &`,
          },
          { run: `while [ ! -s "${orphanPidFile}" ]; do sleep 0.05; done` },
          ...SIGNAL_AND_HANG(marker),
        ],
      },
    ]);
    await stopWhenMarked(repo, reviewArgs(), marker, "SIGKILL");
    const orphanPid = Number((await readFile(orphanPidFile, "utf8")).trim());
    expect(isPidRunning(orphanPid)).toBe(true);
    await repo.writeScript([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);

    const next = await repo.runCli(reviewArgs());

    expectNoInternalError(next);
    expect(next.exitCode).toBe(0);
    expect(next.stderr).toContain("Killed processes left running by an earlier bosun process");
    expect(isPidRunning(orphanPid)).toBe(false);
  });
});
