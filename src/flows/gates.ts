/**
 * Gates: small, reusable checks on what a worker produced, cheapest first. Each builder returns a
 * `Gate` for the round primitive; a failed gate becomes the next round's fix list (or, for a gate
 * that says so, an escalation to a human) without spending a verifier call.
 */
import { existsSync } from "node:fs";
import { getRoundFile, type RoundScope, type RunContext } from "./flow-context.js";
import type { Gate } from "./round.js";
import { discardChangesSince, reconcileHead } from "./round-head.js";
import type { WorkerProduction } from "./task-round.js";
import { getVerifyPidFile, runVerifyCommand } from "./verify.js";

/** The worker's report must be valid; files it claims that git did not see are noted. */
export function createReportGate(): Gate<WorkerProduction> {
  return {
    name: "report",
    run: (production) => {
      if (!production.report.isValid) {
        const reason = `Your work report was rejected: ${production.report.error}. Write a valid one to ${production.reportFile}.`;
        return Promise.resolve({
          passed: false,
          detail: production.report.error,
          fixItems: [{ source: "report", reason }],
        });
      }
      const claimed = production.report.report.files_changed;
      // Without git (a pipeline's --no-git) nothing was measured: there is nothing to compare.
      const unmeasured =
        production.commit === ""
          ? []
          : claimed.filter((file) => !production.filesChanged.includes(file));
      const note =
        unmeasured.length === 0
          ? ""
          : `; report claims files git did not see changed: ${unmeasured.join(", ")}`;
      return Promise.resolve({ passed: true, detail: `valid work report${note}`, fixItems: [] });
    },
  };
}

/** Something must have changed: git, not the report, is asked. */
export function createNoopGate(round: number): Gate<WorkerProduction> {
  return {
    name: "noop",
    run: (production) =>
      Promise.resolve(
        production.filesChanged.length > 0
          ? {
              passed: true,
              detail: `${production.filesChanged.length} file(s) changed: ${production.filesChanged.slice(0, 10).join(", ")}`,
              fixItems: [],
            }
          : {
              passed: false,
              detail: "the worker changed nothing (git shows no diff)",
              fixItems: [
                {
                  source: "noop",
                  reason: `Round ${round} changed no file (git shows no diff). Make the change the task card asks for.`,
                },
              ],
            },
      ),
  };
}

/**
 * The project's own test command, run in the scope's working tree on the checkpoint. What the
 * tests leave behind is discarded (saved first): it must not pass for the worker's change next round.
 */
export function createVerifyGate(
  ctx: RunContext,
  scope: RoundScope,
  command: string,
): Gate<WorkerProduction> {
  return {
    name: "verify",
    run: async (production) => {
      const logFile = getRoundFile(ctx, scope, "verify.log");
      await reconcileHead(ctx, scope, "gates", {
        checkpoint: production.commit,
        // A verify run killed with bosun left its leftovers; they are discarded after this one.
        isDirtyExpected: existsSync(getVerifyPidFile(logFile)),
      });
      const outcome = await runVerifyCommand(ctx, scope, command, logFile);
      await discardChangesSince(
        ctx,
        scope,
        "The verify command",
        " Add such outputs to .gitignore.",
      );
      return outcome;
    },
  };
}
