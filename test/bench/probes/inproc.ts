// Inside one process, with or without the preload: when the entry's first
// line runs, RSS and threads then, what the preload recorded about its own
// start-up, and what loading the Go fixture (require + setup + one round
// trip) costs. Prints one JSON line. Runs on every Bun from 1.0.36.
export {};
const entryMicros = Bun.nanoseconds() / 1e3;

function proc(): { rssKiB: number; threads: number } {
  const text = require("node:fs").readFileSync("/proc/self/status", "utf8") as string;
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: field("VmRSS"), threads: field("Threads") };
}
// Read /proc before anything else allocates; node:fs is loaded for it in every variant alike.
const atEntry = proc();

type State = {
  phase: string;
  timings: { installMicros?: number; signalsMicros?: number };
  warmup: { status: string; dlopenMicros?: number; callMicros?: number };
  events: { event: string; atMicros: number; detail: string }[];
  guarded: { loadMicros: number; via: string; goRuntime: boolean }[];
  repairs: { signal: string }[];
};
// The preload's process-wide state (the object status() copies), read without loading api.ts.
const state = (globalThis as unknown as Record<symbol, State | undefined>)[Symbol.for("asherah-bun-preload.state")];
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const before = state === undefined ? undefined : copy({ phase: state.phase, timings: state.timings, warmup: state.warmup, events: state.events });

const config = { ServiceName: "svc", ProductID: "prod", Metastore: "memory", KMS: "static" };
const t0 = Bun.nanoseconds();
let asherah: any;
try {
  asherah = require("asherah");
} catch (error) {
  // Bun < 1.2 without the preload cannot resolve asherah's only export condition ("node-addons").
  if (!/Cannot find (package|module)/.test(String((error as Error).message))) throw error;
  asherah = require(require("node:path").join(process.cwd(), "node_modules", "asherah", "dist", "asherah.node"));
}
const t1 = Bun.nanoseconds();
asherah.setup(config);
const t2 = Bun.nanoseconds();
const text = asherah.decrypt_string("p", asherah.encrypt_string("p", "hello"));
const t3 = Bun.nanoseconds();
if (text !== "hello") throw new Error("round trip failed");
const afterLoad = proc();
asherah.shutdown();

console.log(
  JSON.stringify({
    bun: Bun.version,
    entryMicros,
    atEntry,
    afterLoad,
    requireMicros: (t1 - t0) / 1e3,
    setupMicros: (t2 - t1) / 1e3,
    firstRoundTripMicros: (t3 - t2) / 1e3,
    loadToFirstResultMicros: (t3 - t0) / 1e3,
    preload: before === undefined ? null : { ...before, guarded: copy(state!.guarded), repairs: copy(state!.repairs), eventsAfter: copy(state!.events) },
  }),
);
