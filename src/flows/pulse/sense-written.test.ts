/** The sense step runs sensors as `writeSensor` (human/pulse-files.ts) writes them, header and all. */
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { writeSensor } from "../../human/pulse-files.js";
import { createBosunPaths } from "../../store/paths.js";
import { readSensors } from "./sense.js";

describe("sensors written by writeSensor", () => {
  it("are run by the sense step, their interval header read", async () => {
    const dir = await makeTestDir();
    const paths = createBosunPaths(dir);
    await writeSensor(paths, "slow", "#!/bin/sh\necho '{\"signal\": 1}'\n", 300);
    await writeSensor(paths, "bare", "#!/bin/sh\necho '{\"signal\": 2}'\n");
    const readings = await readSensors({ sensorsDir: paths.pulse.sensorsDir, cwd: dir });
    expect(readings).toMatchObject([
      { status: "ok", name: "bare", signal: 2 },
      { status: "ok", name: "slow", signal: 1, intervalSec: 300 },
    ]);
    expect(readings[0]?.intervalSec).toBeUndefined();
  });
});
