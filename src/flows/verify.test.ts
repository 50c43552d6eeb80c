import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { CancelledError } from "../errors.js";
import { startProcess } from "../proc/run-process.js";
import { createBosunPaths } from "../store/paths.js";
import { DEFAULT_CONFIG } from "../store/schema/config.js";
import { isPidRunning, makeTestDir } from "../../test/helpers/testdir.js";
import type { BosunEvent } from "./events.js";
import { createRunIndex } from "../store/run-index.js";
import type { RoundScope, RunContext } from "./flow-context.js";
import { runVerifyCommand } from "./verify.js";

function makeContext(root: string, emitted: BosunEvent[]): RunContext {
  return {
    paths: createBosunPaths(root),
    config: DEFAULT_CONFIG,
    runId: "r1",
    state: createRunIndex(),
    record: () => Promise.reject(new Error("verify records nothing itself")),
    emit: (event) => emitted.push(event),
  };
}

function makeScope(root: string): RoundScope {
  return {
    taskId: "T-001",
    round: 1,
    cwd: root,
    harnesses: { worker: "offline", reviewer: "offline" },
    maxRounds: 3,
    timeoutSec: 10,
    resumeCommand: "bosun review --resume r1",
  };
}

describe("runVerifyCommand", () => {
  it("passes on exit 0 and logs stdout and stderr together", async () => {
    const dir = await makeTestDir();
    const log = path.join(dir, "verify.log");
    const outcome = await runVerifyCommand(
      makeContext(dir, []),
      makeScope(dir),
      "echo out; echo err >&2 # comment",
      log,
    );
    expect(outcome).toMatchObject({ passed: true, fixItems: [] });
    expect(await readFile(log, "utf8")).toBe("out\nerr\n");
  });

  it("turns a red run into a fix item with the output's tail", async () => {
    const dir = await makeTestDir();
    const outcome = await runVerifyCommand(
      makeContext(dir, []),
      makeScope(dir),
      "echo 'expected 5, got -1'; exit 1",
      path.join(dir, "verify.log"),
    );
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toBe("`echo 'expected 5, got -1'; exit 1` exited 1");
    expect(outcome.fixItems[0]?.reason).toContain("expected 5, got -1");
  });

  it("kills a verify command left running by a killed bosun (verify.pid) before running again", async () => {
    const dir = await makeTestDir();
    const orphan = startProcess({ command: "/bin/sh", args: ["-c", "sleep 300"], cwd: dir });
    const lines = orphan.lines();
    await writeFile(path.join(dir, "verify.pid"), `${orphan.pid}\n`);
    const emitted: BosunEvent[] = [];
    const outcome = await runVerifyCommand(
      makeContext(dir, emitted),
      makeScope(dir),
      "true",
      path.join(dir, "verify.log"),
    );
    for await (const _line of lines) {
      // Drain until the killed group closes stdout.
    }
    // The default grace: TERM is enough for sh and sleep.
    expect((await orphan.result).signal).toBe("SIGTERM");
    expect(isPidRunning(orphan.pid)).toBe(false);
    expect(outcome.passed).toBe(true);
    expect(emitted.map((event) => event.type)).toEqual(["warning"]);
    await expect(readFile(path.join(dir, "verify.pid"), "utf8")).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});

describe("runVerifyCommand and what the command detached", () => {
  it("kills a process the command started in a session of its own (setsid) when it ends", async () => {
    const dir = await makeTestDir();
    const pidFile = path.join(dir, "server.pid");
    // A dev server started for the tests, left running in its own session, output elsewhere.
    const command = `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 300' >/dev/null 2>&1 &
      while [ ! -s ${pidFile} ]; do sleep 0.05; done`;
    const outcome = await runVerifyCommand(
      makeContext(dir, []),
      makeScope(dir),
      command,
      path.join(dir, "v.log"),
    );
    const serverPid = Number((await readFile(pidFile, "utf8")).trim());
    onTestFinished(() => {
      try {
        process.kill(serverPid, "SIGKILL");
      } catch {
        // ESRCH: gone, as it should be.
      }
    });
    expect(outcome.passed).toBe(true);
    expect(isPidRunning(serverPid)).toBe(false);
  });
});

describe("runVerifyCommand when stopped", () => {
  it("throws CancelledError on abort instead of reporting a failed gate", async () => {
    const dir = await makeTestDir();
    const controller = new AbortController();
    const ctx = { ...makeContext(dir, []), signal: controller.signal };
    setTimeout(() => controller.abort(), 100);
    await expect(
      runVerifyCommand(ctx, makeScope(dir), "sleep 30", path.join(dir, "verify.log")),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("runVerifyCommand with a command that cannot run", () => {
  it("throws a UsageError naming the command and how to continue, instead of failing the gate", async () => {
    const dir = await makeTestDir();
    await expect(
      runVerifyCommand(
        makeContext(dir, []),
        makeScope(dir),
        "no-such-test-runner-for-bosun --all",
        path.join(dir, "verify.log"),
      ),
    ).rejects.toThrow(
      /^The verify command `no-such-test-runner-for-bosun --all` could not run \(exit 127: .*not found\)\. Fix it, then continue with: bosun review --resume r1 --verify/,
    );
  });

  it("in a run that keeps its test command for life, says to start a new run (its --resume refuses --verify)", async () => {
    const dir = await makeTestDir();
    const running = runVerifyCommand(
      makeContext(dir, []),
      { ...makeScope(dir), isVerifyFixed: true },
      "no-such-test-runner-for-bosun",
      path.join(dir, "verify.log"),
    );
    await expect(running).rejects.toThrow(
      /could not run \(exit 127: .*\)\. A run keeps its test command for life: start a new run with a --verify that works/,
    );
    await expect(running).rejects.toMatchObject({
      detail: expect.stringMatching(
        /^`no-such-test-runner-for-bosun` could not run \(exit 127: /,
      ) as unknown,
    });
  });
});
