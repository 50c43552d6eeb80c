import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import {
  FixListSchema,
  GateResultSchema,
  GatesFileSchema,
  ReviewReportSchema,
  WorkReportSchema,
} from "./reports.js";

function makeWorkReport(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { task_id: "T-001", round: 1, files_changed: ["math.js"], notes: "done", ...overrides };
}

function makeReviewReport(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_id: "T-001",
    round: 1,
    decision: "changes_required",
    blocking_issues: [],
    ...overrides,
  };
}

describe("WorkReportSchema", () => {
  it("normalizes a minimal report and keeps extra fields", () => {
    expect(parseWithSchema({ task_id: "T-001", round: 2, extra: true }, WorkReportSchema, "w.json"))
      .toMatchInlineSnapshot(`
      {
        "extra": true,
        "files_changed": [],
        "notes": "",
        "round": 2,
        "task_id": "T-001",
        "tests": [],
      }
    `);
  });

  it("rejects round 0, naming the field", () => {
    expect(() =>
      parseWithSchema(makeWorkReport({ round: 0 }), WorkReportSchema, "work_report.json"),
    ).toThrow(/^Invalid work_report\.json: round: /);
  });

  it("rejects a files_changed that is not a list of strings", () => {
    expect(() =>
      parseWithSchema(makeWorkReport({ files_changed: "math.js" }), WorkReportSchema, "w.json"),
    ).toThrow(/files_changed: /);
  });

  it("rejects a missing task_id", () => {
    expect(() => parseWithSchema({ round: 1 }, WorkReportSchema, "w.json")).toThrow(/task_id: /);
  });
});

describe("ReviewReportSchema", () => {
  it("rejects decision 'maybe', naming the field and the allowed values", () => {
    expect(() =>
      parseWithSchema(
        makeReviewReport({ decision: "maybe" }),
        ReviewReportSchema,
        "review_report.json",
      ),
    ).toThrow(/^Invalid review_report\.json: decision: .*"approve"\|"changes_required"/);
  });

  it("normalizes plain-string blocking issues to { reason }", () => {
    const report = parseWithSchema(
      makeReviewReport({
        blocking_issues: [
          "sum() is wrong",
          { severity: "high", file: "math.js", reason: "off by one" },
        ],
      }),
      ReviewReportSchema,
      "r.json",
    );
    expect(report.blocking_issues).toEqual([
      { reason: "sum() is wrong" },
      { severity: "high", file: "math.js", reason: "off by one" },
    ]);
    expect(report.non_blocking_suggestions).toEqual([]);
  });

  it("rejects a blocking issue without a reason, naming its index", () => {
    expect(() =>
      parseWithSchema(
        makeReviewReport({ blocking_issues: [{ file: "a.js" }] }),
        ReviewReportSchema,
        "r.json",
      ),
    ).toThrow(/blocking_issues\.0/);
  });
});

describe("FixListSchema and GatesFileSchema", () => {
  it("rejects a fix item with an unknown source", () => {
    const list = {
      version: 1,
      task_id: "T-001",
      round: 1,
      items: [{ source: "gut-feeling", reason: "x" }],
    };
    expect(() => parseWithSchema(list, FixListSchema, "fix_list.json")).toThrow(
      /^Invalid fix_list\.json: items\.0\.source: /,
    );
  });

  it("rejects a gates file of the wrong version", () => {
    expect(() =>
      parseWithSchema({ version: 2, round: 1, gates: [] }, GatesFileSchema, "gates.json"),
    ).toThrow(/version: /);
  });

  it("rejects a gate without passed, and defaults fixItems", () => {
    expect(() => parseWithSchema({ name: "verify", detail: "ok" }, GateResultSchema, "g")).toThrow(
      /passed: /,
    );
    expect(
      parseWithSchema({ name: "verify", passed: true, detail: "ok" }, GateResultSchema, "g")
        .fixItems,
    ).toEqual([]);
  });
});
