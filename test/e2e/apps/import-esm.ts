// ESM named import of a package whose entry is a .node file: plain Bun
// refuses it; the preload serves it on Bun >= 1.3.
import { encrypt_string, decrypt_string, setup, shutdown } from "asherah";
import asherahDefault from "asherah";
setup(require("./load.cjs").CONFIG);
const drr = encrypt_string("p", "esm");
if (decrypt_string("p", drr) !== "esm") throw new Error("round trip failed");
if (typeof asherahDefault.encrypt !== "function") throw new Error("default export lacks encrypt");
// Both forms in one process: must be one module instance.
const required = require("asherah");
if (required.get_setup_status() !== true) throw new Error("require() saw a different instance");
shutdown();
console.log("OK import-esm");
