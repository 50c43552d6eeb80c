import { describe, expect, it } from "vitest";
import { LineSplitter } from "./line-splitter.js";

/** Feeds every chunk, then ends; returns all lines in order. */
function splitAll(chunks: ReadonlyArray<Buffer | string>): string[] {
  const splitter = new LineSplitter();
  const lines = chunks.flatMap((chunk) => splitter.push(chunk));
  return [...lines, ...splitter.end()];
}

describe("LineSplitter", () => {
  it("splits on LF and returns the unterminated rest only at end()", () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from("a\nb\npart"))).toEqual(["a", "b"]);
    expect(splitter.push(Buffer.from("ial"))).toEqual([]);
    expect(splitter.end()).toEqual(["partial"]);
    expect(splitter.end()).toEqual([]);
  });

  it("strips the CR of CRLF but keeps a lone CR inside a line", () => {
    expect(splitAll([Buffer.from("one\r\ntwo\rstill two\nthree\r")])).toEqual([
      "one",
      "two\rstill two",
      "three",
    ]);
  });

  it("keeps empty lines between consecutive LFs", () => {
    expect(splitAll([Buffer.from("a\n\nb\n")])).toEqual(["a", "", "b"]);
  });

  it("decodes a multibyte UTF-8 character split across chunks", () => {
    const bytes = Buffer.from('{"t":"héllo €🚀"}\n', "utf8");
    // Cut inside "é" (2 bytes), "€" (3 bytes) and "🚀" (4 bytes).
    const e = bytes.indexOf(0xc3) + 1;
    const euro = bytes.indexOf(0xe2) + 2;
    const rocket = bytes.indexOf(0xf0) + 3;
    const chunks = [
      bytes.subarray(0, e),
      bytes.subarray(e, euro),
      bytes.subarray(euro, rocket),
      bytes.subarray(rocket),
    ];
    expect(splitAll(chunks)).toEqual(['{"t":"héllo €🚀"}']);
  });

  it("does not split on U+2028 / U+2029 inside a line (readline would)", () => {
    const line = '{"text":"a\u2028b\u2029c"}';
    expect(splitAll([Buffer.from(`${line}\nnext\n`, "utf8")])).toEqual([line, "next"]);
  });

  it("accepts string chunks too", () => {
    expect(splitAll(["x\ny", "z\n"])).toEqual(["x", "yz"]);
  });
});
