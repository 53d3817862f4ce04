// One hot WebAssembly function and a timer, and no Go module at all: with only
// the Go warmup library preloaded (the original write-up's fix), this hangs by itself.
export {};
const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,5,1,1,102,0,0,10,34,1,32,1,1,127,65,0,33,0,2,64,3,64,32,0,65,1,106,33,0,32,0,65,144,206,0,72,13,0,11,11,32,0,11]);
(new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f as () => number)();
await new Promise(r => setTimeout(r, 50));
console.log("OK wasm-only");
