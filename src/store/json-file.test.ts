import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { StateError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { parseJsonText, readJson, writeJsonAtomic } from "./json-file.js";

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

  it("rethrows errors other than ENOENT (a directory is not a file)", async () => {
    const dir = await makeTestDir();
    await expect(readJson(dir, DocSchema)).rejects.toMatchObject({ code: "EISDIR" });
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
