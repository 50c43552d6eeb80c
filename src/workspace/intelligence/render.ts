/**
 * Renders what `bosun learn` found as `.bosun/intelligence.md`: short, factual Markdown that an
 * agent reads before it works, with every command's source so it can be checked.
 */
import path from "node:path";
import { COMMAND_KINDS, type DetectedTool } from "./shared.js";
import type { TestCheck } from "./check.js";
import type { RepoIntelligence } from "../intelligence.js";

/** The Markdown for `.bosun/intelligence.md`. */
export function renderIntelligence(intel: RepoIntelligence): string {
  const head = intel.head === null ? "no commits yet" : `HEAD ${intel.head.slice(0, 12)}`;
  const lines = [
    "# Repository intelligence",
    "",
    `Written by \`bosun learn\` at ${intel.scannedAt} (${head}, ${intel.fileCount} files known to git).`,
    "Use these commands as they are; do not invent others. Where it says none found, the repository defines none: say so rather than guess.",
    "",
    "## Commands",
    "",
  ];
  for (const kind of COMMAND_KINDS) {
    const found = intel.commands.filter((command) => command.kind === kind);
    if (found.length === 0) lines.push(`- ${kind}: none found`);
    for (const command of found)
      lines.push(`- ${kind}: \`${command.command}\` (from ${command.source})`);
  }
  lines.push("", "## Test check", "", renderCheck(intel.check, intel.root), "");
  lines.push("## Stack", "");
  lines.push(
    `- Languages: ${intel.languages.length === 0 ? "none found" : intel.languages.map((l) => `${l.name} (${l.files})`).join(", ")}`,
  );
  lines.push(`- Package managers and build tools: ${renderTools(intel.packageManagers)}`);
  lines.push(`- Frameworks and tools: ${renderTools(intel.frameworks)}`);
  lines.push(`- CI: ${intel.ci.length === 0 ? "none found" : intel.ci.join(", ")}`);
  lines.push("", "## Layout", "");
  if (intel.layout.length === 0) lines.push("- (no files)");
  for (const entry of intel.layout) {
    const name = entry.isDir ? `${entry.name}/` : entry.name;
    const files = entry.isDir ? ` (${entry.files} file${entry.files === 1 ? "" : "s"})` : "";
    lines.push(`- \`${name}\`${files}${entry.note === undefined ? "" : ` — ${entry.note}`}`);
  }
  if (intel.nestedManifests.length > 0) {
    lines.push(
      "",
      "## Sub-projects",
      "",
      "Manifests below the root; run their commands from their own directory:",
      "",
    );
    for (const file of intel.nestedManifests) lines.push(`- \`${file}\``);
  }
  if (intel.warnings.length > 0) {
    lines.push("", "## Warnings", "");
    for (const warning of intel.warnings) lines.push(`- ${warning}`);
  }
  return `${lines.join("\n")}\n`;
}

function renderTools(tools: readonly DetectedTool[]): string {
  return tools.length === 0 ? "none found" : tools.map((t) => `${t.name} (${t.source})`).join(", ");
}

function renderCheck(check: TestCheck | null, root: string): string {
  if (check === null)
    return "Not run (`bosun learn --check` runs the test command once and records the result).";
  const seconds = `${(check.durationMs / 1000).toFixed(1)} s`;
  const how =
    check.terminationReason === "timeout"
      ? `timed out after ${seconds}`
      : check.exitCode === null
        ? `ended by a signal after ${seconds}`
        : `exited ${check.exitCode} after ${seconds}`;
  const log = path.relative(root, check.logFile) || check.logFile;
  const verdict = `**${check.status}**: \`${check.command}\` ${how}, at ${check.checkedAt} (output in \`${log}\`).`;
  if (check.status === "green") return verdict;
  const tail =
    check.tail.length === 0
      ? ""
      : `\n\nLast lines of its output:\n\n\`\`\`\`\n${check.tail.join("\n")}\n\`\`\`\``;
  return `${verdict} It was red before this run's changes: a failing test is not necessarily caused by yours.${tail}`;
}
