/**
 * The sample project `bosun demo` works on: a tiny repo with a failing test, and an offline-agent
 * script where round 1's worker leaves a bug the verify command catches, round 2 fixes it, and
 * the reviewer approves.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { OfflineScript } from "../agents/offline/script.js";
import { runGit } from "../workspace/git.js";

/** The demo's task card. */
export const DEMO_TASK = {
  task_id: "T-001",
  goal: "Implement sum(a, b) in math.js so that test.js passes",
  in_scope: ["math.js"],
  out_of_scope: ["test.js"],
  acceptance_criteria: ["node test.js exits 0", "sum returns a + b for any two numbers"],
  constraints: ["no dependencies"],
};

/** The demo's verify command. */
export const DEMO_VERIFY = "node test.js";

const TEST_JS = `const assert = require("node:assert");
const { sum } = require("./math.js");
assert.strictEqual(sum(2, 3), 5, "sum(2, 3) should be 5");
assert.strictEqual(sum(-1, 1), 0, "sum(-1, 1) should be 0");
console.log("ok: all sums correct");
`;

const SCRIPT: OfflineScript = {
  version: 1,
  steps: [
    {
      seat: "worker",
      round: 1,
      actions: [
        { say: "Implementing sum() in math.js." },
        { write: { path: "math.js", content: "exports.sum = (a, b) => a - b;\n" } },
        { report: { files_changed: ["math.js"], notes: "Implemented sum.", tests: [] } },
      ],
    },
    {
      seat: "worker",
      round: 2,
      actions: [
        { say: "The verify command says sum(2, 3) is wrong: I subtracted. Fixing." },
        { replace: { path: "math.js", find: "a - b", with: "a + b" } },
        { run: "node test.js" },
        {
          report: {
            files_changed: ["math.js"],
            notes: "Fixed the operator.",
            tests: [{ name: "node test.js", result: "pass" }],
          },
        },
      ],
    },
    {
      seat: "reviewer",
      actions: [
        { run: "node test.js" },
        { say: "sum() is correct and test.js passes; in scope." },
        {
          report: {
            decision: "approve",
            blocking_issues: [],
            non_blocking_suggestions: ["Consider a test for floats."],
          },
        },
      ],
    },
  ],
};

/** Creates the sample repo in `dir` and writes the offline script; returns the script path. */
export async function createDemoRepo(dir: string): Promise<{ repo: string; scriptFile: string }> {
  const repo = path.join(dir, "sample-repo");
  await mkdir(repo, { recursive: true });
  await writeFile(path.join(repo, "test.js"), TEST_JS);
  await writeFile(
    path.join(repo, "math.js"),
    'exports.sum = () => { throw new Error("not implemented"); };\n',
  );
  await writeFile(
    path.join(repo, "README.md"),
    "# bosun demo\n\nA tiny project for `bosun demo`.\n",
  );
  const identity = ["-c", "user.name=bosun demo", "-c", "user.email=demo@bosun.invalid"];
  await runGit(repo, ["init", "-q", "-b", "main"]);
  await runGit(repo, ["add", "-A"]);
  await runGit(repo, [...identity, "commit", "-q", "-m", "Sample project with a failing test"]);
  const scriptFile = path.join(dir, "offline-script.json");
  await writeFile(scriptFile, `${JSON.stringify(SCRIPT, null, 2)}\n`);
  return { repo, scriptFile };
}
