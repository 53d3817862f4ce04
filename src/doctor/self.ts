// This copy of asherah-bun-preload: where it is and what it ships.
import { join, resolve } from "node:path";

export const PACKAGE_NAME = "asherah-bun-preload";
/** This copy of the package. */
export const PACKAGE_ROOT = resolve(import.meta.dir, "..", "..");
/**
 * This copy's preload entry as published ("exports" "."), its source, which
 * works as a preload too, and the start bundle behind the entry, which works
 * as one only on Bun 1.1.30 and later (judge.ts warns: PRELOAD_START_BUNDLE).
 */
export const ENTRY_FILES = ["dist/index.js", "src/index.ts", "dist/preload.cjs"] as const;
export const SELF_ENTRY = join(PACKAGE_ROOT, ENTRY_FILES[0]);
/** The start path's bytecode cache (scripts/build.ts), made by the Bun release this package pins. */
export const START_BYTECODE = join(PACKAGE_ROOT, "dist", "preload.cjs.jsc");
/** The same folder lifecycle.ts's PREBUILDS_DIR names (not imported: lifecycle.ts pulls in the native layer). */
export const PREBUILDS_DIR = join(PACKAGE_ROOT, "prebuilds");
