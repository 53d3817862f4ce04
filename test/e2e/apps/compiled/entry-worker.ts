// The entry of a `bun build --compile` binary that starts a Worker after
// installing the preload: no file of the package exists inside the binary to
// preload in the Worker, so the Worker runs without it (the process-wide
// suspend-handler wrapper still covers it) instead of failing to start.
import { install, status } from "asherah-bun-preload/api";
install();
const worker = new Worker(URL.createObjectURL(new Blob(["postMessage('ready')"], { type: "application/javascript" })));
worker.onmessage = (event) => {
  console.log(JSON.stringify({ worker: event.data, phase: status().phase, workers: status().hooks.workers }));
  worker.terminate();
};
