import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commitOnBranch, makeGitRepo } from "../../../test/helpers/git-repo.js";
import { createBosunPaths } from "../../store/paths.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import { getHead, runGit } from "../../workspace/git.js";
import { executeAction } from "./act.js";
import type { PulseEnv } from "./pulse-env.js";

function createEnv(repo: string): PulseEnv {
  return {
    repoRoot: repo,
    paths: createBosunPaths(repo),
    config: DEFAULT_CONFIG,
    cliPath: "/nonexistent",
    runner: () => Promise.reject(new Error("no brain here")),
    now: Date.now,
    log: () => undefined,
  };
}

const SITE = { decisionId: "D-20261203-120000-abcd", index: 1 };

describe("the merge move", () => {
  it("merges into the branch checked out in the user's checkout, its files following", async () => {
    const repo = await makeGitRepo();
    await commitOnBranch(repo, "feature", await getHead(repo), { "feature.txt": "new\n" });
    const env = createEnv(repo);
    const result = await executeAction(
      env,
      { type: "merge", branch: "feature", into: "main" },
      SITE,
    );
    expect(result).toMatch(/^feature merged into main as [0-9a-f]{12} \(in /);
    expect(await readFile(path.join(repo, "feature.txt"), "utf8")).toBe("new\n");
  });

  it("refuses a checkout with uncommitted changes, and takes a conflict back", async () => {
    const repo = await makeGitRepo();
    const base = await getHead(repo);
    await commitOnBranch(repo, "feature", base, { "README.md": "theirs\n" });
    const env = createEnv(repo);
    await writeFile(path.join(repo, "README.md"), "mine, not committed\n");
    await expect(
      executeAction(env, { type: "merge", branch: "feature", into: "main" }, SITE),
    ).rejects.toThrow(/uncommitted changes \(README.md\)/);
    // Committed on main: now the two sides conflict, and the checkout is left as it was.
    await commitOnBranch(repo, "main", base, { "README.md": "ours\n" });
    await runGit(repo, ["reset", "-q", "--hard", "main"]);
    await expect(
      executeAction(env, { type: "merge", branch: "feature", into: "main" }, SITE),
    ).rejects.toThrow(/does not merge cleanly/);
    expect(await readFile(path.join(repo, "README.md"), "utf8")).toBe("ours\n");
    expect(existsSync(path.join(repo, ".git", "MERGE_HEAD"))).toBe(false);
  });
});
