/**
 * Node file-system errors in words a user can act on: "it is a directory", "/x is not a
 * directory", instead of a bare EISDIR with a stack. Used wherever bosun reads or writes a file.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { StateError, getErrorMessage, isNodeError } from "../errors.js";

/** Error codes that mean "this path is not what bosun expects" rather than a bug in bosun. */
const FS_PROBLEMS: Readonly<Record<string, string>> = {
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "it is a symbolic link loop",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EROFS: "the file system is read-only",
  ENAMETOOLONG: "the path is too long",
  EEXIST: "something else is already there",
  ENOTEMPTY: "a non-empty directory is in the way",
  EMFILE: "too many open files",
  EBUSY: "it is busy",
  EINVAL: "it cannot be used that way (invalid argument)",
  ERR_FS_EISDIR: "it is a directory, not a file",
};

/** True when a watch failed on the system's limit of file watches (not on the folder itself). */
export function isWatchLimitError(error: unknown): boolean {
  // ENOSPC from inotify is its watch limit, not a full disk.
  return isNodeError(error) && error.code === "ENOSPC";
}

/** Says in words why `dir` could not be watched: the watch limit, or what is wrong with it. */
export function describeWatchError(error: unknown, dir: string): string {
  return isWatchLimitError(error)
    ? "the system's limit of file watches (fs.inotify.max_user_watches) is reached"
    : describeFsError(error, dir);
}

/** Says in words why `file` could not be used, e.g. "/r/.bosun/runs is not a directory". */
export function describeFsError(error: unknown, file: string): string {
  if (!isNodeError(error)) return getErrorMessage(error);
  const code = error.code ?? "";
  // mkdir -p over a file says EEXIST, a path through a file says ENOTDIR: name that file.
  if (code === "ENOTDIR" || code === "EEXIST") {
    const culprit = findNonDirectoryAncestor(file);
    if (culprit !== undefined) return `${culprit} is not a directory (${code})`;
  }
  const problem = FS_PROBLEMS[code];
  return problem === undefined ? getErrorMessage(error) : `${problem} (${code})`;
}

/** A StateError for a `.bosun/` file that could not be read or written. */
export function createStateFsError(
  action: "read" | "write" | "append to" | "create",
  file: string,
  error: unknown,
): StateError {
  return new StateError(
    `Cannot ${action} ${file}: ${describeFsError(error, file)}. ${getFsHint(error)}`,
    { cause: error },
  );
}

/** What to do about a file-system error, by its kind. */
export function getFsHint(error: unknown): string {
  const code = isNodeError(error) ? error.code : undefined;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "Check its permissions and owner, then run the command again.";
    case "ENOSPC":
    case "EROFS":
    case "EMFILE":
    case "EBUSY":
      return "Fix the file system (space, mount, open files), then run the command again.";
    default:
      return "Move the entry in the way aside (or restore it from a backup), then run the command again.";
  }
}

/** The first ancestor of `file` that exists but is not a directory (the cause of ENOTDIR). */
function findNonDirectoryAncestor(file: string): string | undefined {
  let dir = path.dirname(path.resolve(file));
  const ancestors: string[] = [];
  while (path.dirname(dir) !== dir) {
    ancestors.unshift(dir);
    dir = path.dirname(dir);
  }
  for (const ancestor of ancestors) {
    try {
      if (!statSync(ancestor).isDirectory()) return ancestor;
    } catch {
      // Missing or unreadable: the walk cannot say more; the generic reason stands.
      return undefined;
    }
  }
  return undefined;
}
