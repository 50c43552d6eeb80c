import { mkdir, readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { StateError } from "../errors.js";
import { readIntelligence, writeIntelligence } from "./intelligence-file.js";
import { createBosunPaths } from "./paths.js";

describe("intelligence file", () => {
  it("is null before bosun learn has run, then reads back what was written, replaced whole", async () => {
    const paths = createBosunPaths(await makeTestDir());
    expect(await readIntelligence(paths)).toBeNull();
    await writeIntelligence(paths, "# one\n");
    await writeIntelligence(paths, "# two\n");
    expect(await readIntelligence(paths)).toBe("# two\n");
    // Written through a temp file that is renamed into place: nothing else is left behind.
    expect(await readdir(paths.bosunDir)).toEqual(["intelligence.md"]);
  });

  it("is a StateError naming the file when something is in the way", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await mkdir(paths.intelligenceFile, { recursive: true });
    await expect(readIntelligence(paths)).rejects.toThrow(StateError);
    await expect(writeIntelligence(paths, "x")).rejects.toThrow(paths.intelligenceFile);
  });
});
