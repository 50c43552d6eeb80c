import path from "node:path";
import { describe, expect, it } from "vitest";
import { runMainInProcess } from "../helpers/in-process-cli.js";
import { makeTestDir } from "../helpers/testdir.js";

/** The command text `bosun _ run -- …words` records. */
async function recordCommand(root: string, words: string[]): Promise<string> {
  const result = await runMainInProcess(["--root", root, "_", "run", "--", ...words], {
    BOSUN_HOME: path.join(root, "bosun-home"),
  });
  const output = JSON.parse(result.stdout) as {
    decision: { actions: Array<{ action: { command: string } }> };
  };
  return output.decision.actions[0]?.action.command ?? "";
}

describe("bosun _ run -- CMD", () => {
  it("runs the words it was given as they were split, not re-split by a second shell", async () => {
    const root = await makeTestDir();
    expect(await recordCommand(root, ["git", "commit", "-m", "fix a; b"])).toBe(
      "git commit -m 'fix a; b'",
    );
    expect(await recordCommand(root, ["echo", "it's"])).toBe(`echo 'it'\\''s'`);
    // One word is a command line of its own.
    expect(await recordCommand(root, ["npm ci && npm test"])).toBe("npm ci && npm test");
    expect(await recordCommand(root, ["git", "gc"])).toBe("git gc");
  });
});
