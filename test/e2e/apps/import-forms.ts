// Every way to reach asherah in one process: named imports, the default
// import, a dynamic import and require(). The real asherah 3.x (node-addon-api)
// defines its exports non-enumerable, so named imports need every own
// property name served, not Object.keys (object-module.ts asObjectModule).
import { encrypt, decrypt, setup, shutdown } from "asherah";
import asherah from "asherah";
const required = require("asherah");
const dynamic = await import("asherah");
setup(require("./load.cjs").CONFIG);
const drr = encrypt("p", Buffer.from("forms"));
if (decrypt("p", drr).toString() !== "forms") throw new Error("round trip failed");
if (asherah !== required) throw new Error("the default import is not the module object require() returns");
if (dynamic.default !== required || dynamic.encrypt !== encrypt) throw new Error("await import() saw a different module");
if (required.get_setup_status() !== true) throw new Error("require() saw a different instance");
shutdown();
console.log("OK import-forms " + JSON.stringify({ enumerable: Object.keys(required).length, own: Object.getOwnPropertyNames(required).length }));
