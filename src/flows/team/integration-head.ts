/**
 * Where the run's integration branch points, as bosun last moved or read it. Only the merge
 * queue moves the branch, one merge at a time, so between its moves bosun already knows the
 * answer; asking git for it (a spawn, milliseconds of bosun's one thread) before each new worktree
 * and each merge would only repeat it. Someone else moving the branch is still caught: the merge's
 * compare-and-swap refuses a stale head, and the queue then reads it again (`refresh`).
 */

/** The integration head, read once and then kept current by the merge queue. */
export class IntegrationHead {
  private known: string | undefined;
  /** The tree of `known`, when bosun made that commit and so knows it. */
  private knownTree: string | undefined;

  constructor(private readonly readFromGit: () => Promise<string>) {}

  /** The head as bosun knows it (read from git the first time). */
  async get(): Promise<string> {
    this.known ??= await this.readFromGit();
    return this.known;
  }

  /** Reads the head from git again: the branch may have moved under bosun. */
  async refresh(): Promise<string> {
    this.known = await this.readFromGit();
    this.knownTree = undefined;
    return this.known;
  }

  /** Records where bosun itself just moved the branch (a merge, a revert), and the tree when known. */
  set(commit: string, tree?: string): void {
    this.known = commit;
    this.knownTree = tree;
  }

  /** The tree of `commit` if it is the head bosun knows and it knows that head's tree. */
  getTree(commit: string): string | undefined {
    return commit === this.known ? this.knownTree : undefined;
  }
}
