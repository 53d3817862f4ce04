export {};
declare var self: Worker;
const { load, roundTrip } = require("./load.cjs");
try {
  const api = load();
  api.setup();
  for (let i = 0; i < 10; i++) roundTrip(api, `w${i % 2}`, `from worker ${i}`);
  api.shutdown();
  postMessage("ok 10 round trips");
} catch (error) {
  postMessage(`error: ${(error as Error).message}`);
}
