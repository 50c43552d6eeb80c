/** What a command reads from stdin when given `-` (`echo more | bosun _ answer ID -`). */
import { UsageError } from "../errors.js";

/**
 * All of stdin as UTF-8 text, refused once it passes `maxBytes`: `tooLong` says what the input
 * is for and what to do instead (an answer is short; a long message belongs in a file).
 */
export async function readStdinText(maxBytes: number, tooLong: string): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    bytes += buffer.length;
    if (bytes > maxBytes) throw new UsageError(tooLong);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
