import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { StateError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { parseJsonText, readJson, writeJsonAtomic, writeTextAtomic } from "./json-file.js";

const DocSchema = z.object({
  version: z.literal(1),
  agents: z.object({ codex: z.object({ timeoutMs: z.number() }) }),
});

function makeDoc(timeoutMs = 1000): z.infer<typeof DocSchema> {
  return { version: 1, agents: { codex: { timeoutMs } } };
}

describe("readJson", () => {
  it("returns null when the file does not exist", async () => {
    const dir = await makeTestDir();
    expect(await readJson(path.join(dir, "missing.json"), DocSchema)).toBeNull();
  });

  it("returns the validated document", async () => {
    const dir = await makeTestDir({ "doc.json": JSON.stringify(makeDoc(5)) });
    expect(await readJson(path.join(dir, "doc.json"), DocSchema)).toEqual(makeDoc(5));
  });

  it("throws a StateError naming the file and the dot-path of bad data", async () => {
    const dir = await makeTestDir({
      "doc.json": JSON.stringify({ version: 1, agents: { codex: { timeoutMs: "soon" } } }),
    });
    const file = path.join(dir, "doc.json");
    const error: unknown = await readJson(file, DocSchema).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).message).toContain(`Invalid ${file}: agents.codex.timeoutMs: `);
    expect((error as StateError).message).toMatch(/expected number/);
  });

  it("says the file is not valid JSON when it cannot be parsed", async () => {
    const dir = await makeTestDir({ "doc.json": '{"version": 1,' });
    const file = path.join(dir, "doc.json");
    await expect(readJson(file, DocSchema)).rejects.toThrow(`Invalid ${file}: not valid JSON (`);
  });

  it("throws a StateError naming the file when a directory is in its place", async () => {
    const dir = await makeTestDir();
    const error: unknown = await readJson(dir, DocSchema).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toBe(
      `Cannot read ${dir}: it is a directory, not a file (EISDIR). Move the entry in the way aside (or restore it from a backup), then run the command again.`,
    );
  });

  it("names the file for a symlink loop and for a parent that is a file", async () => {
    const dir = await makeTestDir({ "plain-file": "x" });
    await symlink(path.join(dir, "loop"), path.join(dir, "loop"));
    await expect(readJson(path.join(dir, "loop"), DocSchema)).rejects.toThrow(
      new RegExp(`^Cannot read ${dir}/loop: it is a symbolic link loop \\(ELOOP\\)`),
    );
    await expect(readJson(path.join(dir, "plain-file", "doc.json"), DocSchema)).rejects.toThrow(
      `Cannot read ${dir}/plain-file/doc.json: ${dir}/plain-file is not a directory (ENOTDIR).`,
    );
  });
});

describe("parseJsonText", () => {
  it("names the root when the whole value has the wrong type", () => {
    expect(() => parseJsonText("[]", DocSchema, "x.json")).toThrow(/^Invalid x\.json: \(root\): /);
  });
});

describe("writeJsonAtomic", () => {
  it("writes pretty JSON with a trailing newline and leaves no .tmp file", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "nested", "doc.json");
    await writeJsonAtomic(file, DocSchema, makeDoc(7));
    expect(await readFile(file, "utf8")).toBe(`${JSON.stringify(makeDoc(7), null, 2)}\n`);
    expect(await readdir(path.dirname(file))).toEqual(["doc.json"]);
  });

  it("replaces an existing file", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "doc.json");
    await writeJsonAtomic(file, DocSchema, makeDoc(1));
    await writeJsonAtomic(file, DocSchema, makeDoc(2));
    expect(await readJson(file, DocSchema)).toEqual(makeDoc(2));
    expect(await readdir(dir)).toEqual(["doc.json"]);
  });

  it("validates before writing: an invalid value leaves the old file untouched", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "doc.json");
    await writeFile(file, "old contents");
    const bad = { version: 1, agents: { codex: { timeoutMs: "x" } } } as unknown as z.infer<
      typeof DocSchema
    >;
    await expect(writeJsonAtomic(file, DocSchema, bad)).rejects.toThrow(/agents\.codex\.timeoutMs/);
    expect(await readFile(file, "utf8")).toBe("old contents");
    expect(await readdir(dir)).toEqual(["doc.json"]);
  });
});

describe("writeJsonAtomic into a damaged tree", () => {
  it("throws a StateError naming the file when a directory is in its place, and leaves no .tmp", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "doc.json");
    await mkdir(path.join(file, "inside"), { recursive: true });
    const error: unknown = await writeJsonAtomic(file, DocSchema, makeDoc()).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(new RegExp(`^Cannot write ${file}: `));
    expect(await readdir(dir)).toEqual(["doc.json"]);
  });

  it("names the file whose parent is a file", async () => {
    const dir = await makeTestDir({ parent: "a file" });
    const file = path.join(dir, "parent", "doc.json");
    await expect(writeJsonAtomic(file, DocSchema, makeDoc())).rejects.toThrow(
      `Cannot write ${file}: ${dir}/parent is not a directory`,
    );
  });
});

describe("writeTextAtomic", () => {
  it("lets many writes of one file run at once: each has its own temp file, one of them wins whole", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "run.json");
    const texts = Array.from({ length: 20 }, (_, index) => `write ${index}\n`);
    await Promise.all(texts.map((text) => writeTextAtomic(file, text)));
    expect(texts).toContain(await readFile(file, "utf8"));
    expect(await readdir(dir)).toEqual(["run.json"]);
  });
});
