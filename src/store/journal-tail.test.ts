import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { readJournalLastSeq } from "./journal-tail.js";

function makeLines(count: number, extra: Record<string, unknown> = {}): string {
  let text = "";
  for (let seq = 1; seq <= count; seq++)
    text += `${JSON.stringify({ seq, type: "x", ...extra })}\n`;
  return text;
}

async function readWith(text: string): Promise<number | undefined> {
  const file = path.join(await makeTestDir(), "events.jsonl");
  await writeFile(file, text);
  return readJournalLastSeq(file);
}

describe("readJournalLastSeq", () => {
  it("is the seq of the last line, 0 for an empty or missing journal", async () => {
    expect(await readWith(makeLines(3))).toBe(3);
    expect(await readWith("")).toBe(0);
    expect(await readJournalLastSeq(path.join(await makeTestDir(), "none.jsonl"))).toBe(0);
  });

  it("skips a torn last line and blank lines, as the readers do", async () => {
    expect(await readWith(`${makeLines(2)}{"seq":3,"ty`)).toBe(2);
    expect(await readWith(`${makeLines(2)}\n\n`)).toBe(2);
    expect(await readWith(`{"seq":1,"ty`)).toBe(0);
  });

  it("reads further back when the last line is longer than the first tail read", async () => {
    const long = makeLines(5, { detail: "x".repeat(200_000) });
    expect(await readWith(long)).toBe(5);
    // A single huge line, the whole file.
    expect(await readWith(makeLines(1, { detail: "y".repeat(300_000) }))).toBe(1);
  });

  it("is undefined when the last line is not an event with a seq", async () => {
    expect(await readWith(`${makeLines(2)}garbage\n`)).toBeUndefined();
    expect(await readWith(`${makeLines(2)}{"type":"x"}\n`)).toBeUndefined();
    expect(await readWith(`${makeLines(2)}[1]\n`)).toBeUndefined();
  });
});
