// POSIX path helpers for the start-up path. node:path costs ~1.5 ms on its
// first use in a process (Bun 1.4.5, measured in docs/performance.md) and the
// preload runs in every process. Every platform with prebuilds (Linux, macOS)
// separates paths with "/"; Windows is unsupported (platform.ts).

/** Joins and normalises: "." and empty segments dropped, ".." resolved. */
export function join(...parts: string[]): string {
  // Plain loops, no Array#filter: this runs at every start (start.ts), where
  // the first call of a builtin written in JavaScript (filter, map, some,
  // flatMap) costs 50–150 µs to compile.
  let absolute: boolean | undefined;
  const out: string[] = [];
  for (const part of parts) {
    if (part === "") continue;
    absolute ??= part.startsWith("/");
    for (const segment of part.split("/")) {
      if (segment === "" || segment === ".") continue;
      if (segment === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (segment !== ".." || !absolute) out.push(segment);
    }
  }
  const body = out.join("/");
  return absolute ? `/${body}` : body === "" ? "." : body;
}

/**
 * Whether an absolute path is already what join() makes of it: no "." or ".."
 * segment, no empty one, no trailing slash. String tests only: the start path
 * and every native load ask (resolve.ts, guarded.ts), and join() costs its
 * first compilation.
 */
export function isNormalAbsolute(path: string): boolean {
  if (path === "/") return true;
  if (!path.startsWith("/") || path.endsWith("/") || path.endsWith("/.") || path.endsWith("/..")) return false;
  return !path.includes("//") && !path.includes("/./") && !path.includes("/../");
}

/** The folder above a normal absolute path ("/" above "/app"), without join(). */
export function parentDir(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** Like node:path's resolve: the rightmost absolute part wins, the current directory when there is none. */
export function resolve(...parts: string[]): string {
  let from = parts.length - 1;
  while (from >= 0 && !isAbsolute(parts[from] ?? "")) from--;
  return from < 0 ? join(process.cwd(), ...parts) : join(...parts.slice(from));
}

export function dirname(path: string): string {
  const normalised = join(path);
  const slash = normalised.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : normalised.slice(0, slash);
}

export function basename(path: string): string {
  const normalised = join(path);
  return normalised.slice(normalised.lastIndexOf("/") + 1);
}
