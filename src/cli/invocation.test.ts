/** How printed commands invoke bosun: plain `bosun` only when PATH's first bosun is this one. */
import { execFileSync } from "node:child_process";
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { getBosunCommand, quoteForShell, type Installation } from "./invocation.js";

/** A built installation at `<dir>/pkg with space/dist/cli.js`, and bin dirs to put on PATH. */
async function makeInstallation(): Promise<{ dir: string; installation: Installation }> {
  const dir = await makeTestDir({
    "pkg with space/package.json": "{}\n",
    "pkg with space/dist/cli.js": "#!/usr/bin/env node\n",
    "pkg with space/src/cli.ts": "",
  });
  const root = path.join(dir, "pkg with space");
  await chmod(path.join(root, "dist", "cli.js"), 0o755);
  const installation: Installation = {
    builtEntry: path.join(root, "dist", "cli.js"),
    sourceEntry: path.join(root, "src", "cli.ts"),
    isBuilt: true,
  };
  return { dir, installation };
}

async function makeBin(dir: string, name: string): Promise<string> {
  const bin = path.join(dir, name);
  await mkdir(bin);
  return bin;
}

describe("getBosunCommand", () => {
  it("says bosun when the first bosun on PATH links to this installation", async () => {
    const { dir, installation } = await makeInstallation();
    const bin = await makeBin(dir, "bin");
    // npm link's layout: a link to a link to the package's bin file.
    await symlink(path.join(dir, "pkg with space"), path.join(dir, "linked-pkg"));
    await symlink(path.join(dir, "linked-pkg", "dist", "cli.js"), path.join(bin, "bosun"));
    const env = { PATH: `${bin}:${path.dirname(process.execPath)}` };
    expect(await getBosunCommand(installation, env)).toBe("bosun");
  });

  it("says node <entry> when the first bosun on PATH is another one, even if this one comes later", async () => {
    const { dir, installation } = await makeInstallation();
    const other = await makeBin(dir, "other");
    await writeFile(path.join(other, "bosun"), "#!/bin/sh\n");
    await chmod(path.join(other, "bosun"), 0o755);
    const ours = await makeBin(dir, "ours");
    await symlink(installation.builtEntry, path.join(ours, "bosun"));
    const env = { PATH: [other, ours, path.dirname(process.execPath)].join(":") };
    const command = await getBosunCommand(installation, env);
    expect(command).toBe(`node '${installation.builtEntry}'`);
  });

  it("ignores relative PATH entries and non-executable files, and names Node by path when node on PATH is another", async () => {
    const { dir, installation } = await makeInstallation();
    const bin = await makeBin(dir, "bin");
    await symlink(installation.builtEntry, path.join(bin, "bosun"));
    const plain = await makeBin(dir, "plain");
    await writeFile(path.join(plain, "bosun"), "not executable");
    await writeFile(path.join(plain, "node"), "not executable either");
    const env = { PATH: [plain, "relative-bin", ""].join(":") };
    const command = await getBosunCommand(installation, env);
    expect(command).toBe(
      `${quoteForShell(process.execPath)} ${quoteForShell(installation.builtEntry)}`,
    );
  });

  it("skips node_modules/.bin dirs, which npx and npm scripts add only for the process they start", async () => {
    const { dir, installation } = await makeInstallation();
    // Where `npx bosun` finds bosun: a link in npx's cache, on the PATH npx gives bosun only.
    const npxBin = path.join(dir, ".npm", "_npx", "b2ab84ea", "node_modules", ".bin");
    await mkdir(npxBin, { recursive: true });
    await symlink(installation.builtEntry, path.join(npxBin, "bosun"));
    const env = { PATH: `${npxBin}:${path.dirname(process.execPath)}` };
    expect(await getBosunCommand(installation, env)).toBe(`node '${installation.builtEntry}'`);
  });

  it("never says bosun while running from source", async () => {
    const { dir, installation } = await makeInstallation();
    const bin = await makeBin(dir, "bin");
    await symlink(installation.builtEntry, path.join(bin, "bosun"));
    const env = { PATH: `${bin}:${path.dirname(process.execPath)}` };
    const command = await getBosunCommand({ ...installation, isBuilt: false }, env);
    expect(command).toMatch(/^node --import \S+ '.*\/pkg with space\/src\/cli\.ts'$/);
  });
});

describe("quoteForShell", () => {
  it("leaves plain paths alone and quotes the rest so sh reads them back unchanged", () => {
    expect(quoteForShell("/tmp/bosun-demo-x/sample-repo")).toBe("/tmp/bosun-demo-x/sample-repo");
    for (const word of ["/tmp/a b", "it's", "$HOME", "a;b", "*"]) {
      const echoed = execFileSync("/bin/sh", ["-c", `printf %s ${quoteForShell(word)}`], {
        encoding: "utf8",
      });
      expect(echoed).toBe(word);
    }
  });
});
