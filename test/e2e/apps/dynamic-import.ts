export {};
const asherah = await import("asherah");
const api = (asherah as { default?: typeof asherah }).default ?? asherah;
api.setup({ ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" });
const drr = api.encrypt_string("p", "dyn");
if (api.decrypt_string("p", drr) !== "dyn") throw new Error("round trip failed");
api.shutdown();
console.log("OK dynamic-import");
