import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isPidRunning, makeTestDir, waitForPidExit } from "../../test/helpers/testdir.js";
import { getLiveChildPids, runProcess, startProcess, type ProcessOptions } from "./run-process.js";

const NODE = process.execPath;

/** Options to run an inline node script. */
function makeNodeOptions(
  script: string,
  cwd: string,
  extra: Partial<ProcessOptions> = {},
): ProcessOptions {
  return { command: NODE, args: ["-e", script], cwd, ...extra };
}

/** A script that prints a grandchild's pid, then its own "ready", then idles forever. */
const SPAWNS_GRANDCHILD_AND_HANGS = `
  const { spawn } = require("node:child_process");
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  console.log(child.pid);
  console.log("ready");
  setInterval(() => {}, 1000);
`;

afterEach(() => {
  // Every test must leave no child behind.
  expect(getLiveChildPids()).toEqual([]);
});

describe("runProcess", () => {
  it("reports the exit code and collects stdout lines (LF-framed, CRLF stripped)", async () => {
    const dir = await makeTestDir();
    const result = await runProcess(
      makeNodeOptions(`process.stdout.write("a\\nb\\r\\nc"); process.exit(3)`, dir),
    );
    expect(result).toMatchObject({
      exitCode: 3,
      signal: null,
      terminationReason: "exit",
      stdout: "a\nb\nc",
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("runs in the given cwd", async () => {
    const dir = await makeTestDir();
    const result = await runProcess(makeNodeOptions("console.log(process.cwd())", dir));
    expect(result.stdout).toBe(dir);
  });

  it("keeps only a bounded tail of stderr", async () => {
    const dir = await makeTestDir();
    const result = await runProcess(
      makeNodeOptions(
        `process.stderr.write("x".repeat(50000)); process.stderr.write("THE END"); process.exit(1)`,
        dir,
      ),
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderrTail.length).toBeLessThanOrEqual(4096);
    expect(result.stderrTail.length).toBeGreaterThan(1000);
    expect(result.stderrTail.endsWith("THE END")).toBe(true);
  });

  it("feeds stdinFile's content to the child", async () => {
    const dir = await makeTestDir();
    const stdinFile = path.join(dir, "prompt.md");
    await writeFile(stdinFile, "line one\nline two ✓\n");
    const result = await runProcess(
      makeNodeOptions("process.stdin.pipe(process.stdout)", dir, { stdinFile, timeoutMs: 5_000 }),
    );
    expect(result.terminationReason).toBe("exit");
    expect(result.stdout).toBe("line one\nline two ✓");
  });

  it("gives the child /dev/null as stdin by default, so a read ends at once", async () => {
    const dir = await makeTestDir();
    const script = `let n = 0; process.stdin.on("data", (d) => (n += d.length)); process.stdin.on("end", () => console.log("eof:" + n));`;
    // If stdin were an open pipe the child would wait forever; the timeout would then end it.
    const result = await runProcess(makeNodeOptions(script, dir, { timeoutMs: 5_000 }));
    expect(result).toMatchObject({ terminationReason: "exit", exitCode: 0, stdout: "eof:0" });
  });

  it("applies env overrides over process.env, sets BOSUN=1, and removes variables set to undefined", async () => {
    const dir = await makeTestDir();
    vi.stubEnv("BOSUN_TEST_INHERITED", "inherited");
    vi.stubEnv("BOSUN_TEST_REMOVED", "should vanish");
    vi.stubEnv("BOSUN_TEST_REPLACED", "old");
    const script = `console.log(JSON.stringify({
      inherited: process.env.BOSUN_TEST_INHERITED ?? null,
      removed: process.env.BOSUN_TEST_REMOVED ?? null,
      replaced: process.env.BOSUN_TEST_REPLACED ?? null,
      added: process.env.BOSUN_TEST_ADDED ?? null,
      bosun: process.env.BOSUN ?? null,
    }))`;
    const result = await runProcess(
      makeNodeOptions(script, dir, {
        env: {
          BOSUN_TEST_REMOVED: undefined,
          BOSUN_TEST_REPLACED: "new",
          BOSUN_TEST_ADDED: "added",
          BOSUN: "0",
        },
      }),
    );
    expect(JSON.parse(result.stdout)).toEqual({
      inherited: "inherited",
      removed: null,
      replaced: "new",
      added: "added",
      bosun: "1",
    });
  });

  it("passes only the given env (plus BOSUN=1) when isEnvIsolated", async () => {
    const dir = await makeTestDir();
    vi.stubEnv("BOSUN_TEST_INHERITED", "inherited");
    const result = await runProcess(
      makeNodeOptions("console.log(JSON.stringify(process.env))", dir, {
        env: { ONLY: "this" },
        isEnvIsolated: true,
      }),
    );
    expect(JSON.parse(result.stdout)).toEqual({ ONLY: "this", BOSUN: "1" });
  });

  it("writes raw stdout and stderr (CRLF kept) to the log files", async () => {
    const dir = await makeTestDir();
    const stdoutLogFile = path.join(dir, "out.log");
    const stderrLogFile = path.join(dir, "err.log");
    await runProcess(
      makeNodeOptions(
        `process.stdout.write("a\\r\\nb\\n"); process.stderr.write("oops\\r\\n")`,
        dir,
        { stdoutLogFile, stderrLogFile },
      ),
    );
    expect(await readFile(stdoutLogFile, "utf8")).toBe("a\r\nb\n");
    expect(await readFile(stderrLogFile, "utf8")).toBe("oops\r\n");
  });

  it("keeps the child's pid in pidFile while it runs and removes the file after", async () => {
    const dir = await makeTestDir();
    const pidFile = path.join(dir, "agent.pid");
    const handle = startProcess(
      makeNodeOptions('console.log("ready"); setTimeout(() => {}, 200)', dir, { pidFile }),
    );
    const lines = handle.lines();
    await lines.next();
    expect(await readFile(pidFile, "utf8")).toMatch(new RegExp(`^${handle.pid} `));
    for await (const _line of lines) {
      // Drain to the end.
    }
    await handle.result;
    await expect(readFile(pidFile, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("rejects `result` with ENOENT when the binary does not exist", async () => {
    const dir = await makeTestDir();
    const handle = startProcess({ command: "bosun-no-such-binary-xyz", args: [], cwd: dir });
    await expect(handle.result).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("startProcess termination", () => {
  it("kills the whole group on timeout, within budget, and records terminationReason timeout", async () => {
    const dir = await makeTestDir();
    const handle = startProcess(
      makeNodeOptions(SPAWNS_GRANDCHILD_AND_HANGS, dir, { timeoutMs: 300, graceMs: 500 }),
    );
    expect(getLiveChildPids()).toContain(handle.pid);
    const lines: string[] = [];
    for await (const line of handle.lines()) lines.push(line);
    const result = await handle.result;
    expect(result).toMatchObject({
      terminationReason: "timeout",
      exitCode: null,
      signal: "SIGTERM",
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(2_000);
    const grandchild = Number(lines[0]);
    expect(lines[1]).toBe("ready");
    expect(await waitForPidExit(grandchild)).toBe(true);
    expect(isPidRunning(handle.pid)).toBe(false);
  });

  it("escalates to SIGKILL after graceMs when the child ignores SIGTERM", async () => {
    const dir = await makeTestDir();
    const script = `process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000);`;
    const handle = startProcess(makeNodeOptions(script, dir, { timeoutMs: 200, graceMs: 300 }));
    for await (const _line of handle.lines()) {
      // Drain until the group is killed.
    }
    const result = await handle.result;
    expect(result).toMatchObject({ terminationReason: "timeout", signal: "SIGKILL" });
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(result.durationMs).toBeLessThan(2_500);
  });

  it("kills the group when the AbortSignal fires and records terminationReason aborted", async () => {
    const dir = await makeTestDir();
    const controller = new AbortController();
    const handle = startProcess(
      makeNodeOptions(SPAWNS_GRANDCHILD_AND_HANGS, dir, {
        signal: controller.signal,
        graceMs: 500,
      }),
    );
    const lines: string[] = [];
    const abortedAt = { ms: 0 };
    for await (const line of handle.lines()) {
      lines.push(line);
      if (line === "ready") {
        abortedAt.ms = performance.now();
        controller.abort();
      }
    }
    const result = await handle.result;
    expect(performance.now() - abortedAt.ms).toBeLessThan(1_000);
    expect(result.terminationReason).toBe("aborted");
    expect(await waitForPidExit(Number(lines[0]))).toBe(true);
  });

  it("does not start work when the signal is already aborted", async () => {
    const dir = await makeTestDir();
    const handle = startProcess(
      makeNodeOptions("setInterval(() => {}, 1000)", dir, {
        signal: AbortSignal.abort(),
        graceMs: 500,
      }),
    );
    for await (const _line of handle.lines()) {
      // Nothing is printed.
    }
    const result = await handle.result;
    expect(result.terminationReason).toBe("aborted");
    expect(result.durationMs).toBeLessThan(1_000);
  });

  it("kills the process when the consumer breaks out of lines()", async () => {
    const dir = await makeTestDir();
    const script = `let i = 0; setInterval(() => console.log("tick " + i++), 5);`;
    const handle = startProcess(makeNodeOptions(script, dir, { graceMs: 500 }));
    const seen: string[] = [];
    for await (const line of handle.lines()) {
      seen.push(line);
      if (seen.length === 3) break;
    }
    const result = await handle.result;
    expect(seen).toEqual(["tick 0", "tick 1", "tick 2"]);
    expect(result.terminationReason).toBe("aborted");
    expect(isPidRunning(handle.pid)).toBe(false);
  });

  it("kill() reports the reason it was given, once", async () => {
    const dir = await makeTestDir();
    const handle = startProcess(
      makeNodeOptions("setInterval(() => {}, 1000)", dir, { graceMs: 500 }),
    );
    handle.kill("signal");
    handle.kill("timeout");
    for await (const _line of handle.lines()) {
      // Drain.
    }
    expect((await handle.result).terminationReason).toBe("signal");
  });
});
