/**
 * `bosun pulse init`: what a fresh loop needs to start without an interview — a starter
 * playbook, a setup goal, one sample sensor (the repository's HEAD) and a real pending setup ask,
 * so a client waiting on asks (`bosun client`, `bosun _ wait --only-asks`) wakes at once.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { isNodeError } from "../../errors.js";
import { createAskId, listAsks, writeAsk } from "../../human/asks.js";
import { writePlaybook } from "../../human/pulse-files.js";
import { PULSE_ASK_RUN_ID } from "../../store/schema/asks.js";
import type { CliContext } from "../context.js";

const STARTER_PLAYBOOK = `# Playbook

What this loop cares about, in priority order, and the lines it must not cross. The pulse's
brain reads this every decision; you (or the loop, with your approval) edit it.

## Priorities
1. Keep the main branch green: a failing test run is the first thing to fix.
2. Work toward the goals in goals/, one move at a time.
3. Ask a human when a choice is theirs to make; never guess.

## Guardrails
- Never merge, deploy or delete on your own: propose it, a human approves.
- Prefer a review run (bosun review) for a small change, a team run for a large one.

## Ask first
Lines like the next one make a kind of move wait for a human in every approval mode.
ask-first: run_command: npm publish
`;

const SETUP_GOAL = `# Setup

The loop has just been set up. Desired state: a human has written the real goals in
.bosun/pulse/goals/ (one file per desired state), adjusted PLAYBOOK.md, and added the sensors
the goals need in .bosun/pulse/sensors/ (executables printing one JSON object {signal, detail}).
When that is so, archive this goal.
`;

/** A sensor every git repository can use: the checked-out commit, and whether the tree is dirty. */
const HEAD_SENSOR = `#!/bin/sh
# bosun:interval=30
# The checked-out commit and whether the tree has uncommitted changes.
head=$(git rev-parse HEAD 2>/dev/null || echo none)
dirty=$(git status --porcelain 2>/dev/null | grep -v '^?? .bosun/' | wc -l | tr -d ' ')
subject=$(git log -1 --format=%s 2>/dev/null | tr '"\\\\' "'/")
printf '{"signal":{"head":"%s","dirty":%s},"detail":{"subject":"%s"}}\\n' "$head" "$dirty" "$subject"
`;

/** Writes the starter files (existing ones kept unless --force) and the setup ask. */
export async function runPulseInit(ctx: CliContext, options: { force?: boolean }): Promise<number> {
  const paths = await ctx.getPaths();
  const { pulse } = paths;
  const made: string[] = [];
  const kept: string[] = [];
  const write = async (file: string, text: string, mode?: number): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await writeFile(file, text, { flag: options.force === true ? "w" : "wx" });
      if (mode !== undefined) await chmod(file, mode);
      made.push(path.relative(paths.root, file));
    } catch (error) {
      if (!isNodeError(error) || error.code !== "EEXIST") throw error;
      kept.push(path.relative(paths.root, file));
    }
  };
  if (options.force === true) {
    // The playbook a human wrote is never lost: the version replaced goes to playbook-history/.
    await writePlaybook(paths, STARTER_PLAYBOOK);
    made.push(path.relative(paths.root, pulse.playbookFile));
  } else await write(pulse.playbookFile, STARTER_PLAYBOOK);
  await write(pulse.goalFile("setup"), SETUP_GOAL);
  await write(path.join(pulse.sensorsDir, "git-head"), HEAD_SENSOR, 0o755);
  const open = await listAsks(paths, true);
  let askId = open.find(
    (item) => item.ask.runId === PULSE_ASK_RUN_ID && item.ask.context.startsWith("Setup"),
  )?.ask.id;
  if (askId === undefined) {
    askId = createAskId();
    await writeAsk(paths, {
      version: 1,
      id: askId,
      runId: PULSE_ASK_RUN_ID,
      createdAt: new Date().toISOString(),
      question:
        "The pulse is set up with a starter playbook and a setup goal. What should it work toward? Answer in your own words; the brain turns the answer into goals.",
      options: [],
      context: `Setup: edit ${path.relative(paths.root, pulse.playbookFile)} and ${path.relative(paths.root, pulse.goalsDir)}/ directly if you prefer, then answer "done".`,
    });
    made.push(`ask ${askId}`);
  }
  if (ctx.isJson) {
    process.stdout.write(`${JSON.stringify({ made, kept, setupAskId: askId }, null, 2)}\n`);
    return 0;
  }
  for (const item of made) process.stdout.write(`created ${item}\n`);
  for (const item of kept) process.stdout.write(`kept    ${item} (--force overwrites)\n`);
  process.stdout.write(
    `\nNext: answer the setup ask (bosun answer ${askId} "…", or bosun client), check the brain's\nprompt with "bosun pulse once --dry-run", then "bosun pulse up".\n`,
  );
  return 0;
}
