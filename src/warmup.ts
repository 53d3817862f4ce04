// Loads the prebuilt Go c-shared warmup library through bun:ffi and calls it.
// The call returns only after the library's Go runtime has finished
// initialising — including runtime.initsig, which is what changes the signal
// handlers — so the repair that follows sees the final state.
import { openWarmupLibrary } from "./native.ts";
import { nowMicros, type WarmupInfo } from "./state.ts";
import { PreloadError } from "./errors.ts";

export function runWarmup(path: string, sha256: string | undefined): WarmupInfo {
  const start = nowMicros();
  const lib = openWarmupLibrary(path);
  const loaded = nowMicros();
  const result = lib.call();
  const called = nowMicros();
  if (result !== 1) {
    throw new PreloadError(
      "WARMUP_FAILED",
      `the Go warmup library ${path} returned ${result} from WarmupGoRuntime (expected 1).`,
      "The file is not the library this package ships. Reinstall asherah-bun-preload or fix ASHERAH_BUN_PRELOAD_LIBRARY_DIR.",
    );
  }
  return { status: "done", path, sha256, dlopenMicros: loaded - start, callMicros: called - loaded };
}
