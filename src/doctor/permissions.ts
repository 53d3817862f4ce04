// Who could swap a library before the preload maps it. Judged on the
// kernel's view of the path (realpath), so a symlink into a world-writable
// folder counts as that folder; owners other than root and the current user
// are reported too (issue 13 item 4).
import { realpathSync, statSync } from "node:fs";
import { dirname } from "node:path";

export interface PermissionIssue {
  /** error: anyone on the machine can replace it; warn: a group or another user can. */
  readonly level: "error" | "warn";
  /** The real path that has the problem. */
  readonly path: string;
  readonly kind: "world-writable" | "group-writable" | "owner";
  readonly problem: string;
}

export interface PermissionCheck {
  /** The path as given. */
  readonly path: string;
  /** Its realpath; undefined when it does not exist. */
  readonly real?: string;
  readonly issues: readonly PermissionIssue[];
}

const S_IWGRP = 0o020;
const S_IWOTH = 0o002;

/** Pure: the issues of one file or folder from its mode and owner. */
export function judgeMode(path: string, what: string, mode: number, uid: number, me: number): PermissionIssue[] {
  const issues: PermissionIssue[] = [];
  if ((mode & S_IWOTH) !== 0) issues.push({ level: "error", path, kind: "world-writable", problem: `${what} ${path} is world-writable (mode ${(mode & 0o7777).toString(8)}): any user can replace what the preload loads` });
  else if ((mode & S_IWGRP) !== 0) issues.push({ level: "warn", path, kind: "group-writable", problem: `${what} ${path} is group-writable (mode ${(mode & 0o7777).toString(8)})` });
  if (uid !== 0 && uid !== me) issues.push({ level: "warn", path, kind: "owner", problem: `${what} ${path} is owned by uid ${uid}, neither root nor this user (uid ${me})` });
  return issues;
}

function currentUid(): number {
  return typeof process.getuid === "function" ? process.getuid() : -1;
}

/**
 * A library: the file and the folder it really lives in. A folder
 * (LIBRARY_DIR): the folder itself. Missing paths have no issues (reported
 * elsewhere).
 */
export function checkPermissions(path: string, kind: "file" | "folder", me: number = currentUid()): PermissionCheck {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return { path, issues: [] };
  }
  const targets: [string, string][] = kind === "file" ? [[real, "the library"], [dirname(real), "the library's folder"]] : [[real, "the folder"]];
  const issues: PermissionIssue[] = [];
  for (const [target, what] of targets) {
    try {
      const stats = statSync(target);
      for (const issue of judgeMode(target, what, stats.mode, stats.uid, me)) {
        issues.push(real === path ? issue : { ...issue, problem: `${issue.problem} (reached through ${path})` });
      }
    } catch {
      // vanished meanwhile: nothing to judge
    }
  }
  return { path, real, issues };
}
