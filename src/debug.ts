// One line per event on stderr with a stable prefix, so users can grep for it
// and tests can assert on it. Off unless ASHERAH_BUN_PRELOAD_DEBUG is set.
export const DEBUG_PREFIX = "[asherah-bun-preload]";
export const DEBUG_VARIABLE = "ASHERAH_BUN_PRELOAD_DEBUG";

/**
 * Whether ASHERAH_BUN_PRELOAD_DEBUG asks for details; lenient, since a bad
 * value is reported by readConfig. Here, not in errors.ts: the start bundle's
 * missing-cold-half error (cold-link.ts) asks too.
 */
export function debugRequested(env: Record<string, string | undefined> = process.env): boolean {
  return /^\s*(1|true|yes|on)\s*$/i.test(env[DEBUG_VARIABLE] ?? "");
}

export type DebugFields = Record<string, string | number | boolean | undefined>;

export function formatDebugLine(event: string, fields: DebugFields = {}): string {
  const parts = [DEBUG_PREFIX, event];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    parts.push(`${key}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`);
  }
  return parts.join(" ");
}

export type DebugLog = (event: string, fields?: DebugFields) => void;

export function createDebugLog(enabled: boolean): DebugLog {
  if (!enabled) return () => {};
  return (event, fields) => {
    process.stderr.write(formatDebugLine(event, fields) + "\n");
  };
}
