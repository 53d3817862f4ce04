// A package whose entry is JavaScript and which loads its Go addon later.
export {};
const pkg = require("go-js-entry");
const { status } = require("asherah-bun-preload/api");
console.log("RESULT " + JSON.stringify(Object.keys(pkg)));
console.log("STATUS " + JSON.stringify({ warmup: status().warmup.status, guarded: status().guarded }));
console.log("OK js-entry");
