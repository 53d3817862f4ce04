export {};
const asherah = await import("asherah");
const api = ("default" in asherah ? asherah.default : asherah) as typeof import("asherah");
api.setup(require("./load.cjs").CONFIG);
const drr = api.encrypt_string("p", "dyn");
if (api.decrypt_string("p", drr) !== "dyn") throw new Error("round trip failed");
api.shutdown();
console.log("OK dynamic-import");
