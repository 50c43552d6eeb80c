import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { StateError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { appendJsonl, createLineAppender, readJsonl, repairJsonlTail } from "./jsonl.js";

const LineSchema = z.object({ n: z.number() });

function makeLines(...values: number[]): string {
  return values.map((n) => `${JSON.stringify({ n })}\n`).join("");
}

describe("readJsonl", () => {
  it("reads a missing file as empty", async () => {
    const dir = await makeTestDir();
    expect(await readJsonl(path.join(dir, "none.jsonl"), LineSchema)).toEqual({
      records: [],
      lineNumbers: [],
      validBytes: 0,
      hasTornTail: false,
    });
  });

  it("reads every LF-terminated record and skips blank lines", async () => {
    const dir = await makeTestDir({ "h.jsonl": `${makeLines(1, 2)}\n${makeLines(3)}` });
    const read = await readJsonl(path.join(dir, "h.jsonl"), LineSchema);
    expect(read.records).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    // The blank line 3 holds no record: the third record is on line 4.
    expect(read.lineNumbers).toEqual([1, 2, 4]);
    expect(read.hasTornTail).toBe(false);
  });

  it("ignores a torn last line (crash mid-append) and reports where the valid prefix ends", async () => {
    const good = makeLines(1, 2);
    const dir = await makeTestDir({ "h.jsonl": `${good}{"n": 3, "tr` });
    const read = await readJsonl(path.join(dir, "h.jsonl"), LineSchema);
    expect(read).toEqual({
      records: [{ n: 1 }, { n: 2 }],
      lineNumbers: [1, 2],
      validBytes: Buffer.byteLength(good),
      hasTornTail: true,
    });
  });

  it("ignores an unterminated last line even when it happens to be valid JSON", async () => {
    const dir = await makeTestDir({ "h.jsonl": `${makeLines(1)}{"n":2}` });
    const read = await readJsonl(path.join(dir, "h.jsonl"), LineSchema);
    expect(read.records).toEqual([{ n: 1 }]);
    expect(read.hasTornTail).toBe(true);
  });

  it("throws naming file:line for malformed JSON in the middle", async () => {
    const dir = await makeTestDir({ "h.jsonl": `${makeLines(1)}not json\n${makeLines(3)}` });
    const file = path.join(dir, "h.jsonl");
    const error: unknown = await readJsonl(file, LineSchema).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toContain(`Invalid ${file}:2: not valid JSON.`);
  });

  it("throws naming file:line and the field for a record that fails the schema", async () => {
    const dir = await makeTestDir({ "h.jsonl": `${makeLines(1, 2)}{"n":"three"}\n` });
    const file = path.join(dir, "h.jsonl");
    await expect(readJsonl(file, LineSchema)).rejects.toThrow(`Invalid ${file}:3: n: `);
  });
});

describe("repairJsonlTail", () => {
  it("truncates a torn last line so the next append starts on a fresh line", async () => {
    const dir = await makeTestDir({ "h.jsonl": `${makeLines(1)}{"n": 2, "tor` });
    const file = path.join(dir, "h.jsonl");
    expect(await repairJsonlTail(file)).toBe(true);
    expect(await readFile(file, "utf8")).toBe(makeLines(1));
    await appendJsonl(file, LineSchema, { n: 2 });
    expect((await readJsonl(file, LineSchema)).records).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("truncates a file holding only a torn line to empty", async () => {
    const dir = await makeTestDir({ "h.jsonl": '{"n":' });
    const file = path.join(dir, "h.jsonl");
    expect(await repairJsonlTail(file)).toBe(true);
    expect(await readFile(file, "utf8")).toBe("");
  });

  it("takes a tail of NUL bytes (a power loss after the file grew) for a torn append", async () => {
    const dir = await makeTestDir({ "h.jsonl": `${makeLines(1)}\u0000\u0000\u0000` });
    const file = path.join(dir, "h.jsonl");
    expect((await readJsonl(file, LineSchema)).records).toEqual([{ n: 1 }]);
    expect(await repairJsonlTail(file)).toBe(true);
    expect(await readFile(file, "utf8")).toBe(makeLines(1));
  });

  it("refuses to cut a last line that is damage rather than a record cut short", async () => {
    const garbage = "\u0000garbage{{not json";
    const dir = await makeTestDir({ "h.jsonl": `${makeLines(1)}${garbage}`, "g.jsonl": garbage });
    for (const [name, line] of [
      ["h.jsonl", 2],
      ["g.jsonl", 1],
    ] as const) {
      const file = path.join(dir, name);
      const before = await readFile(file, "utf8");
      await expect(repairJsonlTail(file)).rejects.toThrow(
        `Invalid ${file}:${line}: not valid JSON`,
      );
      await expect(readJsonl(file, LineSchema)).rejects.toThrow(`Invalid ${file}:${line}: `);
      await expect(appendJsonl(file, LineSchema, { n: 9 })).rejects.toThrow(StateError);
      expect(await readFile(file, "utf8")).toBe(before);
    }
  });

  it("leaves a clean, an empty or a missing file alone", async () => {
    const dir = await makeTestDir({ "clean.jsonl": makeLines(1), "empty.jsonl": "" });
    expect(await repairJsonlTail(path.join(dir, "clean.jsonl"))).toBe(false);
    expect(await readFile(path.join(dir, "clean.jsonl"), "utf8")).toBe(makeLines(1));
    expect(await repairJsonlTail(path.join(dir, "empty.jsonl"))).toBe(false);
    expect(await repairJsonlTail(path.join(dir, "missing.jsonl"))).toBe(false);
  });
});

describe("appendJsonl", () => {
  it("appends LF-terminated single-line records, creating the directory", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "deep", "h.jsonl");
    await appendJsonl(file, LineSchema, { n: 1 });
    await appendJsonl(file, z.object({ n: z.number(), s: z.string() }), { n: 2, s: "multi\nline" });
    const text = await readFile(file, "utf8");
    expect(text).toBe('{"n":1}\n{"n":2,"s":"multi\\nline"}\n');
    expect(text.includes("\r")).toBe(false);
  });

  it("refuses a record that fails the schema and writes nothing", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "h.jsonl");
    await writeFile(file, makeLines(1));
    const bad = { n: "x" } as unknown as z.infer<typeof LineSchema>;
    await expect(appendJsonl(file, LineSchema, bad)).rejects.toThrow(
      `Refusing to append to ${file}: n: `,
    );
    expect(await readFile(file, "utf8")).toBe(makeLines(1));
  });

  it("keeps appends after an external append intact", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "h.jsonl");
    await appendJsonl(file, LineSchema, { n: 1 });
    await appendFile(file, makeLines(2));
    await appendJsonl(file, LineSchema, { n: 3 });
    expect((await readJsonl(file, LineSchema)).records).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});

describe("appendJsonl after a crash", () => {
  it("cuts a torn last line before appending, so the file stays valid", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "costs.jsonl");
    await writeFile(file, `${makeLines(1)}{"n":`);
    await appendJsonl(file, LineSchema, { n: 2 });
    expect(await readFile(file, "utf8")).toBe(makeLines(1, 2));
    expect((await readJsonl(file, LineSchema)).records).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe("a damaged history file", () => {
  it("is a StateError naming the file when a directory stands in its place", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "events.jsonl");
    await mkdir(file);
    for (const attempt of [
      () => readJsonl(file, LineSchema),
      () => appendJsonl(file, LineSchema, { n: 1 }),
      () => repairJsonlTail(file),
    ]) {
      const error: unknown = await attempt().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StateError);
      expect((error as Error).message).toMatch(
        new RegExp(`^Cannot (read|append to|write) ${file}: it is a directory, not a file`),
      );
    }
  });

  it("is a StateError naming the parent that is a file", async () => {
    const dir = await makeTestDir({ run: "not a directory" });
    const file = path.join(dir, "run", "events.jsonl");
    await expect(appendJsonl(file, LineSchema, { n: 1 })).rejects.toThrow(
      `Cannot append to ${file}: ${dir}/run is not a directory`,
    );
  });
});

describe("createLineAppender", () => {
  it("appends in order through one open file, and opens the next file after a switch", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "runs", "r1", "events.jsonl");
    const other = path.join(dir, "other.jsonl");
    const appender = createLineAppender();

    await appender.append(file, ["1", "2"]);
    await appender.append(file, ["3"]);
    expect(await readFile(file, "utf8")).toBe("1\n2\n3\n");

    // Kept open: a line appended after the file was unlinked goes to the open file, not a new one.
    await rm(file);
    await appender.append(file, ["4"]);
    expect(existsSync(file)).toBe(false);

    await appender.append(other, ["a"]);
    await appender.close();
    await appender.append(other, ["b"]);
    await appender.close();
    expect(await readFile(other, "utf8")).toBe("a\nb\n");
  });
});
