// asherah loaded by a dependency, not by the application.
export {};
const consumer = require("asherah-consumer");
const out = consumer.roundTrip("p", "transitive");
if (out !== "transitive") throw new Error(`round trip failed: ${out}`);
const { status } = require("asherah-bun-preload/api");
console.log("GUARDED " + JSON.stringify(status().guarded.map((g: { packageName: string }) => g.packageName)));
console.log("OK transitive");
