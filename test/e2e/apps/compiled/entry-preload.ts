// The entry of a `bun build --compile` binary that imports the preload entry
// itself first (bunfig preloads do not apply to compiled binaries): its second
// half, dist/cold.js, must be embedded too (src/cold-link.ts).
import "asherah-bun-preload";
import { status } from "asherah-bun-preload/api";
const asherah = require("asherah");
asherah.setup(require("../load.cjs").CONFIG);
console.log(asherah.decrypt_string("p", asherah.encrypt_string("p", "compiled")));
asherah.shutdown();
console.log(JSON.stringify({ phase: status().phase, warmup: status().warmup.status, guarded: status().guarded.length }));
