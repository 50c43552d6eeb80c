import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import {
  BUILTIN_HARNESSES,
  HARNESS_NAMES,
  buildHeadlessArgv,
  canCapSpend,
  createTemplateSpec,
  resolveHarness,
  type HarnessOverride,
  type TemplateValues,
} from "./harnesses.js";

function makeValues(overrides: Partial<TemplateValues> = {}): TemplateValues {
  return {
    promptFile: "/run/prompt.md",
    model: "",
    thinking: "",
    sessionId: "",
    script: "",
    maxBudgetUsd: "",
    ...overrides,
  };
}

function argvFor(
  name: string,
  values: Partial<TemplateValues> = {},
  overrides: Record<string, HarnessOverride> = {},
): ReturnType<typeof buildHeadlessArgv> {
  return buildHeadlessArgv(resolveHarness(name, overrides), makeValues(values));
}

describe("buildHeadlessArgv", () => {
  it("claude: stream-json, prompt on stdin, model and effort flags only when set", () => {
    expect(argvFor("claude")).toMatchInlineSnapshot(`
      {
        "args": [
          "-p",
          "--output-format",
          "stream-json",
          "--verbose",
          "--dangerously-skip-permissions",
        ],
        "command": "claude",
        "isPromptOnStdin": true,
      }
    `);
    expect(argvFor("claude", { model: "opus", thinking: "high" }).args.slice(-4)).toEqual([
      "--model",
      "opus",
      "--effort",
      "high",
    ]);
  });

  it("claude: resumes a session with --resume <id>", () => {
    expect(argvFor("claude", { sessionId: "sess-1" }).args).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--dangerously-skip-permissions",
      "--resume",
      "sess-1",
    ]);
  });

  it("codex: exec --json reading the prompt from stdin ('-'), thinking as a -c override", () => {
    expect(argvFor("codex", { model: "gpt-5.5", thinking: "high" })).toMatchInlineSnapshot(`
      {
        "args": [
          "exec",
          "--json",
          "--dangerously-bypass-approvals-and-sandbox",
          "--skip-git-repo-check",
          "-",
          "-m",
          "gpt-5.5",
          "-c",
          "model_reasoning_effort=high",
        ],
        "command": "codex",
        "isPromptOnStdin": true,
      }
    `);
  });

  it("codex: resumes with exec resume <thread id>", () => {
    expect(argvFor("codex", { sessionId: "thread-9" }).args).toEqual([
      "exec",
      "resume",
      "--json",
      "--dangerously-bypass-approvals-and-sandbox",
      "--skip-git-repo-check",
      "thread-9",
      "-",
    ]);
  });

  it("pi: passes the prompt file as @file, so nothing goes on stdin", () => {
    expect(argvFor("pi")).toEqual({
      command: "pi",
      args: ["-p", "--mode", "json", "@/run/prompt.md"],
      isPromptOnStdin: false,
    });
    expect(argvFor("pi", { sessionId: "s" }).args).toEqual([
      "-p",
      "--mode",
      "json",
      "--session",
      "s",
      "@/run/prompt.md",
    ]);
  });

  it("ignores the session for a harness that cannot resume", () => {
    expect(argvFor("amp", { sessionId: "s" }).args).toEqual(BUILTIN_HARNESSES["amp"]?.headlessArgs);
  });

  it("appends configured extra args and uses a command override", () => {
    const argv = argvFor(
      "claude",
      {},
      { claude: { command: "/opt/claude/bin/claude", args: ["--max-turns", "40"] } },
    );
    expect(argv.command).toBe("/opt/claude/bin/claude");
    expect(argv.args.slice(-2)).toEqual(["--max-turns", "40"]);
  });

  it("custom template: prompt file substituted, prompt not on stdin, {{model}} filled when set", () => {
    const overrides = {
      custom: { template: "mytool run --file {{prompt_file}} --model={{model}} {{thinking}}" },
    };
    expect(argvFor("custom", { model: "m1", thinking: "deep" }, overrides)).toEqual({
      command: "mytool",
      args: ["run", "--file", "/run/prompt.md", "--model=m1", "deep"],
      isPromptOnStdin: false,
    });
  });

  it("custom template: drops an arg whose placeholder is empty, with the flag right before it", () => {
    const overrides = {
      mytool: {
        template:
          "mytool --model={{model}} -m {{model}} --think {{thinking}} --file {{prompt_file}}",
      },
    };
    expect(argvFor("mytool", {}, overrides)).toEqual({
      command: "mytool",
      args: ["--file", "/run/prompt.md"],
      isPromptOnStdin: false,
    });
  });

  it("passes a USD cap only to harnesses whose spec has budget args (claude, not codex)", () => {
    expect(argvFor("claude", { maxBudgetUsd: "1.25" }).args.slice(-2)).toEqual([
      "--max-budget-usd",
      "1.25",
    ]);
    expect(argvFor("claude").args).not.toContain("--max-budget-usd");
    expect(argvFor("codex", { maxBudgetUsd: "1.25" })).toEqual(argvFor("codex"));
    for (const name of ["gemini", "opencode", "pi", "amp", "cursor-agent", "offline"])
      expect(argvFor(name, { maxBudgetUsd: "1.25" })).toEqual(argvFor(name));
  });

  it("custom template: {{max_budget_usd}} is the cap, dropped with its flag when there is none", () => {
    const overrides = { mytool: { template: "mytool --budget {{max_budget_usd}} --go" } };
    expect(argvFor("mytool", { maxBudgetUsd: "3" }, overrides).args).toEqual([
      "--budget",
      "3",
      "--go",
    ]);
    expect(argvFor("mytool", {}, overrides).args).toEqual(["--go"]);
  });

  it("says which harnesses a USD cap reaches: budget args, or {{max_budget_usd}} in a template or args", () => {
    const overrides = {
      mytool: { template: "mytool --budget {{max_budget_usd}}" },
      plaintool: { template: "plaintool --go" },
      codex: { args: ["-c", "max_usd={{max_budget_usd}}"] },
    };
    const capped = ["claude", "codex", "gemini", "offline", "mytool", "plaintool"].filter((name) =>
      canCapSpend(resolveHarness(name, overrides)),
    );
    expect(capped).toEqual(["claude", "codex", "mytool"]);
    expect(canCapSpend(resolveHarness("codex", {}))).toBe(false);
  });

  it("custom template without {{prompt_file}} gets the prompt on stdin", () => {
    const argv = argvFor("custom", {}, { custom: { template: "'my tool' --stdin" } });
    expect(argv).toEqual({ command: "my tool", args: ["--stdin"], isPromptOnStdin: true });
  });
});

describe("resolveHarness", () => {
  it("resolves every built-in by name with overrides applied", () => {
    for (const name of Object.keys(BUILTIN_HARNESSES))
      expect(resolveHarness(name, {}).spec.name).toBe(name);
    const resolved = resolveHarness("codex", {
      codex: { model: "gpt-5", thinking: "low", env: { A: "1" } },
    });
    expect(resolved).toMatchObject({
      model: "gpt-5",
      thinking: "low",
      env: { A: "1" },
      extraArgs: [],
      script: "",
    });
  });

  it("turns a config entry with a template into a harness of that name with the chosen parser", () => {
    const resolved = resolveHarness("mytool", {
      mytool: { template: "mytool {{prompt_file}}", parser: "codex" },
    });
    expect(resolved.spec).toMatchObject({
      name: "mytool",
      command: "mytool",
      parser: "codex",
      isFinalRequired: false,
    });
    expect(resolveHarness("other", { other: { template: "x" } }).spec.parser).toBe("plain");
  });

  it("refuses an unknown harness with a UsageError listing the known ones", () => {
    const error: unknown = (() => {
      try {
        return resolveHarness("clade", { mytool: { template: "mytool" } });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `Unknown harness "clade". Known: ${[...HARNESS_NAMES, "mytool"].join(", ")}.`,
    );
    expect((error as Error).message).toContain(
      "claude, codex, gemini, opencode, pi, amp, cursor-agent, offline, custom, manual",
    );
  });

  it("refuses `custom` without a template, saying which key to set", () => {
    expect(() => resolveHarness("custom", {})).toThrow(UsageError);
    expect(() => resolveHarness("custom", {})).toThrow(
      /set agents\.custom\.template in bosun\.yaml/,
    );
  });

  it("refuses an empty template", () => {
    expect(() => createTemplateSpec("mytool", "   ", "plain")).toThrow(
      "agents.mytool.template is empty.",
    );
  });
});
