import { readFile, readdir, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { StateError, UsageError } from "../errors.js";
import { startProcess } from "../proc/run-process.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { PulseClaimSchema } from "../store/schema/pulse-claim.js";
import { claimResource, listClaims, releaseClaim } from "./pulse-claims.js";

const T0 = 1_800_000_000_000;

async function makePaths(): Promise<BosunPaths> {
  return createBosunPaths(await makeTestDir());
}

/** A process that has exited (its pid free) and one that is still running. */
async function makeDeadPid(dir: string): Promise<number> {
  const child = startProcess({ command: process.execPath, args: ["-e", ""], cwd: dir });
  await child.result;
  return child.pid;
}

describe("pulse claims", () => {
  it("gives a free resource to its first claimer and tells the second who holds it", async () => {
    const paths = await makePaths();
    const first = await claimResource(
      paths,
      "port-3000",
      { holder: "w1", ttlSec: 60 },
      { nowMs: T0 },
    );
    expect(first).toMatchObject({
      ok: true,
      isRenewed: false,
      claim: {
        version: 1,
        resource: "port-3000",
        holder: "w1",
        claimedAtMs: T0,
        expiresAtMs: T0 + 60_000,
      },
    });
    const second = await claimResource(
      paths,
      "port-3000",
      { holder: "w2", ttlSec: 60 },
      { nowMs: T0 + 1 },
    );
    expect(second).toMatchObject({ ok: false, holder: "w1" });
    const onDisk = PulseClaimSchema.parse(
      JSON.parse(await readFile(paths.pulse.claimFile("port-3000"), "utf8")),
    );
    expect(onDisk.holder).toBe("w1");
  });

  it("renews the lease when its holder claims again", async () => {
    const paths = await makePaths();
    await claimResource(paths, "db", { holder: "w1", ttlSec: 60 }, { nowMs: T0 });
    const again = await claimResource(
      paths,
      "db",
      { holder: "w1", ttlSec: 60 },
      { nowMs: T0 + 30_000 },
    );
    expect(again).toMatchObject({
      ok: true,
      isRenewed: true,
      claim: { claimedAtMs: T0, expiresAtMs: T0 + 90_000 },
    });
  });

  it("lets an expired lease be taken over", async () => {
    const paths = await makePaths();
    await claimResource(paths, "db", { holder: "w1", ttlSec: 60 }, { nowMs: T0 });
    const taken = await claimResource(
      paths,
      "db",
      { holder: "w2", ttlSec: 60 },
      { nowMs: T0 + 60_000 },
    );
    expect(taken).toMatchObject({ ok: true, tookOverFrom: "w1", claim: { holder: "w2" } });
  });

  it("lets a claim whose holder process died be taken over before it expires, not one whose holder lives", async () => {
    const dir = await makeTestDir();
    const paths = createBosunPaths(dir);
    await claimResource(paths, "live", { holder: "me", pid: process.pid, ttlSec: 3600 });
    expect(await claimResource(paths, "live", { holder: "w2", ttlSec: 60 })).toMatchObject({
      ok: false,
      holder: "me",
    });
    const deadPid = await makeDeadPid(dir);
    await claimResource(paths, "dead", { holder: "gone", pid: deadPid, ttlSec: 3600 });
    expect(await claimResource(paths, "dead", { holder: "w2", ttlSec: 60 })).toMatchObject({
      ok: true,
      tookOverFrom: "gone",
    });
    expect(
      (await listClaims(paths)).map(({ claim, isLive }) => [claim.resource, claim.holder, isLive]),
    ).toEqual([
      ["dead", "w2", true],
      ["live", "me", true],
    ]);
  });

  it("takes over a damaged claim file (it holds nothing)", async () => {
    const paths = await makePaths();
    await claimResource(paths, "db", { holder: "w1", ttlSec: 60 });
    await writeFile(paths.pulse.claimFile("db"), "{ not json");
    expect(await claimResource(paths, "db", { holder: "w2", ttlSec: 60 })).toMatchObject({
      ok: true,
    });
  });

  it("gives a free resource to exactly one of many claimers at once", async () => {
    const paths = await makePaths();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        claimResource(paths, "slot", { holder: `w${n}`, ttlSec: 60 }),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    const winner = results.find((result) => result.ok)?.claim.holder;
    for (const result of results.filter((result) => !result.ok))
      expect(result).toMatchObject({ holder: winner });
  });

  it("gives a lapsed claim to exactly one of two racing takers: the slower never removes the faster's claim", async () => {
    const paths = await makePaths();
    await claimResource(paths, "slot", { holder: "old", ttlSec: 1 }, { nowMs: T0 });
    const later = T0 + 5_000;
    let rival: Awaited<ReturnType<typeof claimResource>> | undefined;
    // A finds the lapsed claim; before it moves it aside, B takes it over whole.
    const slow = await claimResource(
      paths,
      "slot",
      { holder: "A", ttlSec: 60 },
      {
        nowMs: later,
        onTakeover: async (step) => {
          if (step === "lapsed-found" && rival === undefined)
            rival = await claimResource(
              paths,
              "slot",
              { holder: "B", ttlSec: 60 },
              { nowMs: later },
            );
        },
      },
    );
    expect(rival).toMatchObject({ ok: true, tookOverFrom: "old", claim: { holder: "B" } });
    expect(slow).toMatchObject({ ok: false, holder: "B" });
    expect(await listClaims(paths, later)).toMatchObject([
      { claim: { holder: "B" }, isLive: true },
    ]);
    expect(await readdir(paths.pulse.claimsDir)).toEqual(["slot.json"]);
  });

  it("releases only for its holder; nothing to release is no error", async () => {
    const paths = await makePaths();
    await claimResource(paths, "db", { holder: "w1", ttlSec: 60 });
    const wrong = releaseClaim(paths, "db", "w2");
    await expect(wrong).rejects.toBeInstanceOf(StateError);
    await expect(wrong).rejects.toThrow(/claimed by "w1", not "w2"/);
    expect(await listClaims(paths)).toMatchObject([{ claim: { holder: "w1" } }]);
    expect(await releaseClaim(paths, "db", "w1")).toEqual({ isReleased: true });
    expect(await releaseClaim(paths, "db", "w1")).toEqual({ isReleased: false });
    expect(await readdir(paths.pulse.claimsDir)).toEqual([]);
  });

  it("needs a holder and a positive lease", async () => {
    const paths = await makePaths();
    await expect(claimResource(paths, "db", { holder: " ", ttlSec: 60 })).rejects.toBeInstanceOf(
      UsageError,
    );
    await expect(claimResource(paths, "db", { holder: "w", ttlSec: 0 })).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});
