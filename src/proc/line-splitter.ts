/**
 * LF-only line framing for child output. Agent JSONL may contain U+2028 or lone CR inside
 * strings, which `readline` would split on; we split on "\n" only and decode UTF-8 safely.
 */
import { StringDecoder } from "node:string_decoder";

/** Splits a byte stream into lines; feed chunks with `push`, then call `end` once. */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";

  /** Returns the complete lines in this chunk (without the trailing "\n" or "\r\n"). */
  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    // Split only the new text: re-splitting a long unterminated line on every chunk is quadratic.
    const parts = text.split("\n");
    const rest = parts.pop() ?? "";
    if (parts.length === 0) {
      this.pending += rest;
      return [];
    }
    parts[0] = this.pending + (parts[0] ?? "");
    this.pending = rest;
    return parts.map(stripCr);
  }

  /** Returns the last unterminated line, if any. */
  end(): string[] {
    this.pending += this.decoder.end();
    const rest = this.pending;
    this.pending = "";
    return rest.length > 0 ? [stripCr(rest)] : [];
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
