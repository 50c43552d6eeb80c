import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { getLiveChildPids } from "../proc/run-process.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { AgentBudgetSpentError } from "./attempt.js";
import { dispatch, type DispatchRequest } from "./dispatch.js";
import { resolveHarness } from "./harnesses.js";

afterEach(() => {
  expect(getLiveChildPids()).toEqual([]);
});

/**
 * Stand-ins for the real CLIs (set as agents.<name>.command): each answers, in its vendor's own
 * stream format, with the argv it was given. Fake Claude's first spawn may fail after spending
 * $0.40 (FAKE_FAIL_FIRST), as a run that hits a 503 midway does, or every spawn (or every one
 * after the first) may end as the real one does at its cap, having spent $0.50
 * (FAKE_SPEND_ALL, FAKE_SPEND_ALL_AFTER_FIRST).
 */
const FAKE_CLAUDE = `#!${process.execPath}
const { existsSync, readFileSync, writeFileSync } = require("node:fs");
const counter = process.env.FAKE_COUNTER;
const spawn = existsSync(counter) ? Number(readFileSync(counter, "utf8")) + 1 : 1;
writeFileSync(counter, String(spawn));
const argv = JSON.stringify(process.argv.slice(2));
if (process.env.FAKE_SPEND_ALL || (process.env.FAKE_SPEND_ALL_AFTER_FIRST && spawn > 1)) {
  console.log(JSON.stringify({ type: "result", subtype: "error_max_budget_usd", is_error: true, total_cost_usd: 0.5 }));
  process.exit(1);
}
if (process.env.FAKE_FAIL_FIRST && spawn === 1) {
  console.log(JSON.stringify({ type: "result", subtype: "error_during_execution", is_error: true, result: "API Error: 503 overloaded", total_cost_usd: 0.4 }));
  process.exit(1);
}
console.log(JSON.stringify({ type: "result", subtype: "success", is_error: false, result: argv, total_cost_usd: 0.1 }));
`;

const FAKE_CODEX = `#!${process.execPath}
const argv = JSON.stringify(process.argv.slice(2));
console.log(JSON.stringify({ type: "item.completed", item: { id: "i1", type: "agent_message", text: argv } }));
`;

async function makeVendorRequest(
  name: "claude" | "codex",
  overrides: Partial<DispatchRequest> = {},
): Promise<DispatchRequest & { counterFile: string }> {
  const dir = await makeTestDir();
  const command = path.join(dir, `fake-${name}`);
  await writeFile(command, name === "claude" ? FAKE_CLAUDE : FAKE_CODEX);
  await chmod(command, 0o755);
  const counterFile = path.join(dir, "spawns");
  const { env, ...rest } = overrides;
  return {
    counterFile,
    // A model keeps fake Codex from reading the real ~/.codex for its default.
    harness: resolveHarness(name, { [name]: { command, model: "m1" } }),
    prompt: "work\n",
    cwd: dir,
    logDir: path.join(dir, "log"),
    timeoutMs: 30_000,
    env: { FAKE_COUNTER: counterFile, ...env },
    ...rest,
  };
}

function getArgv(finalText: string): string[] {
  const argv: unknown = JSON.parse(finalText);
  if (!Array.isArray(argv)) throw new Error(`not an argv: ${finalText}`);
  return argv.map(String);
}

describe("dispatch maxBudgetUsd", () => {
  it("passes the cap to Claude Code as --max-budget-usd, and to Codex (no such flag) not at all", async () => {
    const claude = await dispatch(await makeVendorRequest("claude", { maxBudgetUsd: 2.5 }));
    const claudeArgv = getArgv(claude.finalText);
    const at = claudeArgv.indexOf("--max-budget-usd");
    expect(at).toBeGreaterThan(0);
    expect(claudeArgv.slice(at, at + 2)).toEqual(["--max-budget-usd", "2.5"]);
    const codex = await dispatch(await makeVendorRequest("codex", { maxBudgetUsd: 2.5 }));
    expect(getArgv(codex.finalText).join(" ")).not.toMatch(/budget|2\.5/);
  });

  it("passes no cap when none is given", async () => {
    const claude = await dispatch(await makeVendorRequest("claude"));
    expect(getArgv(claude.finalText)).not.toContain("--max-budget-usd");
  });

  it("says what all the spawns of a call spent when its last one spends the rest of the cap", async () => {
    const request = await makeVendorRequest("claude", {
      maxBudgetUsd: 1,
      retry: { retries: 1, baseMs: 0, capMs: 0 },
      env: { FAKE_FAIL_FIRST: "1", FAKE_SPEND_ALL_AFTER_FIRST: "1" },
    });
    await expect(dispatch(request)).rejects.toMatchObject({
      name: "AgentBudgetSpentError",
      costUsd: 0.9,
    });
  });

  it("gives a retry only what the earlier spawns left of the cap", async () => {
    const request = await makeVendorRequest("claude", {
      maxBudgetUsd: 1,
      retry: { retries: 1, baseMs: 0, capMs: 0 },
      env: { FAKE_FAIL_FIRST: "1" },
    });
    const result = await dispatch(request);
    const argv = getArgv(result.finalText);
    expect(argv[argv.indexOf("--max-budget-usd") + 1]).toBe("0.6");
    expect(result).toMatchObject({ spawns: 2, costUsd: 0.5 });
  });

  it("does not retry once the spawns so far spent the whole cap", async () => {
    const request = await makeVendorRequest("claude", {
      maxBudgetUsd: 0.4,
      retry: { retries: 3, baseMs: 0, capMs: 0 },
      env: { FAKE_FAIL_FIRST: "1" },
    });
    const error: unknown = await dispatch(request).catch((caught: unknown) => caught);
    // Spent, not broken: the budget settles it at what it cost.
    expect(error).toBeInstanceOf(AgentBudgetSpentError);
    expect(error).toMatchObject({
      isPermanent: true,
      costUsd: 0.4,
      message: expect.stringContaining(
        "(not retried: the attempts so far spent $0.4, all of this call's $0.4 cap)",
      ) as string,
    });
  });

  it("says what a call that hit its cap means, and does not retry it", async () => {
    const request = await makeVendorRequest("claude", {
      maxBudgetUsd: 0.5,
      retry: { retries: 2, baseMs: 0, capMs: 0 },
      env: { FAKE_SPEND_ALL: "1" },
    });
    const error: unknown = await dispatch(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentBudgetSpentError);
    expect(error).toMatchObject({
      isPermanent: true,
      costUsd: 0.5,
      message:
        "claude exited with code 1: Claude Code run ended with error_max_budget_usd (it spent the USD cap this call was given, maxBudgetUsd: give the step a larger one or a smaller task.)",
    });
    expect(await readFile(request.counterFile, "utf8")).toBe("1");
  });

  it.each([0, -1, Number.NaN])("refuses a cap of %s", async (maxBudgetUsd) => {
    const request = await makeVendorRequest("claude", { maxBudgetUsd });
    const error: unknown = await dispatch(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `The USD cap of a claude call must be a number above 0, got ${String(maxBudgetUsd)}. Give a positive maxBudgetUsd, or none for no cap.`,
    );
  });
});
