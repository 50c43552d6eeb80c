import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths } from "../store/paths.js";
import type { FixItem } from "../store/schema/reports.js";
import { formatFixList, readPromptTemplate, readRoleDocs, renderPrompt } from "./prompts.js";
import { BUILTIN_TEMPLATES, fillPromptTemplate } from "./templates.js";

/** Values for every placeholder of the built-in worker template. */
function makeWorkerValues(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    task_id: "T-001",
    round: "2",
    max_rounds: "3",
    cwd: "/repo",
    agents_md: "",
    role_doc: "",
    task_card: '{"task_id": "T-001"}',
    fix_list: "",
    report_file: "/repo/.bosun/runs/r1/tasks/T-001/rounds/2/work_report.json",
    ...overrides,
  };
}

function makeReviewerValues(): Record<string, string> {
  return {
    task_id: "T-001",
    round: "2",
    cwd: "/repo",
    role_doc: "",
    task_card: "{}",
    work_report: "{}",
    files_changed: "math.js",
    diff: "+x",
    verify: "(none)",
    report_file: "/repo/review_report.json",
  };
}

describe("fillPromptTemplate", () => {
  it("fills every placeholder of the built-in templates", () => {
    const worker = renderPrompt(BUILTIN_TEMPLATES.worker, makeWorkerValues());
    expect(worker).not.toMatch(/\{\{[a-z_]+\}\}/);
    expect(worker).toContain("You are the WORKER for task T-001, round 2 of at most 3.");
    expect(worker).toContain('{"task_id": "T-001", "round": 2,');
    expect(worker).toContain("/repo/.bosun/runs/r1/tasks/T-001/rounds/2/work_report.json");
    expect(renderPrompt(BUILTIN_TEMPLATES.reviewer, makeReviewerValues())).not.toMatch(
      /\{\{[a-z_]+\}\}/,
    );
  });

  it("leaves unknown placeholders as they are and does not re-expand inserted values", () => {
    expect(fillPromptTemplate("{{a}} {{unknown}} {{b}}", { a: "{{b}}", b: "B" })).toBe(
      "{{b}} {{unknown}} B",
    );
  });
});

describe("readPromptTemplate", () => {
  it("uses the built-in template when the project has none", async () => {
    const paths = createBosunPaths(await makeTestDir());
    expect(await readPromptTemplate(paths, "worker")).toBe(BUILTIN_TEMPLATES.worker);
    expect(await readPromptTemplate(paths, "reviewer")).toBe(BUILTIN_TEMPLATES.reviewer);
  });

  it("prefers the project's .bosun/templates/<role>.md", async () => {
    const paths = createBosunPaths(
      await makeTestDir({ ".bosun/templates/worker.md": "Custom worker for {{task_id}}" }),
    );
    expect(await readPromptTemplate(paths, "worker")).toBe("Custom worker for {{task_id}}");
    expect(await readPromptTemplate(paths, "reviewer")).toBe(BUILTIN_TEMPLATES.reviewer);
  });
});

describe("readRoleDocs", () => {
  it("includes AGENTS.md and docs/roles/worker.md for the worker", async () => {
    const root = await makeTestDir({
      "AGENTS.md": "Use pnpm.\n\n",
      "docs/roles/worker.md": "Write tests first.\n",
    });
    const docs = await readRoleDocs(root, "worker");
    expect(docs).toEqual({
      agentsMd: "## Project instructions (AGENTS.md)\nUse pnpm.\n",
      roleDoc: "## Your role (docs/roles/worker.md)\nWrite tests first.\n",
    });
    const prompt = renderPrompt(
      BUILTIN_TEMPLATES.worker,
      makeWorkerValues({ agents_md: docs.agentsMd, role_doc: docs.roleDoc }),
    );
    expect(prompt).toContain("Use pnpm.");
    expect(prompt).toContain("Write tests first.");
  });

  it("gives the reviewer its own role doc but not AGENTS.md", async () => {
    const root = await makeTestDir({
      "AGENTS.md": "Use pnpm.",
      "docs/roles/reviewer.md": "Be strict.",
    });
    expect(await readRoleDocs(root, "reviewer")).toEqual({
      agentsMd: "",
      roleDoc: "## Your role (docs/roles/reviewer.md)\nBe strict.\n",
    });
  });

  it("is empty when the project has no docs", async () => {
    expect(await readRoleDocs(await makeTestDir(), "worker")).toEqual({
      agentsMd: "",
      roleDoc: "",
    });
  });
});

describe("formatFixList", () => {
  it("is empty with nothing to fix", () => {
    expect(formatFixList([])).toBe("");
  });

  it("numbers the items with severity, file and source, plus a human note", () => {
    const items: FixItem[] = [
      { source: "verify", reason: "npm test failed: sum(2, 2) = 5" },
      { source: "review", reason: "off by one", file: "math.js", severity: "high" },
    ];
    expect(formatFixList(items, "keep it small")).toMatchInlineSnapshot(`
      "
      ## Fix list from the previous round (fix every item)
      1. npm test failed: sum(2, 2) = 5 — from verify
      2. [high] off by one (math.js) — from review

      A human adds: keep it small
      "
    `);
  });
});
