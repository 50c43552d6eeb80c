import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { HARNESS_NAMES } from "../../agents/harnesses.js";
import { WrittenConfigSchema } from "../../store/schema/config.js";
import { WORKSPACE_CONFIG_TEMPLATE } from "./init.js";

/** Every key path of a schema; a record's keys (agent names, model names) are "*". */
function listSchemaKeyPaths(schema: unknown, prefix: string[] = []): string[][] {
  let inner = schema;
  while (inner instanceof z.ZodOptional) inner = inner.unwrap();
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, unknown>).flatMap(([key, child]) => [
      [...prefix, key],
      ...listSchemaKeyPaths(child, [...prefix, key]),
    ]);
  }
  if (inner instanceof z.ZodRecord) return listSchemaKeyPaths(inner.valueType, [...prefix, "*"]);
  return [];
}

/** Every option of every enum in a schema. */
function listEnumOptions(schema: unknown): string[] {
  let inner = schema;
  while (inner instanceof z.ZodOptional) inner = inner.unwrap();
  if (inner instanceof z.ZodEnum) return inner.options.map(String);
  if (inner instanceof z.ZodObject)
    return Object.values(inner.shape as Record<string, unknown>).flatMap(listEnumOptions);
  if (inner instanceof z.ZodRecord) return listEnumOptions(inner.valueType);
  return [];
}

/** True when `data` has the path; "*" matches any key of a mapping. */
function hasPath(data: unknown, segments: readonly string[]): boolean {
  const [head, ...rest] = segments;
  if (head === undefined) return true;
  if (typeof data !== "object" || data === null) return false;
  const entries = Object.entries(data);
  return head === "*"
    ? entries.some(([, value]) => hasPath(value, rest))
    : entries.some(([key, value]) => key === head && hasPath(value, rest));
}

/** The template with its commented-out example keys ("# key: …") turned back into YAML. */
function uncommentExamples(template: string): string {
  return template
    .split("\n")
    .map((line) => {
      const example = /^# ( *[A-Za-z_][\w.-]*:(?: |$).*)$/.exec(line);
      if (example !== null) return example[1] ?? "";
      return line.startsWith("#") ? "" : line;
    })
    .join("\n");
}

describe("bosun init's bosun.yaml template", () => {
  it("shows every key of the config schema, with valid example values", () => {
    const data: unknown = parse(uncommentExamples(WORKSPACE_CONFIG_TEMPLATE));
    // Strict: a misspelt or removed key in the template fails here too.
    expect(WrittenConfigSchema.safeParse(data).error?.issues ?? []).toEqual([]);
    const keyPaths = listSchemaKeyPaths(WrittenConfigSchema);
    expect(keyPaths.length).toBeGreaterThan(20);
    const missing = keyPaths.filter((segments) => !hasPath(data, segments));
    expect(missing.map((segments) => segments.join("."))).toEqual([]);
  });

  it("names every choice: harnesses for the seats and every enum option (parsers)", () => {
    const options = [...listEnumOptions(WrittenConfigSchema), ...HARNESS_NAMES];
    expect(options).toContain("plain");
    for (const option of options) expect(WORKSPACE_CONFIG_TEMPLATE).toContain(option);
  });

  it("parses as it is written (the commented examples are only comments)", () => {
    const written = WrittenConfigSchema.parse(parse(WORKSPACE_CONFIG_TEMPLATE));
    expect(written.agents).toBeUndefined();
    expect(written.review?.maxRounds).toBe(3);
  });
});
