// A guarded package whose entry is CommonJS JavaScript, reached by ESM
// default + named imports and by require() in one process.
import goJs, { sha256hex } from "go-js-entry";
const required = require("go-js-entry");
// One evaluation of the package: the same functions behind both forms.
if (required.sha256hex !== goJs.sha256hex || sha256hex !== goJs.sha256hex) throw new Error("require() and import saw different instances");
const digest = sha256hex("abc");
if (digest !== "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") throw new Error(`wrong sha256: ${digest}`);
const { status } = require("asherah-bun-preload/api");
console.log("STATUS " + JSON.stringify({ events: status().events }));
console.log("OK js-entry-forms");
