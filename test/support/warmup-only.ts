// The original write-up's fix, kept as a control: load a Go warmup library
// through bun:ffi and call it, with no signal repair. The matrix shows it
// does not stop the hang.
import { dlopen, FFIType } from "bun:ffi";
import { join } from "node:path";

const arch = process.arch === "arm64" ? "arm64" : "x64";
const lib = dlopen(join(import.meta.dir, "..", "..", "prebuilds", `linux-${arch}`, "asherah-bun-warmup.so"), {
  WarmupGoRuntime: { args: [], returns: FFIType.i32 },
});
if (lib.symbols.WarmupGoRuntime() !== 1) throw new Error("warmup-only control: WarmupGoRuntime did not return 1");
