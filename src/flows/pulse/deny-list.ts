/**
 * The pulse's tripwire: command text (a `run_command`, a deploy command, a sensor script, a
 * worker's verify command) that matches a dangerous shape is blocked outright, in every approval
 * mode. It reads the text as a shell would split it — quotes and backslashes removed, `${IFS}`
 * as a space, `;`, `&&`, `|`, newlines and substitutions as separators, wrappers such as `env`
 * or `nohup` skipped — and judges each simple command by its words, not the raw text. A tripwire,
 * not a sandbox: it catches the known disasters cheaply and says which rule fired.
 */
import path from "node:path";

/** One simple command as the shell would run it. */
export interface ShellSegment {
  /** Its words, quotes and escapes removed (redirection targets are not words). */
  words: string[];
  /** Files it writes with `>`, `>>`, `&>`, `>|`. */
  redirectTargets: string[];
  /** What separates it from the segment before: a pipe (`>( )` too), a list operator, or a substitution opening. */
  joinedBy: "start" | "list" | "pipe" | "substitution";
}

/** Shells and evaluators: text piped or substituted into one is run as code. */
const SHELLS: ReadonlySet<string> = new Set([
  "sh",
  "bash",
  "zsh",
  "dash",
  "ksh",
  "fish",
  "ash",
  "eval",
  "source",
  ".",
]);

/** Commands that only run their arguments as a command: skipped to find the real one. */
const WRAPPERS: ReadonlySet<string> = new Set([
  "env",
  "nohup",
  "time",
  "nice",
  "ionice",
  "exec",
  "command",
  "builtin",
  "xargs",
  "timeout",
  "stdbuf",
  "setsid",
  // Multi-call binaries: `busybox rm -rf /` is `rm -rf /`.
  "busybox",
  "toybox",
]);

/** Interpreters that run a script piped into them: a download fed to one runs fetched code. */
const INTERPRETERS: ReadonlySet<string> = new Set([
  "python",
  "python3",
  "python2",
  "perl",
  "ruby",
  "node",
  "php",
]);

/** Shell keywords that may come before a command (`if rm …`, `{ rm …; }`, `! rm …`). */
const KEYWORDS: ReadonlySet<string> = new Set([
  "{",
  "}",
  "!",
  "if",
  "then",
  "else",
  "elif",
  "do",
  "while",
  "until",
]);

/** What `rm -r` and `chmod -R` must never be pointed at: the root, system folders, home. */
const PROTECTED_TARGETS: ReadonlySet<string> = new Set([
  "/",
  "/*",
  "/.",
  "/..",
  "~",
  "~/*",
  "$HOME",
  "${HOME}",
  "$HOME/*",
  "${HOME}/*",
  ...["bin", "boot", "dev", "etc", "home", "lib", "lib64", "opt", "root", "sbin", "srv"].map(
    (dir) => `/${dir}`,
  ),
  ...["sys", "proc", "usr", "var", "Users", "System", "Library"].map((dir) => `/${dir}`),
]);

/** Branches a force-push must never rewrite. */
const PROTECTED_BRANCHES: ReadonlySet<string> = new Set(["main", "master"]);

/** Device files that are whole disks or partitions. */
const BLOCK_DEVICE = /^\/dev\/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|mapper\/)/;

/** `:(){ :|:& };:` and its renamed forms, spaces removed. */
const FORK_BOMB = /([\w:]+)\(\)\{\1\|\1&\};?\1/;

/**
 * Why `text` is dangerous to run, or undefined when no rule matches. The reason names the rule
 * (`"sudo: runs as root"`), for the journal and for the human who wrote the command.
 */
export function findDeniedCommand(text: string): string | undefined {
  if (FORK_BOMB.test(text.replace(/\s+/g, "")))
    return "fork bomb: spawns processes until the machine stalls";
  const segments = splitShellSegments(text);
  for (const [index, segment] of segments.entries()) {
    const reason = findDeniedSegment(segment, index, segments);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** The words a segment runs, wrappers (`env X=1`, `nohup`, `timeout 5`) and assignments skipped. */
export function getCommandWords(segment: ShellSegment): string[] {
  const words = [...segment.words];
  for (;;) {
    const first = words[0];
    if (first === undefined) return words;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first)) {
      words.shift();
      continue;
    }
    if (KEYWORDS.has(first)) {
      words.shift();
      continue;
    }
    const name = getCommandName(first);
    if (!WRAPPERS.has(name)) return [name, ...words.slice(1)];
    words.shift();
    // A wrapper's own options and their values (`timeout 5`, `nice -n 10`) come before the command.
    while (words[0] !== undefined && (words[0].startsWith("-") || /^\d/.test(words[0]))) {
      const option = words.shift() ?? "";
      // `env -S 'sudo ls'` splits its value into the command: judge that text as a command line.
      if (name === "env" && (option === "-S" || option === "--split-string"))
        return getCommandWords({
          ...segment,
          words: splitShellSegments(words.join(" "))[0]?.words ?? [],
        });
      if (name === "env" && option.startsWith("--split-string="))
        return getCommandWords({
          ...segment,
          words: splitShellSegments(option.slice("--split-string=".length))[0]?.words ?? [],
        });
      if (WRAPPER_VALUE_OPTIONS.has(option) && name !== "xargs") words.shift();
    }
  }
}

/** How deep `sh -c "sh -c '…'"` is read for marks and runtime names (the deny-list reads it all). */
export const MAX_SCRIPT_DEPTH = 4;

/**
 * The script a command runs as a command line of its own: `sh -c SCRIPT` (also `bash -lc`), or
 * `eval`'s words joined. Undefined for any other command.
 */
export function getInnerScript(words: readonly string[]): string | undefined {
  const [name = "", ...args] = words;
  if (name === "eval") return args.join(" ");
  if (!SHELLS.has(name)) return undefined;
  const flag = args.findIndex((arg) => /^-[a-z]*c[a-z]*$/.test(arg));
  return flag === -1 ? undefined : args[flag + 1];
}

/** Wrapper options whose value is the next word (`timeout -s KILL`, `exec -a NAME`, `nice -n 10`). */
const WRAPPER_VALUE_OPTIONS: ReadonlySet<string> = new Set(["-n", "-c", "-u", "-s", "-k", "-a"]);

function findDeniedSegment(
  segment: ShellSegment,
  index: number,
  segments: readonly ShellSegment[],
): string | undefined {
  for (const target of segment.redirectTargets) {
    if (BLOCK_DEVICE.test(target)) return `raw disk write: redirects into ${target}`;
  }
  const [name = "", ...args] = getCommandWords(segment);
  // `$(true) sudo ls`: a substitution or variable that prints nothing leaves the next word the
  // command, so what follows a command name made at run time is judged as a command too.
  if (isRuntimeWord(name) && args.length > 0) {
    const rest = findDeniedSegment({ ...segment, words: args }, index, segments);
    if (rest !== undefined) return rest;
  }
  switch (name) {
    case "sudo":
    case "sudoedit":
    case "doas":
    case "su":
    case "pkexec":
    case "run0":
      return `${name}: runs as root`;
    case "rm":
      return findDeniedRm(args) ?? findRmInProtectedDir(args, index, segments);
    case "find":
      return hasProtectedTarget(args) &&
        args.some((arg) => arg === "-delete" || arg === "-exec" || arg === "-execdir")
        ? `find ${findProtectedTarget(args)} -delete/-exec: deletes or changes the system or a home folder`
        : undefined;
    case "chmod":
    case "chown":
    case "chgrp":
      return hasRecursiveFlag(args, "R") && hasProtectedTarget(args)
        ? `${name} -R on ${findProtectedTarget(args)}: changes the whole system's permissions`
        : undefined;
    case "git":
      return findDeniedGit(args);
    case "dd": {
      const output = args.find((arg) => arg.startsWith("of=/dev/"));
      return output !== undefined && !isHarmlessDevice(output.slice(3))
        ? `dd ${output}: writes a raw device`
        : undefined;
    }
    case "tee":
    case "cp": {
      // tee writes every operand; cp writes its last.
      const written = name === "tee" ? args : args.slice(-1);
      const device = written.find((arg) => BLOCK_DEVICE.test(arg));
      return device === undefined ? undefined : `raw disk write: ${name} into ${device}`;
    }
    case "shutdown":
    case "reboot":
    case "halt":
    case "poweroff":
      return `${name}: stops the machine`;
    case "systemctl":
      return args.some((arg) => ["reboot", "poweroff", "halt", "kexec"].includes(arg))
        ? "systemctl reboot/poweroff: stops the machine"
        : undefined;
    case "init":
    case "telinit":
      return args[0] === "0" || args[0] === "6"
        ? `${name} ${args[0]}: stops the machine`
        : undefined;
    default:
      break;
  }
  if (name === "mkfs" || name.startsWith("mkfs.") || name === "wipefs")
    return `${name}: formats a disk`;
  if (SHELLS.has(name)) return findDeniedShell(name, args, index, segments);
  if (INTERPRETERS.has(name) && readsProgramFromStdin(args) && isFedByDownload(index, segments))
    return `download piped into ${name}: runs code fetched from the network`;
  return undefined;
}

/**
 * An interpreter reads its program from stdin when given none: no script file, no `-c`/`-e`/`-m`
 * (`python3 -m json.tool` reads data, not code), or `-` itself.
 */
function readsProgramFromStdin(args: readonly string[]): boolean {
  if (args.includes("-")) return true;
  return !args.some((arg) => !arg.startsWith("-") || /^-[a-zA-Z]*[cemr]$/.test(arg));
}

/** True when a `curl`/`wget` earlier in the same pipeline feeds this segment. */
function isFedByDownload(index: number, segments: readonly ShellSegment[]): boolean {
  if (segments[index]?.joinedBy !== "pipe") return false;
  return segments.slice(0, index).some((segment) => {
    const command = getCommandWords(segment)[0] ?? "";
    return command === "curl" || command === "wget";
  });
}

/**
 * `cd / && rm -rf *`: a recursive rm of relative paths after an earlier `cd` into the root, a
 * system folder or a home folder.
 */
function findRmInProtectedDir(
  args: readonly string[],
  index: number,
  segments: readonly ShellSegment[],
): string | undefined {
  if (!hasRecursiveFlag(args, "rR")) return undefined;
  const isRelative = args.some((arg) => !arg.startsWith("-") && !arg.startsWith("/"));
  if (!isRelative) return undefined;
  for (const segment of segments.slice(0, index).reverse()) {
    const [command, dir] = getCommandWords(segment);
    if (command !== "cd") continue;
    const target = findProtectedTarget([dir ?? "~"]);
    return target === undefined
      ? undefined
      : `rm -r after cd ${target}: deletes the system or a home folder`;
  }
  return undefined;
}

/** `rm -r` on the root, a system folder or home; `--no-preserve-root` anywhere. */
function findDeniedRm(args: readonly string[]): string | undefined {
  if (args.includes("--no-preserve-root")) return "rm --no-preserve-root: deletes the whole system";
  if (!hasRecursiveFlag(args, "rR")) return undefined;
  const target = findProtectedTarget(args);
  return target === undefined ? undefined : `rm -r ${target}: deletes the system or a home folder`;
}

/** A shell fed by a download (`curl … | sh`, `bash <(curl …)`, `sh -c "$(wget …)"`), or `sh -c` of a denied command. */
function findDeniedShell(
  name: string,
  args: readonly string[],
  index: number,
  segments: readonly ShellSegment[],
): string | undefined {
  const isDownload = (segment: ShellSegment | undefined): boolean => {
    const command = segment === undefined ? "" : (getCommandWords(segment)[0] ?? "");
    return command === "curl" || command === "wget";
  };
  const segment = segments[index];
  if (segment?.joinedBy === "pipe" && segments.slice(0, index).some(isDownload))
    return `download piped into ${name}: runs code fetched from the network`;
  const next = segments[index + 1];
  if (next?.joinedBy === "substitution" && isDownload(next))
    return `download substituted into ${name}: runs code fetched from the network`;
  if (name === "eval") return findDeniedCommand(args.join(" "));
  // `sh -c SCRIPT` (also `bash -lc`, `sh -ec`): the script is a command line of its own.
  const flag = args.findIndex((arg) => /^-[a-z]*c[a-z]*$/.test(arg));
  const script = flag === -1 ? undefined : args[flag + 1];
  return script === undefined ? undefined : findDeniedCommand(script);
}

/** A force-push (or a delete) of main or master, or a force-push that names no branch. */
function findDeniedGit(args: readonly string[]): string | undefined {
  const rest = [...args];
  // git's own options come before the subcommand; -C and -c take a value.
  while (rest[0] !== undefined && rest[0].startsWith("-")) {
    const option = rest.shift();
    if (option === "-C" || option === "-c") rest.shift();
  }
  if (rest.shift() !== "push") return undefined;
  const options = rest.filter((arg) => arg.startsWith("-"));
  const [, ...refspecs] = rest.filter((arg) => !arg.startsWith("-"));
  const isForce = options.some(
    (option) =>
      option === "--force" ||
      option === "--mirror" ||
      option.startsWith("--force-with-lease") ||
      /^-[a-zA-Z]*f/.test(option),
  );
  const isDelete = options.includes("--delete") || options.includes("-d");
  for (const refspec of refspecs) {
    const target = getRefspecTarget(refspec);
    if (!PROTECTED_BRANCHES.has(target)) continue;
    if (isForce || refspec.startsWith("+"))
      return `git push --force to ${target}: rewrites its history`;
    if (isDelete || refspec.startsWith(":")) return `git push deleting ${target}`;
  }
  if (
    isForce &&
    (refspecs.length === 0 || options.includes("--all") || options.includes("--mirror"))
  )
    return "git push --force naming no branch: it may rewrite main";
  return undefined;
}

/** The branch a refspec updates: `+HEAD:refs/heads/main` → `main`. */
function getRefspecTarget(refspec: string): string {
  const bare = refspec.replace(/^\+/, "");
  const target = bare.includes(":") ? bare.slice(bare.indexOf(":") + 1) : bare;
  return target.replace(/^refs\/heads\//, "");
}

/** True when a flag like `-rf`, `-R` or `--recursive` is among `args`. */
function hasRecursiveFlag(args: readonly string[], letters: string): boolean {
  return args.some(
    (arg) =>
      arg === "--recursive" ||
      (/^-[a-zA-Z]+$/.test(arg) && [...letters].some((letter) => arg.includes(letter))),
  );
}

function hasProtectedTarget(args: readonly string[]): boolean {
  return findProtectedTarget(args) !== undefined;
}

/** The first operand that is the root, a system folder or a home folder. */
function findProtectedTarget(args: readonly string[]): string | undefined {
  return args.find((arg) => {
    if (/^-[a-zA-Z-]/.test(arg)) return false;
    const target = normalizeTarget(arg);
    // `/usr/*` empties `/usr` as surely as `/usr` removes it.
    return PROTECTED_TARGETS.has(target) || PROTECTED_TARGETS.has(target.replace(/\/\*$/, ""));
  });
}

/** `//`, `/./`, trailing slashes and `~/` folded, so `/usr/` and `//` read as `/usr` and `/`. */
function normalizeTarget(arg: string): string {
  // `~/.`, `$HOME/./` and `~//` are home itself.
  const home = /^(~|\$HOME|\$\{HOME\})(?:\/+\.?)*\/*$/.exec(arg);
  if (home?.[1] !== undefined) return home[1];
  if (!arg.startsWith("/")) return arg;
  const normalized = path.posix.normalize(arg);
  return normalized.length > 1 ? normalized.replace(/\/+$/, "") : normalized;
}

function isHarmlessDevice(device: string): boolean {
  return (
    ["/dev/null", "/dev/zero", "/dev/stdout", "/dev/stderr"].includes(device) ||
    device.startsWith("/dev/fd/")
  );
}

/** A word that is a substitution or a variable and nothing else: it may print nothing at all. */
function isRuntimeWord(word: string): boolean {
  return word === SUBSTITUTION_WORD || /^\$(?:[A-Za-z_]\w*|\{[A-Za-z_]\w*\})$/.test(word);
}

/** `/usr/bin/rm` and `\rm` are `rm`. */
function getCommandName(word: string): string {
  // A path made at run time (`"$(npm bin)"/jest`) stays whole: its basename is not what runs.
  return word.includes("/") && !word.includes("$") ? path.posix.basename(word) : word;
}

/**
 * The first command in `text` whose name is made only when it runs (`$(echo sudo) ls`, `$CMD x`,
 * `"$(npm bin)/jest"`), also in the script of an `sh -c` or `eval` (`eval "$fetched"`): the
 * tripwire cannot know what it runs, so the gate asks instead of trusting it in approval mode full.
 */
export function findRuntimeCommandName(text: string, depth = 0): string | undefined {
  for (const segment of splitShellSegments(text)) {
    const words = getCommandWords(segment);
    const [name] = words;
    if (name?.includes("$") === true) return name;
    const script = depth < MAX_SCRIPT_DEPTH ? getInnerScript(words) : undefined;
    const inner = script === undefined ? undefined : findRuntimeCommandName(script, depth + 1);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/**
 * A destructive command whose target is only known when it runs: a recursive `rm` of an operand
 * made at run time (`rm -rf "$DIR"/*`, `rm -rf $(…)`) or of relative paths after a `cd` into a
 * directory made at run time (`cd $(…) && rm -rf *`), or a force-push to a branch made at run time
 * (`git push -f origin $(git branch --show-current)`). It may be the root or main; the tripwire
 * cannot tell, so the gate asks instead of trusting it in approval mode full.
 */
export function findRuntimeTarget(text: string): string | undefined {
  const segments = splitShellSegments(text);
  for (const [index, segment] of segments.entries()) {
    const [name, ...args] = getCommandWords(segment);
    if (name === "git") {
      const push = findRuntimeForcePush(args);
      if (push !== undefined) return push;
    }
    if (name !== "rm" || !hasRecursiveFlag(args, "rR")) continue;
    const operands = args.filter((arg) => !arg.startsWith("-"));
    const made = operands.find((arg) => arg.startsWith("$"));
    if (made !== undefined) return `rm -r ${made}`;
    if (operands.every((arg) => arg.startsWith("/"))) continue;
    const cd = segments
      .slice(0, index)
      .reverse()
      .map((earlier) => getCommandWords(earlier))
      .find(([command]) => command === "cd");
    if (cd?.[1]?.includes("$") === true) return `rm -r after cd ${cd[1]}`;
  }
  return undefined;
}

/** `git push -f origin $(…)`, `git push origin +$B`: a force-push to a branch made at run time. */
function findRuntimeForcePush(args: readonly string[]): string | undefined {
  const rest = [...args];
  while (rest[0] !== undefined && rest[0].startsWith("-")) {
    const option = rest.shift();
    if (option === "-C" || option === "-c") rest.shift();
  }
  if (rest.shift() !== "push") return undefined;
  const isForce = rest.some(
    (arg) => arg === "--force" || arg.startsWith("--force-with-lease") || /^-[a-zA-Z]*f/.test(arg),
  );
  const [, ...refspecs] = rest.filter((arg) => !arg.startsWith("-"));
  const made = refspecs.find(
    (refspec) => (isForce || refspec.startsWith("+")) && getRefspecTarget(refspec).includes("$"),
  );
  return made === undefined ? undefined : `git push --force to ${made}`;
}

/** Where the reader is: inside a `$( )`, `<( )` or backticks, with the quoting around it. */
interface Nesting {
  kind: "paren" | "backtick" | "arithmetic";
  /** The quote the substitution sits in (`"$(…)"`), restored when it closes. */
  outerQuote: "'" | '"' | undefined;
  /** Plain parentheses opened inside it, so their `)` does not close it. */
  parens: number;
  /** The command around it, taken up again where it closes. */
  outer: { segment: ShellSegment; word: string; isRedirectNext: boolean };
}

/**
 * True when the text after `$((` (from `start`) closes with `))` at its own depth: arithmetic, as
 * bash reads it. Otherwise (`$((sudo ls) )`) bash runs it as a command in a subshell.
 */
function isArithmetic(source: string, start: number): boolean {
  let depth = 0;
  for (let i = start; i < source.length; i += 1) {
    if (source[i] === "(") depth += 1;
    else if (source[i] === ")" && depth > 0) depth -= 1;
    else if (source[i] === ")") return source[i + 1] === ")";
  }
  return false;
}

/** What a substitution's output stands as in the words of the command around it. */
export const SUBSTITUTION_WORD = "$(…)";

/**
 * Splits text into simple commands the way a shell reads it, closely enough for the tripwire:
 * quotes and backslashes are removed from words, `#` starts a comment, `${IFS}` is a space, and
 * `$(`, `<(`, `>(` and backticks open a new segment (what they run is a command too).
 */
export function splitShellSegments(text: string): ShellSegment[] {
  const source = text.replace(/\$\{IFS\}|\$IFS\b/g, " ");
  const segments: ShellSegment[] = [];
  let segment: ShellSegment = { words: [], redirectTargets: [], joinedBy: "start" };
  let word = "";
  let hasWord = false;
  let isRedirectNext = false;
  let quote: "'" | '"' | undefined;
  const nesting: Nesting[] = [];

  const endWord = (): void => {
    if (!hasWord) return;
    if (isRedirectNext) segment.redirectTargets.push(word);
    else segment.words.push(word);
    isRedirectNext = false;
    word = "";
    hasWord = false;
  };
  // A command with a substitution in it is listed before the substitution's own commands, as soon
  // as the substitution opens, so a pipe's left side stays right before its right side.
  const listed = new WeakSet<ShellSegment>();
  // What `$(( ))` holds is arithmetic, not a command: never listed (its own `$( )` still are).
  const arithmetic = new WeakSet<ShellSegment>();
  const list = (done: ShellSegment): void => {
    if (listed.has(done) || arithmetic.has(done)) return;
    if (done.words.length === 0 && done.redirectTargets.length === 0) return;
    segments.push(done);
    listed.add(done);
  };
  const endSegment = (next: ShellSegment["joinedBy"]): void => {
    endWord();
    const isEmpty =
      segment.words.length === 0 && segment.redirectTargets.length === 0 && !listed.has(segment);
    list(segment);
    // `curl x |` then a newline or `(sh)`: no command stood there yet, so the next one is still
    // the one piped into (or substituted).
    segment = { words: [], redirectTargets: [], joinedBy: isEmpty ? segment.joinedBy : next };
  };
  // The substitution's output is part of a word of the command around it (`$(echo sudo) ls`
  // runs whatever the substitution prints): that word holds SUBSTITUTION_WORD, and the command
  // goes on after the substitution closes.
  const open = (
    kind: Nesting["kind"],
    joinedBy: ShellSegment["joinedBy"] = "substitution",
  ): void => {
    word += SUBSTITUTION_WORD;
    hasWord = true;
    // Listed while still without that word: it gets it when the substitution closes.
    if (!listed.has(segment) && !arithmetic.has(segment)) {
      segments.push(segment);
      listed.add(segment);
    }
    const outer = { segment, word, isRedirectNext };
    nesting.push({ kind, outerQuote: quote, parens: 0, outer });
    segment = { words: [], redirectTargets: [], joinedBy };
    if (kind === "arithmetic") arithmetic.add(segment);
    word = "";
    hasWord = false;
    isRedirectNext = false;
    quote = undefined;
  };
  const close = (): void => {
    endWord();
    list(segment);
    const closed = nesting.pop();
    if (closed === undefined) return;
    ({ segment, word, isRedirectNext } = closed.outer);
    hasWord = true;
    quote = closed.outerQuote;
  };

  for (let i = 0; i < source.length; i += 1) {
    const char = source[i] ?? "";
    const next = source[i + 1] ?? "";
    const inner = nesting.at(-1);
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
      continue;
    }
    // A backslash before a newline joins the lines (`su\<newline>do` is `sudo`): both vanish.
    if (char === "\\" && next === "\n") {
      i += 1;
      continue;
    }
    if (char === "\\") {
      word += next;
      hasWord = true;
      i += 1;
      continue;
    }
    if (char === "$" && next === "(" && source[i + 2] === "(" && isArithmetic(source, i + 3)) {
      open("arithmetic");
      i += 2;
      continue;
    }
    if (char === "$" && next === "(") {
      open("paren");
      i += 1;
      continue;
    }
    if (char === "`") {
      if (inner?.kind === "backtick") close();
      else open("backtick");
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = undefined;
      else word += char;
      continue;
    }
    // `$(($n + 1))`: operators and `$n` there are no commands; only its `))` matters.
    if (inner?.kind === "arithmetic") {
      if (char === "(") inner.parens += 1;
      else if (char === ")" && inner.parens > 0) inner.parens -= 1;
      else if (char === ")" && next === ")") {
        close();
        i += 1;
      }
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      hasWord = true;
      continue;
    }
    if (char === "#" && !hasWord) {
      while (i + 1 < source.length && source[i + 1] !== "\n") i += 1;
      continue;
    }
    if ((char === "<" || char === ">") && next === "(") {
      // `curl x > >(sh)`, `tee >(sh)`: what runs in `>( )` reads the command's output, as a pipe.
      open("paren", char === ">" ? "pipe" : "substitution");
      i += 1;
      continue;
    }
    if (char === ">" || (char === "&" && next === ">")) {
      // `2>` names a file descriptor, not a word.
      if (/^\d+$/.test(word)) {
        word = "";
        hasWord = false;
      }
      endWord();
      while (source[i + 1] === ">" || source[i + 1] === "|" || source[i + 1] === "&") i += 1;
      // `>&2` duplicates a descriptor: no file is written, and the digit is no word.
      isRedirectNext = !/\d/.test(source[i + 1] ?? "");
      while (/[\d-]/.test(source[i + 1] ?? "") && !isRedirectNext) i += 1;
      continue;
    }
    if (char === "<") {
      endWord();
      while (source[i + 1] === "<") i += 1;
      continue;
    }
    if (char === "|") {
      endSegment(next === "|" ? "list" : "pipe");
      if (next === "|" || next === "&") i += 1;
      continue;
    }
    if (char === ")" && inner?.kind === "paren" && inner.parens === 0) {
      close();
      continue;
    }
    if (char === "(" || char === ")") {
      if (inner !== undefined) inner.parens += char === "(" ? 1 : -1;
      endSegment("list");
      continue;
    }
    if (char === ";" || char === "&" || char === "\n") {
      endSegment("list");
      if (next === char) i += 1;
      continue;
    }
    if (char === " " || char === "\t" || char === "\r") {
      endWord();
      continue;
    }
    word += char;
    hasWord = true;
  }
  // A substitution left open runs to the end of the text; the command around it still ends.
  while (nesting.length > 0) close();
  endSegment("list");
  return segments;
}
