/** A one-round offline review whose reviewer wants changes: at --max-rounds 1 it asks a human. */
import type { OfflineAction } from "../../src/agents/offline/script.js";

/** The worker writes feature.txt and reports it. */
export const FEATURE_WORK: OfflineAction[] = [
  { write: { path: "feature.txt", content: "feature\n" } },
  { report: { files_changed: ["feature.txt"], notes: "Edited feature.txt.", tests: [] } },
];

/** `bosun review` with the offline agent in both seats, one round at most. */
export const ONE_ROUND_REVIEW = [
  "review",
  "--goal",
  "Add feature.txt.",
  "--worker",
  "offline",
  "--reviewer",
  "offline",
  "--max-rounds",
  "1",
];
