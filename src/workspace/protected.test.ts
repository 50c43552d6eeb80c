import { describe, expect, it } from "vitest";
import { commitOnBranch, makeGitRepo } from "../../test/helpers/git-repo.js";
import { getHead, runGit } from "./git.js";
import { compareFingerprints, fingerprintPaths } from "./protected.js";

describe("fingerprintPaths", () => {
  it("maps each protected file, directories walked, to its blob id and mode", async () => {
    const repo = await makeGitRepo();
    const commit = await commitOnBranch(repo, "main", await getHead(repo), {
      "package.json": "{}\n",
      ".github/workflows/ci.yml": "on: push\n",
      ".github/CODEOWNERS": "* @me\n",
      "src/app.ts": "export {};\n",
    });
    const blob = async (file: string): Promise<string> =>
      (await runGit(repo, ["rev-parse", `${commit}:${file}`])).trim();

    const fingerprints = await fingerprintPaths(repo, commit, [
      ".github",
      "package.json",
      "missing.txt",
    ]);

    expect(Object.fromEntries(fingerprints)).toEqual({
      ".github/CODEOWNERS": { objectId: await blob(".github/CODEOWNERS"), mode: "100644" },
      ".github/workflows/ci.yml": {
        objectId: await blob(".github/workflows/ci.yml"),
        mode: "100644",
      },
      "package.json": { objectId: await blob("package.json"), mode: "100644" },
    });
    expect(await fingerprintPaths(repo, commit, [])).toEqual(new Map());
  });

  it("takes paths literally: brackets and stars are parts of names, not patterns", async () => {
    const repo = await makeGitRepo();
    const commit = await commitOnBranch(repo, "main-files", await getHead(repo), {
      "app/[id]/page.test.tsx": "test\n",
      "app/x/page.test.tsx": "other\n",
    });
    const fingerprints = await fingerprintPaths(repo, commit, ["app/[id]/page.test.tsx", "*.lock"]);
    expect([...fingerprints.keys()]).toEqual(["app/[id]/page.test.tsx"]);
  });
});

describe("compareFingerprints", () => {
  it("reports changed (a CRLF-only edit and a mode change included), removed and added paths", async () => {
    const repo = await makeGitRepo();
    const before = await commitOnBranch(repo, "main", await getHead(repo), {
      "guard/a.txt": "a\n",
      "guard/crlf.txt": "x\r\ny\r\n",
      "guard/gone.txt": "gone\n",
      "guard/same.txt": "same\n",
      "guard/run.sh": "echo\n",
    });
    const edited = await commitOnBranch(repo, "main", before, {
      "guard/a.txt": "A\n",
      "guard/crlf.txt": "x\ny\n",
      "guard/gone.txt": null,
      "guard/new.txt": "new\n",
    });
    // Only the executable bit changes.
    const index = { GIT_INDEX_FILE: `${repo}/.git/test-index` };
    await runGit(repo, ["read-tree", edited], index);
    const script = (await runGit(repo, ["rev-parse", `${edited}:guard/run.sh`])).trim();
    await runGit(repo, ["update-index", "--cacheinfo", `100755,${script},guard/run.sh`], index);
    const tree = (await runGit(repo, ["write-tree"], index)).trim();
    const after = (await runGit(repo, ["commit-tree", tree, "-p", edited, "-m", "chmod"])).trim();

    const changes = compareFingerprints(
      await fingerprintPaths(repo, before, ["guard"]),
      await fingerprintPaths(repo, after, ["guard"]),
    );

    expect(changes).toEqual({
      changed: ["guard/a.txt", "guard/crlf.txt", "guard/run.sh"],
      removed: ["guard/gone.txt"],
      added: ["guard/new.txt"],
    });
  });
});
