import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CancelledError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { waitForManualReport } from "./manual.js";

/**
 * Starts a wait for `round/review_report.json` ("ok" is valid). `onRead` hears every content
 * bosun read; `started` settles once the prompt is written, that is once the report's directory
 * exists and the wait is under way.
 */
function makeWait(dir: string, signal?: AbortSignal, onRead?: (text: string) => void) {
  const reportFile = path.join(dir, "round", "review_report.json");
  const promptFile = path.join(dir, "round", "reviewer", "prompt.md");
  const invalid: string[] = [];
  const isReady = async (): Promise<{ isValid: boolean; error?: string }> => {
    try {
      const text = await readFile(reportFile, "utf8");
      onRead?.(text);
      return text.trim() === "ok"
        ? { isValid: true }
        : { isValid: false, error: `bad content "${text.trim()}"` };
    } catch {
      return { isValid: false, error: "no report yet" };
    }
  };
  const done = waitForManualReport({
    promptFile,
    prompt: "review please",
    reportFile,
    isReady,
    onInvalid: (error) => invalid.push(error),
    ...(signal === undefined ? {} : { signal }),
  });
  const started = waitFor("the prompt to be written", () =>
    existsSync(promptFile) ? true : undefined,
  );
  return { done, started, reportFile, invalid };
}

describe("waitForManualReport", () => {
  it("writes the prompt and returns at once when a valid report is already there", async () => {
    const dir = await makeTestDir({ "round/review_report.json": "ok\n" });
    const { done } = makeWait(dir);
    await done;
    expect(await readFile(path.join(dir, "round", "reviewer", "prompt.md"), "utf8")).toBe(
      "review please",
    );
  });

  it("reports an invalid file once and keeps waiting until a valid one is written", async () => {
    const dir = await makeTestDir();
    const { done, started, reportFile, invalid } = makeWait(dir);
    await started;
    // Written whole (temp file, then rename), as a tool should: a truncate-then-write would show
    // bosun an empty file for an instant, which it would rightly report too.
    await writeFile(`${reportFile}.tmp`, "nope\n");
    await rename(`${reportFile}.tmp`, reportFile);
    await waitFor("the invalid report to be noticed", () =>
      invalid.length > 0 ? true : undefined,
    );
    expect(invalid).toEqual(['bad content "nope"']);
    await writeFile(reportFile, "ok\n");
    await done;
  });

  it("does not report a file caught mid-write (truncated, then written)", async () => {
    const dir = await makeTestDir();
    let onEmptyRead = (): void => undefined;
    const sawEmpty = new Promise<void>((resolve) => (onEmptyRead = resolve));
    const { done, started, reportFile, invalid } = makeWait(dir, undefined, (text) => {
      if (text === "") onEmptyRead();
    });
    await started;
    await writeFile(reportFile, "");
    // bosun has seen the truncated file and lets it settle; the rest of the write lands now.
    await sawEmpty;
    await writeFile(reportFile, "ok\n");
    await done;
    expect(invalid).toEqual([]);
  });

  it("stops with CancelledError when aborted", async () => {
    const dir = await makeTestDir();
    const controller = new AbortController();
    const { done, started } = makeWait(dir, controller.signal);
    await started;
    controller.abort();
    await expect(done).rejects.toBeInstanceOf(CancelledError);
  });
});
