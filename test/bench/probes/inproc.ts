// Inside one process, with or without the preload: when the entry's first
// line runs, RSS and threads then, what the preload recorded about its own
// start-up, how long `asherah-bun-preload/api` warmup() blocks, and what
// loading the Go fixture costs once the warmup is out of the way
// (require, setup, one round trip). Prints one JSON line, then exits.
//   ABP_API      absolute path of the package's dist/api.js; loaded in every
//                variant (bare Bun too) so that each pays for it alike
//   ABP_WARMUP   1: call warmup() before loading asherah (eager and lazy)
//   ABP_LOAD     "full" (require + setup + round trip) or "require" (only the
//                require: an affected Bun without the preload may hang later)
export {};
const entryMicros = Bun.nanoseconds() / 1e3;

// RSS split as the kernel counts it: anonymous (heaps, stacks), file-backed
// (code and data pages of Bun and of mapped libraries, shared with other
// processes that map the same files) and shared memory (e.g. a memfd).
function proc(): { rssKiB: number; anonKiB: number; fileKiB: number; shmemKiB: number; threads: number } {
  const text = require("node:fs").readFileSync("/proc/self/status", "utf8") as string;
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: field("VmRSS"), anonKiB: field("RssAnon"), fileKiB: field("RssFile"), shmemKiB: field("RssShmem"), threads: field("Threads") };
}
// Read /proc before anything else allocates; node:fs is loaded for it in every variant alike.
const atEntry = proc();

type Event = { event: string; atMicros: number };
type State = {
  phase: string;
  timings: { installMicros?: number; coreMicros?: number; signalsMicros?: number };
  events: Event[];
  guarded: { loadMicros: number }[];
};
// The preload's process-wide state (the object status() copies).
const state = (globalThis as unknown as Record<symbol, State | undefined>)[Symbol.for("asherah-bun-preload.state")];
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const atStart = state === undefined ? undefined : copy({ phase: state.phase, timings: state.timings, events: state.events });

type Api = { warmup(): { warmup: { status: string; verifyMicros?: number; dlopenMicros?: number; callMicros?: number } } };
const apiPath = process.env.ABP_API;
if (apiPath === undefined || !apiPath.startsWith("/")) throw new Error("set ABP_API to the absolute path of dist/api.js");
const a0 = Bun.nanoseconds();
const api = require(apiPath) as Api;
const apiLoadMicros = (Bun.nanoseconds() - a0) / 1e3;
let warmupWaitMicros: number | null = null;
let warmup: { status: string; verifyMicros?: number; dlopenMicros?: number; callMicros?: number } | null = null;
if (process.env.ABP_WARMUP === "1" && state?.phase === "installed") {
  const w0 = Bun.nanoseconds();
  warmup = api.warmup().warmup;
  warmupWaitMicros = (Bun.nanoseconds() - w0) / 1e3;
  if (warmup.status !== "done") throw new Error(`warmup() returned with status ${warmup.status}`);
}
const beforeGo = proc();

const config = { ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" };
const t0 = Bun.nanoseconds();
let asherah: any;
try {
  asherah = require("asherah");
} catch (error) {
  // Bun < 1.2 without the preload cannot resolve the fixture's only export condition ("node-addons").
  if (!/Cannot find (package|module)/.test(String((error as Error).message))) throw error;
  asherah = require(`${process.cwd()}/node_modules/asherah/dist/asherah.node`);
}
const t1 = Bun.nanoseconds();
let setupMicros: number | null = null;
let firstRoundTripMicros: number | null = null;
if (process.env.ABP_LOAD !== "require") {
  asherah.setup(config);
  const t2 = Bun.nanoseconds();
  const text = asherah.decrypt_string("p", asherah.encrypt_string("p", "hello"));
  const t3 = Bun.nanoseconds();
  if (text !== "hello") throw new Error("round trip failed");
  setupMicros = (t2 - t1) / 1e3;
  firstRoundTripMicros = (t3 - t2) / 1e3;
}
const afterLoad = proc();

console.log(
  JSON.stringify({
    bun: Bun.version,
    entryMicros,
    atEntry,
    beforeGo,
    afterLoad,
    apiLoadMicros,
    warmupWaitMicros,
    warmup,
    requireMicros: (t1 - t0) / 1e3,
    setupMicros,
    firstRoundTripMicros,
    preload: atStart === undefined ? null : { ...atStart, guarded: copy(state!.guarded), eventsAfter: copy(state!.events) },
  }),
);
// Exit at once: on an affected Bun without the preload a later thread
// suspension can hang; the result is out by then.
if (process.env.ABP_LOAD !== "require") asherah.shutdown();
process.exit(0);
