export {};
// The Go module used inside a Worker, then the Worker terminated: Workers get
// no preload and no plugins, so only process-wide repairs can protect them.
const worker = new Worker(new URL("./worker-child.ts", import.meta.url).href, { env: process.env } as WorkerOptions);
const result = await new Promise<string>((resolve, reject) => {
  worker.onmessage = (event) => resolve(String(event.data));
  worker.onerror = (event) => reject(new Error(String((event as ErrorEvent).message)));
});
if (!result.startsWith("ok")) throw new Error(`worker said: ${result}`);
worker.terminate();
await new Promise((r) => setTimeout(r, 50));
Bun.gc(true);
console.log(`OK worker ${process.env.ABP_PATH || "napi"} (${result})`);
