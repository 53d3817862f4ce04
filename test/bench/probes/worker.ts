// Worker start-up inside one process: the time from `new Worker(file)` to
// its first message, for a first and a second Worker, on the main thread's
// clock. With the preload (Bun >= 1.1) each Worker runs the preload's entry
// first (src/workers.ts adds it to the Worker's options). The Worker reports
// what its own copy of the preload recorded. Prints one JSON line, then exits.
//   ABP_WARMUP=1 + ABP_API (absolute path of dist/api.js): wait for the Go
//   warmup first, so that its start does not compete with the Workers'.
//   ABP_WORKER_PRELOAD (an absolute path): passed as each Worker's own
//   `preload` option, the way src/workers.ts passes the package's entry (the
//   bench passes the empty preload: what Bun charges any preload in a Worker).
export {};
const file = `${import.meta.dir}/worker-child.js`;
const workerPreload = process.env.ABP_WORKER_PRELOAD;
if (workerPreload !== undefined && !workerPreload.startsWith("/")) throw new Error("ABP_WORKER_PRELOAD must be an absolute path");
const options = workerPreload === undefined ? undefined : { preload: [workerPreload] };
if (process.env.ABP_WARMUP === "1") {
  const api = process.env.ABP_API;
  if (api === undefined || !api.startsWith("/")) throw new Error("ABP_WARMUP=1 needs ABP_API, the absolute path of dist/api.js");
  (require(api) as { warmup(): unknown }).warmup();
}

type Reply = { phase: string | null; installMicros: number | null; coreMicros: number | null };

async function startOne(): Promise<{ constructMicros: number; firstMessageMicros: number; reply: Reply }> {
  const t0 = Bun.nanoseconds();
  const worker = new Worker(file, options);
  const t1 = Bun.nanoseconds();
  const reply = await new Promise<Reply>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent) => resolve(event.data as Reply);
    worker.onerror = (event: ErrorEvent) => reject(new Error(`worker failed: ${event.message}`));
  });
  const t2 = Bun.nanoseconds();
  return { constructMicros: (t1 - t0) / 1e3, firstMessageMicros: (t2 - t0) / 1e3, reply };
}

const first = await startOne();
const second = await startOne();
console.log(JSON.stringify({ bun: Bun.version, first, second }));
// Exit without terminating the Workers one by one: what is measured is their start.
process.exit(0);
