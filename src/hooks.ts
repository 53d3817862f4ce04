// Where native code really enters a Bun process, and the wrappers that put
// the warmup before it and the signal repair after it:
// - process.dlopen: every require() of a `.node` file goes through it (Bun's
//   plugin onLoad never fires for `.node` files);
// - bun:ffi's dlopen: replacing the export on the module object is seen by
//   application code, including `import { dlopen } from "bun:ffi"`;
// - a Bun.plugin that serves `import ... from "asherah"` where Bun allows it
//   (plain Bun refuses ESM imports of a `.node` entry).
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { knowsNodeAddonsCondition, supportsVirtualModule } from "./bun-version.ts";
import { afterNativeLoad, beforeNativeLoad, debugLog } from "./lifecycle.ts";
import { resolvePackageEntry } from "./resolve.ts";
import { nowMicros, recordEvent, type PreloadState } from "./state.ts";

const requireHere = createRequire(import.meta.url);

type Dlopen = (module: { exports: unknown }, filename: string, flags?: number) => void;

function pathOf(target: unknown): string {
  if (target instanceof URL) return fileURLToPath(target);
  return String(target);
}

export function hookProcessDlopen(state: PreloadState): void {
  if (state.hooks.processDlopen) return;
  const original = process.dlopen as unknown as Dlopen;
  const wrapped: Dlopen = function (this: unknown, module, filename, flags) {
    const file = pathOf(filename);
    const started = nowMicros();
    const guarded = beforeNativeLoad(state, file, "process.dlopen");
    const result = flags === undefined ? original.call(this, module, filename) : original.call(this, module, filename, flags);
    afterNativeLoad(state, file, "process.dlopen", guarded, started);
    return result;
  };
  (process as unknown as { dlopen: Dlopen }).dlopen = wrapped;
  state.hooks.processDlopen = true;
}

export function hookFfiDlopen(state: PreloadState): void {
  if (state.hooks.ffiDlopen) return;
  const ffi = requireHere("bun:ffi") as { dlopen: (path: unknown, symbols: unknown) => unknown };
  const original = ffi.dlopen;
  const wrapped = function (this: unknown, path: unknown, symbols: unknown) {
    const file = pathOf(path);
    const started = nowMicros();
    const guarded = beforeNativeLoad(state, file, "bun:ffi");
    const result = original.call(this, path, symbols);
    afterNativeLoad(state, file, "bun:ffi", guarded, started);
    return result;
  };
  ffi.dlopen = wrapped;
  state.hooks.ffiDlopen = true;
}

/**
 * Which guarded packages the plugin serves as virtual modules, and from which
 * file. On Bun >= 1.3 every package with a `.node` entry, so `import` works.
 * Before 1.2 Bun does not know the "node-addons" export condition — the only
 * one asherah 3.x declares — and cannot even resolve `require("asherah")`;
 * serving it there fixes require(). 1.2.x resolves it itself, and a virtual
 * module would break processes that both import and require it.
 */
export function virtualModuleEntries(packages: readonly string[], fromDir: string, bunVersion: string): { name: string; entry: string }[] {
  const modern = supportsVirtualModule(bunVersion);
  const legacy = !modern && !knowsNodeAddonsCondition(bunVersion);
  return packages.flatMap((name) => {
    const found = resolvePackageEntry(name, fromDir);
    if (found === undefined || !found.entry.endsWith(".node")) return [];
    return modern || (legacy && found.nodeAddonsOnly) ? [{ name, entry: found.entry }] : [];
  });
}

export function registerPlugin(state: PreloadState): void {
  if (state.hooks.plugin) return;
  const config = state.config;
  if (config === undefined) return;
  const fromDir = Bun.main ? dirname(Bun.main) : process.cwd();
  const entries = virtualModuleEntries(config.packages, fromDir, Bun.version);
  Bun.plugin({
    name: "asherah-bun-preload",
    setup(build) {
      for (const { name, entry } of entries) {
        build.module(name, () => {
          // require() by absolute path goes through process.dlopen, i.e.
          // through the guard above, exactly like require(name) would.
          const exports = requireHere(entry) as Record<string, unknown>;
          recordEvent(state, "virtual-module", `${name} -> ${entry}`);
          return { loader: "object", exports: { ...exports, default: exports } };
        });
        state.hooks.virtualModules.push(name);
        debugLog(state)("virtual module", { package: name, entry });
      }
    },
  });
  state.hooks.plugin = true;
}
