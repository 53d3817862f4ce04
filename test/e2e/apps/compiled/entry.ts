// The entry of a `bun build --compile` binary: bunfig preloads do not apply
// there, so the preload is installed programmatically, first.
import { install, status } from "asherah-bun-preload/api";
install();
const asherah = require("asherah");
asherah.setup(require("../load.cjs").CONFIG);
console.log(asherah.decrypt_string("p", asherah.encrypt_string("p", "compiled")));
asherah.shutdown();
console.log(JSON.stringify({ phase: status().phase, warmup: status().warmup.status, guarded: status().guarded.length }));
