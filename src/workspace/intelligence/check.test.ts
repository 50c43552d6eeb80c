import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { CancelledError } from "../../errors.js";
import { runTestCheck } from "./check.js";
import type { DetectedCommand } from "./shared.js";

function makeTest(command: string): DetectedCommand {
  return { kind: "test", command, source: "Makefile target test" };
}

async function makeOptions(): Promise<{ root: string; logFile: string; timeoutMs: number }> {
  const root = await makeTestDir();
  return { root, logFile: path.join(root, ".bosun", "intelligence-check.log"), timeoutMs: 10_000 };
}

describe("runTestCheck", () => {
  it("is green when the command exits 0, in the root, with its output in a fresh log", async () => {
    const options = await makeOptions();
    const check = await runTestCheck(makeTest('echo "ran in $(pwd)"'), {
      ...options,
      now: () => new Date("2026-01-02T03:04:05.000Z"),
    });
    expect(check).toMatchObject({
      command: 'echo "ran in $(pwd)"',
      source: "Makefile target test",
      status: "green",
      exitCode: 0,
      terminationReason: "exit",
      checkedAt: "2026-01-02T03:04:05.000Z",
      logFile: options.logFile,
    });
    expect(await readFile(options.logFile, "utf8")).toBe(`ran in ${options.root}\n`);
    // A second run replaces the log rather than appending to it.
    await runTestCheck(makeTest("echo again"), options);
    expect(await readFile(options.logFile, "utf8")).toBe("again\n");
  });

  it("is red with the exit code and the tail of stdout and stderr when the command fails", async () => {
    const options = await makeOptions();
    const check = await runTestCheck(
      makeTest("echo '1 passed'; echo 'FAIL: math' >&2; exit 3"),
      options,
    );
    expect(check).toMatchObject({ status: "red", exitCode: 3, terminationReason: "exit" });
    expect(check.tail).toEqual(["1 passed", "FAIL: math"]);
    expect(await readFile(options.logFile, "utf8")).toBe("1 passed\nFAIL: math\n");
  });

  it("is red when the command cannot run or runs past the timeout", async () => {
    const options = await makeOptions();
    expect(await runTestCheck(makeTest("no-such-test-runner-xyz"), options)).toMatchObject({
      status: "red",
      exitCode: 127,
    });
    const slow = await runTestCheck(makeTest("sleep 5"), {
      ...options,
      timeoutMs: 200,
      graceMs: 200,
    });
    expect(slow).toMatchObject({ status: "red", terminationReason: "timeout" });
    expect(slow.durationMs).toBeLessThan(4_000);
  });

  it("records nothing when stopped: a CancelledError, not a red check", async () => {
    const options = await makeOptions();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      runTestCheck(makeTest("sleep 5"), { ...options, signal: controller.signal, graceMs: 200 }),
    ).rejects.toThrow(CancelledError);
  });
});
