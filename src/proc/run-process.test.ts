import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { FAKE_AGENTS_DIR } from "../../test/helpers/run-bosun.js";
import { isPidRunning, makeTestDir, waitForPidExit } from "../../test/helpers/testdir.js";
import { withTimeoutLongEnough } from "../../test/helpers/wait-for.js";
import {
  getLiveChildPids,
  killAllChildren,
  runProcess,
  runProcessRaw,
  startProcess,
  type ProcessHandle,
  type ProcessOptions,
} from "./run-process.js";

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
      makeNodeOptions("process.stdin.pipe(process.stdout)", dir, { stdinFile, timeoutMs: 30_000 }),
    );
    expect(result.terminationReason).toBe("exit");
    expect(result.stdout).toBe("line one\nline two ✓");
  });

  it("gives the child /dev/null as stdin by default, so a read ends at once", async () => {
    const dir = await makeTestDir();
    const script = `let n = 0; process.stdin.on("data", (d) => (n += d.length)); process.stdin.on("end", () => console.log("eof:" + n));`;
    // If stdin were an open pipe the child would wait forever; the timeout would then end it.
    const result = await runProcess(makeNodeOptions(script, dir, { timeoutMs: 30_000 }));
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

describe("runProcessRaw", () => {
  it("returns stdout byte for byte: CR, NUL, invalid UTF-8 and the final newline kept", async () => {
    const dir = await makeTestDir();
    const script = `process.stdout.write(Buffer.from([0x61, 0x0d, 0x0a, 0x00, 0xff, 0x62, 0x0d, 0x0a]))`;
    const result = await runProcessRaw({ ...makeNodeOptions(script, dir), maxBytes: 1024 });
    expect(result.exitCode).toBe(0);
    expect([...result.stdout]).toEqual([0x61, 0x0d, 0x0a, 0x00, 0xff, 0x62, 0x0d, 0x0a]);
    expect(result.isTruncated).toBe(false);
  });

  it("keeps at most maxBytes but drains the rest, so the exit code still counts", async () => {
    const dir = await makeTestDir();
    const script = `process.stdout.write("x".repeat(200000), () => process.exit(3))`;
    const result = await runProcessRaw({ ...makeNodeOptions(script, dir), maxBytes: 1000 });
    expect(result.stdout.toString()).toBe("x".repeat(1000));
    expect(result.isTruncated).toBe(true);
    expect(result.exitCode).toBe(3);
    expect(result.terminationReason).toBe("exit");
  });

  it("kills the process when the consumer breaks out of chunks()", async () => {
    const dir = await makeTestDir();
    const script = `setInterval(() => process.stdout.write("tick"), 5);`;
    const handle = startProcess(makeNodeOptions(script, dir, { graceMs: 500 }));
    for await (const chunk of handle.chunks()) if (chunk.length > 0) break;
    expect((await handle.result).terminationReason).toBe("aborted");
    expect(isPidRunning(handle.pid)).toBe(false);
  });
});

describe("startProcess termination", () => {
  it("kills the whole group on timeout and records terminationReason timeout", async () => {
    const dir = await makeTestDir();
    const ended = await withTimeoutLongEnough(
      "a child spawning a grandchild",
      async (timeoutMs) => {
        const handle = startProcess(
          makeNodeOptions(SPAWNS_GRANDCHILD_AND_HANGS, dir, { timeoutMs, graceMs: LONG_GRACE_MS }),
        );
        expect(getLiveChildPids()).toContain(handle.pid);
        const lines = await readAllLines(handle);
        const result = await handle.result;
        return lines[1] === "ready" ? { timeoutMs, handle, lines, result } : undefined;
      },
      { firstMs: 300, maxMs: 20_000 },
    );
    // SIGTERM, not the SIGKILL due after the grace: the timeout's TERM ended it.
    expect(ended.result).toMatchObject({
      terminationReason: "timeout",
      exitCode: null,
      signal: "SIGTERM",
    });
    // Timers may fire a little early relative to a clock read before the spawn.
    expect(ended.result.durationMs).toBeGreaterThanOrEqual(ended.timeoutMs - 50);
    expect(ended.result.durationMs).toBeLessThan(LONG_GRACE_MS);
    expect(await waitForPidExit(Number(ended.lines[0]))).toBe(true);
    expect(isPidRunning(ended.handle.pid)).toBe(false);
  });

  it("escalates to SIGKILL after graceMs when the child ignores SIGTERM", async () => {
    const dir = await makeTestDir();
    const script = `process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000);`;
    const graceMs = 300;
    const handle = startProcess(makeNodeOptions(script, dir, { graceMs }));
    // The kill comes only once the child says its SIGTERM handler is in place.
    const killedAt = await killWhenReady(handle, () => handle.kill("timeout"));
    const result = await handle.result;
    expect(result).toMatchObject({ terminationReason: "timeout", signal: "SIGKILL" });
    expect(performance.now() - killedAt).toBeGreaterThanOrEqual(graceMs);
  });

  it("kills the group when the AbortSignal fires and records terminationReason aborted", async () => {
    const dir = await makeTestDir();
    const controller = new AbortController();
    const handle = startProcess(
      makeNodeOptions(SPAWNS_GRANDCHILD_AND_HANGS, dir, {
        signal: controller.signal,
        graceMs: LONG_GRACE_MS,
      }),
    );
    const lines: string[] = [];
    const abortedAt = await killWhenReady(handle, () => controller.abort(), lines);
    const result = await handle.result;
    // TERM was enough: no waiting for the grace period.
    expect(performance.now() - abortedAt).toBeLessThan(LONG_GRACE_MS);
    expect(result).toMatchObject({ terminationReason: "aborted", signal: "SIGTERM" });
    expect(await waitForPidExit(Number(lines[0]))).toBe(true);
  });

  it("does not start work when the signal is already aborted", async () => {
    const dir = await makeTestDir();
    const marker = path.join(dir, "started");
    const handle = startProcess(
      makeNodeOptions(
        `require("node:fs").writeFileSync(${JSON.stringify(marker)}, ""); setInterval(() => {}, 1000)`,
        dir,
        { signal: AbortSignal.abort(), graceMs: LONG_GRACE_MS },
      ),
    );
    await readAllLines(handle);
    const result = await handle.result;
    // The TERM was sent with the spawn, long before Node could run the script.
    expect(result).toMatchObject({ terminationReason: "aborted", signal: "SIGTERM" });
    await expect(readFile(marker)).rejects.toMatchObject({ code: "ENOENT" });
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
    await readAllLines(handle);
    expect((await handle.result).terminationReason).toBe("signal");
  });
});

describe("startProcess with isTreeTracked (processes that left the group)", () => {
  it("kills what the child left in a session of its own when it exits", async () => {
    const dir = await makeTestDir();
    const handle = startDetacher(dir, ["exit"]);
    const grandchild = await readGrandchild(handle);
    await readAllLines(handle);
    const result = await handle.result;
    expect(result).toMatchObject({ terminationReason: "exit", exitCode: 0 });
    // Gone by the time the result is in: nothing it started can write on after it.
    expect(isPidRunning(grandchild)).toBe(false);
  });

  it("kills it on timeout", async () => {
    const dir = await makeTestDir();
    const ended = await withTimeoutLongEnough(
      "the detaching child",
      async (timeoutMs) => {
        const handle = startDetacher(dir, ["hang"], { timeoutMs, graceMs: LONG_GRACE_MS });
        const lines = await readAllLines(handle);
        const result = await handle.result;
        const grandchild = Number(lines[0]?.split(" ")[1]);
        onTestFinished(() => killQuietly(grandchild));
        return lines[1] === "ready" ? { result, grandchild } : undefined;
      },
      { firstMs: 300, maxMs: 20_000 },
    );
    expect(ended.result.terminationReason).toBe("timeout");
    expect(ended.result.durationMs).toBeLessThan(LONG_GRACE_MS);
    expect(isPidRunning(ended.grandchild)).toBe(false);
  });

  it("kills it on abort, with TERM when TERM is enough", async () => {
    const dir = await makeTestDir();
    const controller = new AbortController();
    const handle = startDetacher(dir, ["hang"], {
      signal: controller.signal,
      graceMs: LONG_GRACE_MS,
    });
    const grandchild = await readGrandchild(handle);
    const abortedAt = performance.now();
    controller.abort();
    await readAllLines(handle);
    expect((await handle.result).terminationReason).toBe("aborted");
    expect(isPidRunning(grandchild)).toBe(false);
    expect(performance.now() - abortedAt).toBeLessThan(LONG_GRACE_MS);
  });

  it("KILLs a leftover that ignores TERM once graceMs has passed", async () => {
    const dir = await makeTestDir();
    const graceMs = 400;
    const handle = startDetacher(dir, ["exit", "--ignore-term"], { graceMs });
    const grandchild = await readGrandchild(handle);
    const exitedAt = performance.now();
    await readAllLines(handle);
    await handle.result;
    expect(isPidRunning(grandchild)).toBe(false);
    expect(performance.now() - exitedAt).toBeGreaterThanOrEqual(graceMs - 50);
  });

  it("finds by descent a detached grandchild whose environment was scrubbed", async () => {
    const dir = await makeTestDir();
    const controller = new AbortController();
    const handle = startDetacher(dir, ["hang", "--scrub-env"], {
      signal: controller.signal,
      graceMs: LONG_GRACE_MS,
    });
    const grandchild = await readGrandchild(handle);
    controller.abort();
    await readAllLines(handle);
    await handle.result;
    expect(isPidRunning(grandchild)).toBe(false);
  });

  it("KILLs a TERM-ignoring grandchild found by descent even after its parent died and orphaned it", async () => {
    const dir = await makeTestDir();
    const controller = new AbortController();
    const graceMs = 400;
    const handle = startDetacher(dir, ["hang", "--scrub-env", "--ignore-term"], {
      signal: controller.signal,
      graceMs,
    });
    const grandchild = await readGrandchild(handle);
    controller.abort();
    await readAllLines(handle);
    // The child died of the TERM at once; its grandchild, reparented, is found as seen before.
    expect((await handle.result).signal).toBe("SIGTERM");
    expect(isPidRunning(grandchild)).toBe(false);
  });

  it("is killed with its tree by killAllChildren(), synchronously, as on bosun's exit", async () => {
    const dir = await makeTestDir();
    const handle = startDetacher(dir, ["hang"], { graceMs: LONG_GRACE_MS });
    const grandchild = await readGrandchild(handle);
    killAllChildren();
    expect(getLiveChildPids()).toEqual([]);
    await readAllLines(handle);
    expect((await handle.result).signal).toBe("SIGKILL");
    expect(await waitForPidExit(grandchild)).toBe(true);
  });

  it("gives each tracked child its own BOSUN_SPAWN_ID after the inherited ones, and others none", async () => {
    const dir = await makeTestDir();
    vi.stubEnv("BOSUN_SPAWN_ID", "outer");
    const printIds = "console.log(process.env.BOSUN_SPAWN_ID)";
    const first = await runProcess(makeNodeOptions(printIds, dir, { isTreeTracked: true }));
    const second = await runProcess(makeNodeOptions(printIds, dir, { isTreeTracked: true }));
    const untracked = await runProcess(makeNodeOptions(printIds, dir));
    expect(first.stdout).toMatch(/^outer [0-9a-f]{16}$/);
    expect(second.stdout).toMatch(/^outer [0-9a-f]{16}$/);
    expect(second.stdout).not.toBe(first.stdout);
    expect(untracked.stdout).toBe("outer");
  });

  it("writes the spawn id into pidFile next to pid and start time", async () => {
    const dir = await makeTestDir();
    const pidFile = path.join(dir, "agent.pid");
    const handle = startProcess(
      makeNodeOptions("console.log(process.env.BOSUN_SPAWN_ID)", dir, {
        pidFile,
        isTreeTracked: true,
        isEnvIsolated: true,
      }),
    );
    const written = await readFile(pidFile, "utf8");
    const [spawnId] = await readAllLines(handle);
    await handle.result;
    expect(written).toBe(`${handle.pid} ${written.split(" ")[1]} ${spawnId}\n`);
    expect(written).toMatch(/^\d+ \d+ [0-9a-f]{16}\n$/);
  });
});

/** Long enough never to run out in a test that expects TERM to do the job. */
const LONG_GRACE_MS = 30_000;

/** Starts test/fixtures/bin/fake-detach.mjs as a tracked child. */
function startDetacher(
  cwd: string,
  args: readonly string[],
  extra: Partial<ProcessOptions> = {},
): ProcessHandle {
  const script = path.join(FAKE_AGENTS_DIR, "fake-detach.mjs");
  return startProcess({
    command: NODE,
    args: [script, ...args],
    cwd,
    isTreeTracked: true,
    graceMs: 500,
    ...extra,
  });
}

/** Reads fake-detach's lines up to "ready" and returns its grandchild's pid (killed after the test). */
async function readGrandchild(handle: ProcessHandle): Promise<number> {
  const lines = handle.lines();
  const first = await lines.next();
  const grandchild = Number(String(first.value).split(" ")[1]);
  onTestFinished(() => killQuietly(grandchild));
  expect((await lines.next()).value).toBe("ready");
  return grandchild;
}

/** Reads lines until the child prints "ready", then calls `kill`; returns when it did. */
async function killWhenReady(
  handle: ProcessHandle,
  kill: () => void,
  lines: string[] = [],
): Promise<number> {
  let killedAt = Number.NaN;
  for await (const line of handle.lines()) {
    lines.push(line);
    if (line === "ready") {
      killedAt = performance.now();
      kill();
    }
  }
  return killedAt;
}

async function readAllLines(handle: ProcessHandle): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of handle.lines()) lines.push(line);
  return lines;
}

/** A process a failed test left behind must not outlive the test run. */
function killQuietly(pid: number): void {
  try {
    if (pid > 0) process.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}
