// The Worker of probes/worker.ts: reports what the preload's copy in this
// Worker recorded (nothing without the preload), as its first message.
const state = globalThis[Symbol.for("asherah-bun-preload.state")];
postMessage({
  phase: state?.phase ?? null,
  installMicros: state?.timings?.installMicros ?? null,
  coreMicros: state?.timings?.coreMicros ?? null,
});
