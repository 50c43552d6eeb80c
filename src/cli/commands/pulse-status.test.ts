import { describe, expect, it } from "vitest";
import { makePulseEnv, writeHeldDecision } from "../../../test/helpers/pulse-held.js";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { formatPulseStatus, readPulseStatus } from "./pulse-status.js";

describe("formatPulseStatus", () => {
  it("shows what each held move would do, not only its kind, for the human who approves it", async () => {
    const env = makePulseEnv(await makeTestDir());
    await writeHeldDecision(env);
    const text = formatPulseStatus(await readPulseStatus(env));
    expect(text).toContain("#1 delete old-a.txt — awaiting: ");
    expect(text).toContain("#2 delete old-b.txt — awaiting: ");
  });
});
