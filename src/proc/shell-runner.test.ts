import { readFileSync, realpathSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeOutsideDir } from "../../test/helpers/git-repo.js";
import { runQuickCommand } from "./shell-runner.js";

const cwd = os.tmpdir();

afterEach(() => {
  delete process.env["BOSUN_TEST_ADDED"];
});

describe("runQuickCommand", () => {
  it("passes every argument byte for byte, whatever the shell would make of it", async () => {
    const words = [
      "plain",
      "",
      "two words",
      "it's",
      "line one\nline two\n",
      '$HOME `id` $(id) ; | & > < * ? ~ \\ "',
      "-n",
      "ünïcødé ✓",
    ];

    const result = await runQuickCommand({ command: "printf", args: ["%s\\0", ...words], cwd });

    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString("utf8").split("\0").slice(0, -1)).toEqual(words);
  });

  it("runs in the given directory, odd names included, and returns stdout exactly (CR and NUL kept)", async () => {
    const dir = path.join(await makeOutsideDir(), "a dir\nwith 'quotes'");
    await mkdir(dir);

    const pwd = await runQuickCommand({ command: "pwd", args: ["-P"], cwd: dir });
    const raw = await runQuickCommand({ command: "printf", args: ["a\\r\\nb\\0"], cwd });

    expect(pwd.stdout.toString("utf8")).toBe(`${dir}\n`);
    expect(raw.stdout).toEqual(Buffer.from("a\r\nb\0"));
  });

  it("gives the command bosun's environment as it is now, with the overrides, removals included", async () => {
    // Started (if not yet) with HOME set; then the environment changes.
    await runQuickCommand({ command: "true", args: [], cwd });
    process.env["BOSUN_TEST_ADDED"] = "added 'value'\nsecond line";
    const home = process.env["HOME"];
    delete process.env["HOME"];
    try {
      const result = await runQuickCommand({
        command: "sh",
        args: [
          "-c",
          'printf "%s|%s|%s|%s" "$BOSUN_TEST_ADDED" "${HOME-unset}" "$OVERRIDE" "$BOSUN"',
        ],
        cwd,
        env: { OVERRIDE: "over ride" },
      });
      expect(result.stdout.toString("utf8")).toBe("added 'value'\nsecond line|unset|over ride|1");
    } finally {
      if (home !== undefined) process.env["HOME"] = home;
    }
  });

  it("reports the exit status and stderr's tail, and cuts stdout at maxBytes", async () => {
    const failed = await runQuickCommand({
      command: "sh",
      args: ["-c", "echo out; echo oops >&2; exit 3"],
      cwd,
    });
    const long = await runQuickCommand({
      command: "sh",
      args: ["-c", "printf '%0100d' 0"],
      cwd,
      maxBytes: 10,
    });

    expect(failed).toMatchObject({ exitCode: 3, stderrTail: "oops\n" });
    expect(failed.stdout.toString("utf8")).toBe("out\n");
    expect(long).toMatchObject({ isTruncated: true });
    expect(long.stdout.toString("utf8")).toBe("0000000000");
  });

  it("never runs a command whose folder is missing (126), and takes a relative folder from bosun's own", async () => {
    const missing = await runQuickCommand({ command: "pwd", args: [], cwd: "/nonexistent/dir" });
    const relative = await runQuickCommand({ command: "pwd", args: ["-P"], cwd: "." });

    expect(missing).toMatchObject({ exitCode: 126 });
    expect(missing.stdout.toString("utf8")).toBe("");
    expect(relative.stdout.toString("utf8")).toBe(`${realpathSync(process.cwd())}\n`);
  });

  it("passes environment names the shell cannot spell, and refuses a NUL as a spawn does", async () => {
    const result = await runQuickCommand({
      command: "env",
      args: [],
      cwd,
      env: { "ODD.NAME": "dotted", "ODD-NAME": "dashed" },
    });

    expect(result.stdout.toString("utf8")).toContain("ODD.NAME=dotted\n");
    expect(result.stdout.toString("utf8")).toContain("ODD-NAME=dashed\n");
    await expect(runQuickCommand({ command: "echo", args: ["a\0b"], cwd })).rejects.toThrow(/NUL/);
  });

  it("runs commands at once and gives each its own answer", async () => {
    const ids = Array.from({ length: 40 }, (_, index) => String(index));

    const results = await Promise.all(
      ids.map((id) =>
        runQuickCommand({ command: "sh", args: ["-c", `sleep 0.0${id.length}; echo ${id}`], cwd }),
      ),
    );

    expect(results.map((result) => result.stdout.toString("utf8").trim())).toEqual(ids);
  });

  it("runs its commands outside bosun's process group: Ctrl-C at the terminal is bosun's to handle", async () => {
    const readGroup = (stat: string): string =>
      stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2] ?? "";
    const result = await runQuickCommand({ command: "cat", args: ["/proc/self/stat"], cwd });

    expect(readGroup(result.stdout.toString("utf8"))).not.toBe(
      readGroup(readFileSync(`/proc/${process.pid}/stat`, "utf8")),
    );
  });

  it("fails the commands out when its shell dies, and starts a new shell for the next one", async () => {
    // The command's parent is the shell's background job; the job's parent is the shell itself.
    const killShell = "kill -9 $(cut -d' ' -f4 /proc/$PPID/stat); sleep 1";

    await expect(runQuickCommand({ command: "sh", args: ["-c", killShell], cwd })).rejects.toThrow(
      /exited/,
    );
    const after = await runQuickCommand({ command: "echo", args: ["alive"], cwd });

    expect(after.stdout.toString("utf8")).toBe("alive\n");
  });
});
