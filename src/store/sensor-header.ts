/**
 * A sensor's `# bosun:interval=<s>` header: its reading stays fresh that many seconds across
 * beats. Read by the sense step, written and shown by the verbs that write sensors.
 */
import { open } from "node:fs/promises";

/** The header line (anywhere near the top of the file, on a line of its own). */
export const INTERVAL_HEADER = /^#\s*bosun:interval=(\d+(?:\.\d+)?)\s*$/m;

/** How much of a sensor's file is searched for the header. */
const HEADER_SCAN_BYTES = 4096;

/** The header's seconds, or undefined when the file has none (or a non-positive one). */
export async function readIntervalHeader(file: string): Promise<number | undefined> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(HEADER_SCAN_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_SCAN_BYTES, 0);
    const match = INTERVAL_HEADER.exec(buffer.subarray(0, bytesRead).toString("utf8"));
    const seconds = match?.[1] === undefined ? Number.NaN : Number(match[1]);
    return seconds > 0 ? seconds : undefined;
  } finally {
    await handle.close();
  }
}
