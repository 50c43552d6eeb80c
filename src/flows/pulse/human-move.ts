/**
 * A move submitted through the contract (`bosun _ run -- CMD`) rather than by the brain: it
 * becomes a decision of its own, gated exactly as the brain's moves are (an agent concierge
 * running commands gets no more than the brain would), and is carried out the same way.
 */
import { readPlaybook } from "../../human/pulse-files.js";
import { createDecisionId, writeDecisionRecord } from "../../store/pulse-store.js";
import type { PulseAction } from "../../store/schema/pulse-decision.js";
import type { PulseDecisionRecord } from "../../store/schema/pulse-record.js";
import { createAskId } from "../../human/asks.js";
import { writeApprovalAsk } from "./beat.js";
import { withBeatLock } from "./beat-lock.js";
import { gateAction, readPlaybookMarks } from "./gate.js";
import type { PulseEnv } from "./pulse-env.js";
import { runReadyActions } from "./settle.js";

/** Gates a move from a human's channel, records it, and runs it now when the gate lets it. */
export async function submitHumanMove(
  env: PulseEnv,
  action: PulseAction,
  why: string,
): Promise<PulseDecisionRecord> {
  return withBeatLock(env, async () => {
    const playbook = await readPlaybook(env.paths);
    const gate = gateAction(action, {
      mode: env.config.pulse.approval,
      allow: env.config.pulse.allow,
      askFirst: readPlaybookMarks(playbook),
    });
    const nowMs = env.now();
    const status =
      gate.verdict === "run" ? "pending" : gate.verdict === "ask" ? "awaiting" : "blocked";
    const record: PulseDecisionRecord = {
      version: 1,
      id: createDecisionId(new Date(nowMs)),
      createdAt: new Date(nowMs).toISOString(),
      source: "human",
      worldHash: "",
      critique: why,
      ...(status === "awaiting" ? { askId: createAskId(new Date(nowMs)) } : {}),
      actions: [{ index: 1, action, gate: gate.verdict, gateReason: gate.reason, status }],
    };
    await writeDecisionRecord(env.paths, record);
    if (record.askId !== undefined) await writeApprovalAsk(env, record, record.actions);
    return runReadyActions(env, record);
  });
}
