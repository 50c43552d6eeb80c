import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { ReviewReportSchema, WorkReportSchema } from "../store/schema/reports.js";
import { checkReportFile } from "./report-check.js";

const EXPECTED = { taskId: "T-001", round: 2 };

function makeReportText(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    task_id: "T-001",
    round: 2,
    files_changed: ["math.js"],
    notes: "fixed",
    ...overrides,
  });
}

async function check(text: string | undefined): Promise<{
  file: string;
  result: Awaited<ReturnType<typeof checkReportFile<typeof WorkReportSchema>>>;
}> {
  const dir = await makeTestDir(text === undefined ? {} : { "work_report.json": text });
  const file = path.join(dir, "work_report.json");
  return { file, result: await checkReportFile(file, WorkReportSchema, EXPECTED) };
}

describe("checkReportFile", () => {
  it("accepts a valid report for this task and round", async () => {
    const { result } = await check(makeReportText());
    expect(result).toEqual({
      isValid: true,
      report: { task_id: "T-001", round: 2, files_changed: ["math.js"], notes: "fixed", tests: [] },
    });
  });

  it("says when no report was written", async () => {
    const { file, result } = await check(undefined);
    expect(result).toEqual({ isValid: false, error: `no report was written to ${file}` });
  });

  it("says when the report is not valid JSON", async () => {
    const { file, result } = await check("{ task_id: T-001 }");
    expect(result.isValid).toBe(false);
    expect(!result.isValid && result.error).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not valid JSON: `),
    );
  });

  it("tolerates one ``` fence around the JSON", async () => {
    expect((await check(`\`\`\`json\n${makeReportText()}\n\`\`\`\n`)).result.isValid).toBe(true);
    expect((await check(`  \`\`\`\n${makeReportText()}\n\`\`\``)).result.isValid).toBe(true);
  });

  it("does not strip text around a fence (only a bare fence is tolerated)", async () => {
    const { result } = await check(`Here is my report:\n\`\`\`json\n${makeReportText()}\n\`\`\`\n`);
    expect(result.isValid).toBe(false);
  });

  it("rejects a report for another task", async () => {
    const { file, result } = await check(makeReportText({ task_id: "T-999" }));
    expect(result).toEqual({
      isValid: false,
      error: `${file}: task_id is "T-999", expected "T-001"`,
    });
  });

  it("rejects a stale report from an earlier round", async () => {
    const { file, result } = await check(makeReportText({ round: 1 }));
    expect(result).toEqual({
      isValid: false,
      error: `${file}: round is 1, expected 2 (stale report?)`,
    });
  });

  it("names the field when the schema fails", async () => {
    const dir = await makeTestDir({
      "review_report.json": JSON.stringify({ task_id: "T-001", round: 2, decision: "maybe" }),
    });
    const file = path.join(dir, "review_report.json");
    const result = await checkReportFile(file, ReviewReportSchema, EXPECTED);
    expect(result.isValid).toBe(false);
    expect(!result.isValid && result.error).toMatch(new RegExp(`review_report\\.json: decision: `));
  });
});
