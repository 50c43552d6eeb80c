/**
 * What bosun last saw of a round's working tree, so the steps it runs back to back do not each
 * ask git again. A round looks at its tree before and after every step (round-head.ts): at its
 * start, after each agent, after its checkpoint commit, after the tests' clean-up. Between two of
 * bosun's own steps nothing of the run works in the tree, so a look bosun just took (or a state
 * it just made: a commit, a reset) still holds; each look saved is a git process, and a spawn
 * blocks bosun's one thread for milliseconds (the team benchmark's main cost).
 *
 * A look is forgotten the moment anything else may write the tree (an agent or the project's
 * tests start) and goes stale after `FRESH_MS`: a human who commits in a task's worktree while
 * bosun waits (a paused provider, a budget wait) is seen at the next real look. Kept in memory
 * only: a resumed run looks afresh, as the checks in round-head.ts expect.
 */

import { existsSync } from "node:fs";
import path from "node:path";

/** How long a look stands in for a new one: the time between two back-to-back steps, with room for a busy machine. */
export const FRESH_MS = 2000;

/** One look at a working tree. */
export interface TreeLook {
  /** Its HEAD commit. */
  head: string;
  /** Its uncommitted paths (as `readWorktreeStatus` lists them), or undefined when not looked at. */
  dirty: readonly string[] | undefined;
}

/** The last look at each working tree of a run, by its directory. */
export class TreeLooks {
  private readonly looks = new Map<string, TreeLook & { atMs: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records what bosun saw (or just made) in `cwd`. */
  note(cwd: string, look: TreeLook): void {
    this.looks.set(cwd, { ...look, atMs: this.now() });
  }

  /**
   * Records that bosun just left `cwd` clean at `head` (a commit of everything, a hard reset and
   * clean) — unless the tree has submodules: changes inside a submodule's checkout survive all
   * of those, so such a tree is looked at again instead.
   */
  noteClean(cwd: string, head: string): void {
    if (existsSync(path.join(cwd, ".gitmodules"))) this.forget(cwd);
    else this.note(cwd, { head, dirty: [] });
  }

  /** Drops the look at `cwd`: something other than bosun's own step may change the tree now. */
  forget(cwd: string): void {
    this.looks.delete(cwd);
  }

  /** The look at `cwd` if one was taken within `FRESH_MS` and nothing may have written since. */
  getFresh(cwd: string): TreeLook | undefined {
    const look = this.looks.get(cwd);
    if (look === undefined) return undefined;
    if (this.now() - look.atMs > FRESH_MS) {
      this.looks.delete(cwd);
      return undefined;
    }
    return { head: look.head, dirty: look.dirty };
  }
}
