import { mkdir, realpath, rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTempGitRepo } from "../../test/helpers/agent-env.js";
import { runGit } from "../workspace/git.js";
import { createCliContext } from "./context.js";

const dirs: string[] = [];
const startCwd = process.cwd();

afterEach(async () => {
  process.chdir(startCwd);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A repository and a linked worktree of it (`git worktree add`), both as real paths. */
async function makeRepoWithWorktree(): Promise<{ main: string; worktree: string }> {
  const main = await realpath(await createTempGitRepo());
  const worktree = `${main}-wt`;
  dirs.push(main, worktree);
  await runGit(main, ["worktree", "add", "-q", "-b", "task-1", worktree]);
  return { main, worktree };
}

describe("createCliContext", () => {
  it("inside a linked worktree, works in that tree and keeps state in the main checkout's .bosun/", async () => {
    const { main, worktree } = await makeRepoWithWorktree();
    await mkdir(path.join(worktree, "src"));
    // The CLI finds its repository from the cwd, as a shell in the worktree would run it.
    process.chdir(path.join(worktree, "src"));

    const ctx = createCliContext({}, new AbortController().signal);
    const paths = await ctx.getPaths();

    expect(await ctx.getRoot()).toBe(worktree);
    expect(paths.root).toBe(worktree);
    expect(paths.workspaceConfigFile).toBe(path.join(worktree, "bosun.yaml"));
    expect(paths.bosunDir).toBe(path.join(main, ".bosun"));
    expect(paths.runsDir).toBe(path.join(main, ".bosun", "runs"));
  });

  it("in the main checkout, keeps .bosun/ there, and takes --root as given", async () => {
    const { main, worktree } = await makeRepoWithWorktree();
    process.chdir(main);
    const signal = new AbortController().signal;

    expect((await createCliContext({}, signal).getPaths()).bosunDir).toBe(
      path.join(main, ".bosun"),
    );
    const rooted = await createCliContext({ root: worktree }, signal).getPaths();
    expect(rooted.root).toBe(worktree);
    expect(rooted.bosunDir).toBe(path.join(worktree, ".bosun"));
  });
});
