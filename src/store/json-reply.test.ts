import { describe, expect, it } from "vitest";
import { findJsonSyntaxError, getLineColumn, parseJsonReply } from "./json-reply.js";

describe("parseJsonReply", () => {
  it("takes a bare object, and one with whitespace around it", () => {
    expect(parseJsonReply('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonReply('\n  {"a": [1, 2]}\n')).toEqual({ ok: true, value: { a: [1, 2] } });
  });

  it("takes the one ```json block of a reply with prose around it", () => {
    const reply = 'Here is the plan:\n\n```json\n{"goal": "g"}\n```\n\nTell me if it works.';
    expect(parseJsonReply(reply)).toEqual({ ok: true, value: { goal: "g" } });
  });

  it("takes an unlabelled fence, but not a fence of another language", () => {
    expect(parseJsonReply('Plan:\n```\n{"a": 1}\n```')).toEqual({ ok: true, value: { a: 1 } });
    // The ts block is ignored; the object inside prose is found on its own.
    const reply = 'Code:\n```ts\nconst x = 1;\n```\nand {"a": 2} is the answer';
    expect(parseJsonReply(reply)).toEqual({ ok: true, value: { a: 2 } });
  });

  it("takes a single object inside prose", () => {
    expect(parseJsonReply('The plan is {"a": {"b": 1}}, as you asked.')).toEqual({
      ok: true,
      value: { a: { b: 1 } },
    });
  });

  it("refuses an empty reply and a reply without an object", () => {
    expect(parseJsonReply("  \n")).toEqual({
      ok: false,
      error: "the reply is empty: send one JSON object",
    });
    expect(parseJsonReply("I could not make a plan.")).toEqual({
      ok: false,
      error: 'the reply holds no JSON object (no "{" in it): send one JSON object and nothing else',
    });
  });

  it("refuses two ```json blocks, naming their lines", () => {
    expect(parseJsonReply('```json\n{}\n```\nor\n```json\n{"a":1}\n```')).toEqual({
      ok: false,
      error: "the reply has 2 ```json blocks (at lines 1, 5): send exactly one JSON object",
    });
  });

  it("says when a ```json block was never closed", () => {
    expect(parseJsonReply('Plan:\n```json\n{"goal": "g",\n"tasks": [')).toEqual({
      ok: false,
      error:
        "the ```json block that opens at line 2 is never closed (was the reply cut off?): send the whole JSON object again",
    });
  });

  it("places a syntax error at its line and column in the whole reply, with the line", () => {
    const reply = 'Sure.\n```json\n{\n  "goal": "g",\n  "tasks": [1, 2,]\n}\n```';
    expect(parseJsonReply(reply)).toEqual({
      ok: false,
      error:
        'the ```json block is not valid JSON at line 5, column 18: trailing comma before "]": remove the last ",". Near: `"tasks": [1, 2,]`',
    });
  });

  it("names the part of the reply the JSON was taken from", () => {
    expect(parseJsonReply('{"a": }')).toMatchObject({
      error: expect.stringMatching(/^the reply is not valid JSON at line 1, column 7: /) as unknown,
    });
    expect(parseJsonReply('so {"a": } ok')).toMatchObject({
      error: expect.stringMatching(
        /^the JSON object in the reply is not valid JSON at line 1, column 10: /,
      ) as unknown,
    });
  });
});

describe("findJsonSyntaxError", () => {
  it("finds nothing wrong in valid JSON, however deep", () => {
    const valid = [
      "{}",
      "[]",
      '{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9\\""], "b": {}}',
      " 0 ",
      '"s"',
      "[".repeat(50_000) + "]".repeat(50_000),
    ];
    for (const text of valid) {
      expect(() => {
        JSON.parse(text);
      }).not.toThrow();
      expect(findJsonSyntaxError(text)).toBeUndefined();
    }
  });

  it.each([
    ['{"a": 1,}', 8, 'trailing comma before "}": remove the last ","'],
    ["[1,]", 3, 'trailing comma before "]": remove the last ","'],
    ['{"a": 1 "b": 2}', 8, 'expected "," or "}" after a property value, found "\\""'],
    ["[1 2]", 3, 'expected "," or "]" after an array element, found "2"'],
    ["{a: 1}", 1, 'expected a property name in double quotes, found "a"'],
    ["{'a': 1}", 1, "property names must be in double quotes, not single"],
    ["{\"a\": 'x'}", 6, "strings must be in double quotes, not single"],
    ['{"a" 1}', 5, 'expected ":" after a property name, found "1"'],
    ['{"a": 1} // done', 9, "comments are not allowed in JSON"],
    ['{"a": 1} {"b": 2}', 9, 'unexpected "{" after the end of the JSON value'],
    ['{"a": undefined}', 6, 'expected a JSON value, found "undefined"'],
    ['{"a": NaN}', 6, 'expected a JSON value, found "NaN"'],
    ['{"a": 01}', 6, "invalid number (no leading zeros, no leading + or ., no NaN or Infinity)"],
    ['{"a": .5}', 6, 'expected a JSON value, found "."'],
    [
      '{"a": "x\ny"}',
      8,
      'a raw line break or control character inside a string: write it as "\\n" or "\\t"',
    ],
    ['{"a": "\\x"}', 7, 'invalid escape "\\x" in a string'],
    ['{"a": "\\u12"}', 7, 'a "\\u" escape needs four hex digits'],
    ['{"a": "open', 11, "the string opened at line 1, column 7 is never closed"],
    [
      '{"a": [1, 2',
      11,
      'the JSON ends before the "[" opened at line 1, column 7 is closed (was it cut off?)',
    ],
    ["", 0, "the text ends before any JSON value"],
  ])("%j: at %i, %s", (text, offset, message) => {
    expect(() => {
      JSON.parse(text);
    }).toThrow();
    expect(findJsonSyntaxError(text)).toEqual({ offset, message });
  });
});

describe("getLineColumn", () => {
  it("counts lines and columns from 1", () => {
    expect(getLineColumn("ab\ncd\n", 0)).toEqual({ line: 1, column: 1 });
    expect(getLineColumn("ab\ncd\n", 4)).toEqual({ line: 2, column: 2 });
    expect(getLineColumn("ab\ncd\n", 6)).toEqual({ line: 3, column: 1 });
  });
});
