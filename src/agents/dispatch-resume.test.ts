import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AgentError } from "../errors.js";
import { getLiveChildPids } from "../proc/run-process.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { dispatch, type DispatchRequest } from "./dispatch.js";
import { resolveHarness } from "./harnesses.js";

afterEach(() => {
  expect(getLiveChildPids()).toEqual([]);
});

/**
 * A stand-in for Codex (set as agents.codex.command) that logs each spawn's argv to FAKE_ARGV_LOG.
 * `exec resume` fails as the real one does for a thread it has no rollout of, after the warning
 * it prints when its home is under /tmp ("temporary dir", a word isTransient takes for a
 * passing failure), and with FAKE_BACKTRACE a backtrace after the error, as with RUST_BACKTRACE=1;
 * FAKE_BUSY_ONCE makes the first spawn fail with a 503 instead.
 */
const FAKE_CODEX = `#!${process.execPath}
const { appendFileSync, readFileSync } = require("node:fs");
const log = process.env.FAKE_ARGV_LOG;
const args = process.argv.slice(2);
// The thread id comes right before "-", the prompt on stdin.
const thread = args[args.indexOf("-") - 1];
appendFileSync(log, JSON.stringify(args) + "\\n");
const spawn = readFileSync(log, "utf8").trim().split("\\n").length;
if (process.env.FAKE_BUSY_ONCE && spawn === 1) {
  process.stderr.write("stream error: HTTP 503 Service Unavailable\\n");
  process.exit(1);
}
if (args[1] === "resume" && !process.env.FAKE_BUSY_ONCE) {
  process.stderr.write('WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "/tmp"\\n');
  process.stderr.write("Error: thread/resume: thread/resume failed: no rollout found for thread id " + thread + " (code -32600)\\n");
  if (process.env.FAKE_BACKTRACE) process.stderr.write("\\nStack backtrace:\\n   0: <unknown>\\n   1: <unknown>\\n   2: <unknown>\\n");
  process.exit(1);
}
console.log(JSON.stringify({ type: "thread.started", thread_id: args[1] === "resume" ? thread : "thread-new" }));
console.log(JSON.stringify({ type: "item.completed", item: { id: "i1", type: "agent_message", text: "ok" } }));
`;

async function makeResumeRequest(
  env: Record<string, string> = {},
): Promise<DispatchRequest & { argvLog: string }> {
  const dir = await makeTestDir();
  const command = path.join(dir, "fake-codex");
  await writeFile(command, FAKE_CODEX);
  await chmod(command, 0o755);
  const argvLog = path.join(dir, "argv.jsonl");
  return {
    argvLog,
    // A model keeps fake Codex from reading the real ~/.codex for its default.
    harness: resolveHarness("codex", { codex: { command, model: "m1" } }),
    prompt: "go on\n",
    cwd: dir,
    logDir: path.join(dir, "log"),
    timeoutMs: 30_000,
    graceMs: 500,
    sessionId: "thread-1",
    env: { FAKE_ARGV_LOG: argvLog, ...env },
    retry: { retries: 3, baseMs: 0, capMs: 0 },
  };
}

async function readArgvs(argvLog: string): Promise<string[][]> {
  const lines = (await readFile(argvLog, "utf8")).trim().split("\n");
  return lines.map((line) => {
    const args: unknown = JSON.parse(line);
    if (!Array.isArray(args)) throw new Error(`not an argv: ${line}`);
    return args.map(String);
  });
}

describe("dispatch resuming a session", () => {
  it.each([
    ["its last words", {}],
    ["a backtrace after them", { FAKE_BACKTRACE: "1" }],
  ])(
    "fails at once, as permanent, when the CLI has no such session (%s): no retry can bring it back",
    async (_case, env) => {
      const request = await makeResumeRequest(env);
      const retries: string[] = [];
      const error: unknown = await dispatch({
        ...request,
        onRetry: ({ message }) => retries.push(message),
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AgentError);
      expect(error).toMatchObject({
        isPermanent: true,
        message:
          "codex found no session to resume: Error: thread/resume: thread/resume failed: no rollout found for thread id thread-1 (code -32600)",
      });
      expect(retries).toEqual([]);
      expect(await readArgvs(request.argvLog)).toHaveLength(1);
    },
  );

  it("retries a passing failure with the same session", async () => {
    const request = await makeResumeRequest({ FAKE_BUSY_ONCE: "1" });
    const result = await dispatch(request);
    expect(result).toMatchObject({ sessionId: "thread-1", spawns: 2 });
    const argvs = await readArgvs(request.argvLog);
    expect(argvs).toHaveLength(2);
    for (const args of argvs) {
      expect(args.slice(0, 2)).toEqual(["exec", "resume"]);
      expect(args[args.indexOf("-") - 1]).toBe("thread-1");
    }
  });
});
