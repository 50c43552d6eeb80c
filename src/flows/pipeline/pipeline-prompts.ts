/**
 * The prompts of a pipeline's pairs. A producer gets the whole context in its first iteration
 * (and whenever its session cannot be resumed); a resumed producer gets only what is new — the
 * verifier's verdict, the fix list, the ledger. A verifier always starts fresh and sees only the
 * request, the ledger, its pair's checklist and the real diff, never the producer's session.
 * Every prompt goes to the agent as a file, never on argv.
 */
import type { FixItem } from "../../store/schema/reports.js";
import type { Phase, PhasePlan, PipelinePair } from "../../store/schema/pipeline.js";
import { formatFixList } from "../prompts.js";
import type { PipelineStage } from "./pipeline-next.js";

/** What every prompt of one iteration draws on. */
export interface IterationContext {
  /** The stage. */
  stage: PipelineStage;
  /** Iteration number and the most a stage may take. */
  iteration: number;
  maxIterations: number;
  /** The task id (the work report's task_id). */
  taskId: string;
  /** The working directory. */
  cwd: string;
  /** request.md, as given. */
  request: string;
  /** decisions.md ("" when empty). */
  ledger: string;
  /** .bosun/intelligence.md, when `bosun learn` wrote one. */
  intelligence: string | null;
  /** The phase plan, once planned (absent without a plan pair). */
  plan?: PhasePlan;
  /** The stage's phase of the plan (implement, test in multi mode). */
  phase?: Phase;
  /** The project's test command ("" for none). */
  verify: string;
  /** True with --no-git. */
  isGitless: boolean;
  /** What the previous iteration left to fix (the verifier's missing items, failed gates). */
  fixItems: readonly FixItem[];
  /** A human's note given with an answer since. */
  note?: string;
  /** Where the producer writes its work report. */
  reportFile: string;
  /** Where the plan and audit producers write their document. */
  artifactFile?: string;
}

const PRODUCER_DUTIES: Record<PipelinePair, string> = {
  plan: "Turn the request into a phase plan: small phases, each implemented and tested on its own, in dependency order, each with acceptance criteria a verifier can check by reading the code and running the tests. Do not change the project's files in this pair.",
  implement:
    "Implement the phase below, and only it: the code (and the minimal tests that the code needs to build) that meets every acceptance criterion. Keep the project's existing tests passing.",
  test: "Write or extend automated tests that prove every acceptance criterion of the phase below, run them, and make them pass. Change product code only to fix a real bug a test exposes, and say so in your report.",
  audit:
    "Audit the delivery: compare the request and every clarification in the ledger with what the repository now does. List what was delivered, and every material gap (asked for, not delivered). Do not change the project's files in this pair.",
};

const VERIFIER_CHECKLISTS: Record<PipelinePair, string[]> = {
  plan: [
    "The plan covers the whole request and every clarification in the ledger; nothing asked for is left out, nothing unasked is added.",
    "Each phase is small enough to implement and test on its own, and `depends_on` orders them so each builds on what is done.",
    "Each acceptance criterion is checkable by reading the code or running a test.",
  ],
  implement: [
    "Every acceptance criterion of the phase is met by the diff below (not by the producer's report).",
    "The change stays in the phase's scope, and the project's tests pass (see the verify command's result).",
  ],
  test: [
    "There is an automated test for every acceptance criterion of the phase, and it would fail without the feature.",
    "The tests pass (see the verify command's result) and do not test the implementation's details only.",
  ],
  audit: [
    "Every gap the audit names is real and material: asked for in the request or the ledger, and not delivered.",
    "Nothing delivered is called missing, and nothing missing is called delivered; the revised request names exactly the gaps.",
  ],
};

/** The producer's whole prompt: everything it needs, as for a fresh session. */
export function buildProducerPrompt(context: IterationContext): string {
  const { stage } = context;
  return [
    `You are the PRODUCER of the ${stage.pair} pair of a bosun pipeline, ${describeStage(context)}.`,
    `You work in ${context.cwd}.${context.isGitless ? " It is not checkpointed with git: your changes on disk are the delivery." : " bosun commits what you leave as its checkpoint; you may commit too."}`,
    "",
    `## Your job\n${PRODUCER_DUTIES[stage.pair]}`,
    formatCommonSections(context),
    formatProducerOutputs(context),
  ].join("\n");
}

/** A resumed producer's prompt: only what changed since its last iteration. */
export function buildProducerContinuation(context: IterationContext): string {
  return [
    `Iteration ${context.iteration} of at most ${context.maxIterations} of the ${context.stage.pair} pair (${context.stage.phase}). The verifier did not accept your last iteration yet.`,
    formatFixSection(context) ||
      "\n## What to do\nFinish the job as your earlier instructions say.",
    context.ledger.trim() === ""
      ? ""
      : `\n## Clarification ledger (answers count over the request)\n${context.ledger.trim()}\n`,
    formatProducerOutputs(context),
  ].join("\n");
}

/** The verifier's prompt. */
export function buildVerifierPrompt(
  context: IterationContext,
  production: {
    report: string;
    filesChanged: readonly string[];
    diff: string;
    verifyResult: string;
  },
  verdictFile: string,
): string {
  const { stage } = context;
  const checklist = VERIFIER_CHECKLISTS[stage.pair].map((item, index) => `${index + 1}. ${item}`);
  return [
    `You are the VERIFIER of the ${stage.pair} pair of a bosun pipeline, ${describeStage(context)}.`,
    `The work is in ${context.cwd}. Verify only: do not change any file (bosun discards whatever you change).`,
    "",
    `## Your checklist\n${checklist.join("\n")}`,
    formatCommonSections(context),
    context.artifactFile === undefined
      ? ""
      : `\n## The producer's ${stage.pair} document\nRead ${context.artifactFile}.\n`,
    `## The producer's report (its claim, not the truth)\n\`\`\`json\n${production.report}\n\`\`\``,
    context.isGitless
      ? "\n## What changed\nNo git (--no-git): read the files in the working directory.\n"
      : `\n## What changed in this pair, measured by git: ${production.filesChanged.length === 0 ? "(nothing)" : production.filesChanged.join(", ")}\n\`\`\`diff\n${production.diff}\n\`\`\`\n`,
    `## Verify command\n${production.verifyResult}\n`,
    "## Your verdict",
    `Write exactly one JSON object to ${verdictFile}, one of:`,
    '{"verdict": "complete", "summary": "what you checked"}',
    '{"verdict": "continue", "missing": ["what the producer must do next", "..."], "summary": "what you checked"}',
    '{"verdict": "question", "question": "what only the human who asked can decide", "options": ["optional suggested answers"]}',
    '{"verdict": "blocked", "reason": "why the work cannot go on, and what would unblock it"}',
    "Say complete only when every checklist item holds on the real code. Ask a question only when the request and the ledger leave a decision open that changes what is right; never ask what you can find out yourself.",
  ].join("\n");
}

/** The answerer's prompt (--full-auto-answers): a model answers a verifier's question. */
export function buildAnswererPrompt(
  context: IterationContext,
  question: string,
  suggestions: readonly string[],
  answerFile: string,
): string {
  return [
    "A verifier in a bosun pipeline asked a question that the human who made the request would normally answer. Answer it as that human would, from the request and the decisions so far; pick the simplest answer that fits the request.",
    `\n## Request\n${context.request.trim()}\n`,
    context.ledger.trim() === "" ? "" : `## Decisions so far\n${context.ledger.trim()}\n`,
    `## Question (${context.stage.phase}, iteration ${context.iteration})\n${question}`,
    suggestions.length === 0 ? "" : `Suggested answers: ${suggestions.join(" | ")}`,
    `\nDo not change any file except this one. Write {"answer": "your answer"} as JSON to ${answerFile}.`,
  ].join("\n");
}

function describeStage(context: IterationContext): string {
  const phase = context.stage.phaseId === undefined ? "" : ` on phase ${context.stage.phaseId}`;
  return `iteration ${context.iteration} of at most ${context.maxIterations}${phase}`;
}

/** The request, the ledger, the project facts, the plan or phase, and the fix list. */
function formatCommonSections(context: IterationContext): string {
  const sections = [`\n## The request (immutable)\n${context.request.trim()}\n`];
  if (context.ledger.trim() !== "")
    sections.push(
      `## Clarification ledger (answers count over the request)\n${context.ledger.trim()}\n`,
    );
  if (context.intelligence !== null)
    sections.push(
      `## The project (from bosun learn: use these commands, do not invent others)\n${context.intelligence.trim()}\n`,
    );
  if (context.phase !== undefined)
    sections.push(
      `## Phase ${context.phase.id}: ${context.phase.title}\nScope: ${context.phase.scope}\nAcceptance criteria:\n${context.phase.acceptance_criteria.map((item) => `- ${item}`).join("\n")}\n`,
    );
  else if (context.plan !== undefined && context.stage.pair !== "plan")
    sections.push(`## The plan\n\`\`\`json\n${JSON.stringify(context.plan, null, 2)}\n\`\`\`\n`);
  if (
    context.verify !== "" &&
    (context.stage.pair === "implement" || context.stage.pair === "test")
  )
    sections.push(
      `## The project's test command (bosun runs it after you)\n\`${context.verify}\`\n`,
    );
  sections.push(formatFixSection(context));
  return sections.join("\n");
}

function formatFixSection(context: IterationContext): string {
  return formatFixList(context.fixItems, context.note).replace(
    "## Fix list from the previous round",
    "## What the previous iteration left to do",
  );
}

function formatProducerOutputs(context: IterationContext): string {
  const lines = ["\n## How to finish"];
  if (context.stage.pair === "plan" && context.artifactFile !== undefined)
    lines.push(
      `1. Write the phase plan as JSON to ${context.artifactFile}:`,
      '   {"version": 1, "phases": [{"id": "p1", "title": "...", "scope": "...", "depends_on": [], "acceptance_criteria": ["..."], "risks": ["..."], "rollback": "..."}]}',
      "   Phase ids are short (letters, digits, - and _); depends_on lists ids of earlier phases.",
    );
  if (context.stage.pair === "audit" && context.artifactFile !== undefined)
    lines.push(
      `1. Write the audit as JSON to ${context.artifactFile}:`,
      '   {"version": 1, "delivered": ["..."], "gaps": ["material gap", "..."], "revised_request": "the request a follow-up run takes on (only with gaps)"}',
    );
  lines.push(
    `${lines.length > 1 ? "2" : "1"}. Last, write your work report as JSON to ${context.reportFile}:`,
    `   {"task_id": "${context.taskId}", "round": ${context.iteration}, "files_changed": ["..."], "notes": "what you did", "tests": [{"name": "...", "result": "pass|fail"}]}`,
    "Do not edit anything else under .bosun/.",
  );
  return lines.join("\n");
}
