/**
 * Changing bosun.yaml for the user (`bosun pulse improve --apply N`): keys set in place with
 * the yaml library's document model, so the file's comments and layout stay; the result must
 * load as a valid config, or the file is put back as it was.
 */
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { isNodeError } from "../errors.js";
import { loadConfig } from "./config.js";
import { createStateFsError } from "./fs-errors.js";
import { writeTextAtomic } from "./json-file.js";
import type { BosunPaths } from "./paths.js";

/** Sets `section.key` for each key in the workspace's bosun.yaml; returns what changed, in a line. */
export async function writeWorkspaceConfigKeys(
  paths: BosunPaths,
  section: string,
  keys: Readonly<Record<string, unknown>>,
): Promise<string> {
  const file = paths.workspaceConfigFile;
  let before = "";
  try {
    before = await readFile(file, "utf8");
  } catch (error) {
    if (!isNodeError(error) || error.code !== "ENOENT")
      throw createStateFsError("read", file, error);
  }
  const document = parseDocument(before);
  for (const [key, value] of Object.entries(keys)) document.setIn([section, key], value);
  await writeTextAtomic(file, document.toString());
  try {
    await loadConfig(paths.root);
  } catch (error) {
    // Never leave the user with a config bosun cannot load.
    await writeTextAtomic(file, before);
    throw error;
  }
  return `${file}: ${Object.entries(keys)
    .map(([key, value]) => `${section}.${key} = ${JSON.stringify(value)}`)
    .join(", ")}`;
}
