/**
 * Claims: leases on shared resources, one file per resource under `.bosun/pulse/claims/`. A
 * claim is created create-only (a temp file hard-linked to its name), so of two claimers one
 * wins; a lapsed lease (past its expiry, or its holder's process dead) is taken over by moving
 * it aside first and checking that what moved is still lapsed, so two racing takers never both
 * win and a live claim is never removed.
 */
import { randomBytes } from "node:crypto";
import { link, readdir, rename, rm } from "node:fs/promises";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { isSameLiveProcess } from "../proc/liveness.js";
import { readStartTime } from "../proc/proc-scan.js";
import { createStateFsError } from "../store/fs-errors.js";
import {
  parseJsonText,
  readTextOrNull,
  writeTextAtomic,
  writeTextIfAbsent,
} from "../store/json-file.js";
import type { BosunPaths } from "../store/paths.js";
import { PulseClaimSchema, type PulseClaim } from "../store/schema/pulse-claim.js";

/** A claim's lease when none is given: long enough for a task, short enough to free a forgotten one. */
export const DEFAULT_CLAIM_TTL_SEC = 1800;

/** Takeovers tried before giving up when other claimers keep taking the resource at once. */
const MAX_ATTEMPTS = 5;

/** Who claims, and for how long. */
export interface ClaimRequest {
  /** The holder's name (a worker id, a session). */
  holder: string;
  /** A process whose death frees the claim early (the holder's own, long-lived). */
  pid?: number | undefined;
  /** The lease: the claim lapses this long after it is taken or renewed. */
  ttlSec: number;
}

/** The outcome of a claim. */
export type ClaimResult =
  | {
      ok: true;
      /** The claim as written. */
      claim: PulseClaim;
      /** True when the holder already held it and the lease was renewed. */
      isRenewed: boolean;
      /** The holder of the lapsed claim this one replaced. */
      tookOverFrom?: string;
    }
  | {
      ok: false;
      /** Who holds it. */
      holder: string;
      /** Their claim. */
      claim: PulseClaim;
    };

/** A claim as listed. */
export interface ClaimStatus {
  /** The claim file's content. */
  claim: PulseClaim;
  /** False once it has lapsed (expired, or its process died): the next claimer takes it. */
  isLive: boolean;
}

/** Where a takeover has got to, for the test seam. */
export type ClaimTakeoverStep = "lapsed-found" | "moved-aside";

/** Test seams. */
export interface ClaimOptions {
  /** The time (tests). */
  nowMs?: number;
  /** Awaited at each step of a takeover, so a test can run a rival claimer exactly there. */
  onTakeover?: (step: ClaimTakeoverStep) => Promise<void>;
}

/**
 * Claims `resource` for `request.holder`: takes it when free or lapsed, renews it when the
 * holder holds it already, and otherwise reports the live holder.
 */
export async function claimResource(
  paths: BosunPaths,
  resource: string,
  request: ClaimRequest,
  options: ClaimOptions = {},
): Promise<ClaimResult> {
  if (request.holder.trim() === "")
    throw new UsageError(`A claim of "${resource}" needs a holder name (--holder).`);
  if (!(Number.isFinite(request.ttlSec) && request.ttlSec > 0))
    throw new UsageError(`A claim of "${resource}" needs a lease (--ttl) of more than 0 seconds.`);
  const file = paths.pulse.claimFile(resource);
  let tookOverFrom: string | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const nowMs = options.nowMs ?? Date.now();
    const claim = createClaim(resource, request, nowMs);
    if (await writeTextIfAbsent(file, formatClaim(claim)))
      return {
        ok: true,
        claim,
        isRenewed: false,
        ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
      };
    const existing = await readClaimFile(file);
    // Released between the link and the read: try again.
    if (existing === undefined) continue;
    if (existing !== null && isClaimLive(existing, nowMs)) {
      if (existing.holder !== request.holder)
        return { ok: false, holder: existing.holder, claim: existing };
      // A live claim is not taken over, so renewing it in place races with no rival (short of
      // one that judged it lapsed in the very millisecond it expired).
      const renewed = { ...claim, claimedAtMs: existing.claimedAtMs, token: existing.token };
      await writeTextAtomic(file, formatClaim(renewed));
      return { ok: true, claim: renewed, isRenewed: true };
    }
    await options.onTakeover?.("lapsed-found");
    tookOverFrom = existing?.holder ?? "(a damaged claim file)";
    await removeLapsedClaim(file, options);
  }
  throw new StateError(
    `Could not claim "${resource}" (${file}): other claimers kept taking it at the same time. Try again.`,
  );
}

/**
 * Releases `resource` if `holder` holds it; `isReleased` is false when nobody held it. A
 * StateError when someone else does (their claim stays).
 */
export async function releaseClaim(
  paths: BosunPaths,
  resource: string,
  holder: string,
): Promise<{ isReleased: boolean }> {
  const file = paths.pulse.claimFile(resource);
  const aside = createAsideName(file);
  try {
    await rename(file, aside);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return { isReleased: false };
    throw createStateFsError("write", file, error);
  }
  try {
    const moved = await readClaimFile(aside);
    if (moved === null || moved === undefined || moved.holder === holder)
      return { isReleased: true };
    // Someone else's: put it back as it was.
    await putBack(aside, file, moved);
    throw new StateError(
      `"${resource}" is claimed by ${JSON.stringify(moved.holder)}, not ${JSON.stringify(holder)} (${file}); only its holder releases it.`,
    );
  } finally {
    await rm(aside, { force: true });
  }
}

/** Every claim, sorted by resource, with whether it still holds. */
export async function listClaims(
  paths: BosunPaths,
  nowMs: number = Date.now(),
): Promise<ClaimStatus[]> {
  let names: string[];
  try {
    names = await readdir(paths.pulse.claimsDir);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", paths.pulse.claimsDir, error);
  }
  const claims: ClaimStatus[] = [];
  for (const name of names.filter((entry) => entry.endsWith(".json")).sort()) {
    const file = paths.pulse.claimFile(name.slice(0, -".json".length));
    const text = await readTextOrNull(file);
    // Released between the listing and the read.
    if (text === null) continue;
    const claim = parseJsonText(text, PulseClaimSchema, file);
    claims.push({ claim, isLive: isClaimLive(claim, nowMs) });
  }
  return claims;
}

/** True while a claim holds: not expired, and its process (when it names one) still the same and alive. */
export function isClaimLive(claim: PulseClaim, nowMs: number): boolean {
  if (nowMs >= claim.expiresAtMs) return false;
  if (claim.pid === undefined) return true;
  return isSameLiveProcess({ pid: claim.pid, startTime: claim.startTime });
}

function createClaim(resource: string, request: ClaimRequest, nowMs: number): PulseClaim {
  const startTime = request.pid === undefined ? undefined : readStartTime(request.pid);
  return {
    version: 1,
    resource,
    holder: request.holder,
    ...(request.pid === undefined ? {} : { pid: request.pid }),
    ...(startTime === undefined ? {} : { startTime }),
    token: randomBytes(8).toString("hex"),
    claimedAtMs: nowMs,
    expiresAtMs: nowMs + Math.round(request.ttlSec * 1000),
  };
}

function formatClaim(claim: PulseClaim): string {
  return `${JSON.stringify(PulseClaimSchema.parse(claim), null, 2)}\n`;
}

/**
 * The claim in `file`: undefined when there is none, null when the file is no claim (damaged or
 * hand-written wrongly; it holds nothing and is taken over like a lapsed one).
 */
async function readClaimFile(file: string): Promise<PulseClaim | null | undefined> {
  const text = await readTextOrNull(file);
  if (text === null) return undefined;
  try {
    return parseJsonText(text, PulseClaimSchema, file);
  } catch (error) {
    if (error instanceof StateError) return null;
    throw error;
  }
}

/**
 * Removes a claim judged lapsed without ever removing a live one: between the judgement and the
 * removal a rival may have taken it over, so the file is moved aside under a unique name, and
 * put back if what moved is live after all.
 */
async function removeLapsedClaim(file: string, options: ClaimOptions): Promise<void> {
  const aside = createAsideName(file);
  try {
    await rename(file, aside);
  } catch (error) {
    // Gone already: a rival removed the lapsed claim; the caller links its own again.
    if (isNodeError(error) && error.code === "ENOENT") return;
    throw createStateFsError("write", file, error);
  }
  try {
    await options.onTakeover?.("moved-aside");
    const moved = await readClaimFile(aside);
    if (moved === null || moved === undefined || !isClaimLive(moved, options.nowMs ?? Date.now()))
      return;
    await putBack(aside, file, moved);
  } finally {
    await rm(aside, { force: true });
  }
}

/** Links a live claim moved aside back to its name; if a third claimer got in meanwhile, says so. */
async function putBack(aside: string, file: string, moved: PulseClaim): Promise<void> {
  try {
    await link(aside, file);
  } catch (error) {
    if (!isNodeError(error) || error.code !== "EEXIST")
      throw createStateFsError("write", file, error);
    throw new StateError(
      `The claim ${file} was taken by two holders at once (${JSON.stringify(moved.holder)} and another) while a lapsed claim was replaced. Release one of them with "bosun _ unclaim", then claim again.`,
    );
  }
}

function createAsideName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString("hex")}.aside`;
}
