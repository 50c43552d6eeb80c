import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { readOfflineScript } from "./script.js";

const AGENT = path.join(path.dirname(fileURLToPath(import.meta.url)), "offline-agent.ts");

describe("readOfflineScript", () => {
  it("reads a valid script", async () => {
    const dir = await makeTestDir({
      "s.json": '{"version": 1, "steps": [{"actions": [{"say": "hi"}]}]}',
    });
    expect(await readOfflineScript(path.join(dir, "s.json"))).toEqual({
      isValid: true,
      script: { version: 1, steps: [{ actions: [{ say: "hi" }] }] },
    });
  });

  it.each([
    ["garbage", "garbage", /^not valid JSON \(Unexpected token/],
    ["the wrong version", '{"version": 2, "steps": []}', /^version: /],
    [
      "an unknown action",
      '{"version": 1, "steps": [{"actions": [{"fly": 1}]}]}',
      /^steps\.0\.actions\.0: /,
    ],
  ])("says why a script with %s cannot be played", async (_what, body, why) => {
    const dir = await makeTestDir({ "s.json": body });
    const read = await readOfflineScript(path.join(dir, "s.json"));
    expect(read.isValid).toBe(false);
    expect(read.isValid ? "" : read.error).toMatch(why);
  });

  it("says when the script is missing or a directory", async () => {
    const dir = await makeTestDir();
    expect(await readOfflineScript(path.join(dir, "none.json"))).toEqual({
      isValid: false,
      error: "not found",
    });
    await mkdir(path.join(dir, "d.json"));
    expect(await readOfflineScript(path.join(dir, "d.json"))).toEqual({
      isValid: false,
      error: "it is a directory, not a file (EISDIR)",
    });
  });
});

describe("the offline agent with a bad script", () => {
  it("names the script file and agents.offline.script, not just a JSON parser's complaint", async () => {
    const dir = await makeTestDir();
    const script = path.join(dir, "script.json");
    await writeFile(script, "garbage");
    const result = spawnSync(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), AGENT, "--script", script],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `offline agent: invalid script ${script} (agents.offline.script): not valid JSON (Unexpected token`,
    );
    const final = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; text?: string })
      .at(-1);
    expect(final).toMatchObject({ type: "final", text: expect.stringContaining(script) as string });
  });
});
