// Imports 2,000 generated modules (ABP_KIND=esm|cjs from ABP_MODS) and prints
// the time it took plus what they computed, so the runner can check that
// every module ran its own code. Prints one JSON line.
export {};
const kind = process.env.ABP_KIND;
const dir = process.env.ABP_MODS;
if (dir === undefined || (kind !== "esm" && kind !== "cjs")) throw new Error("set ABP_KIND=esm|cjs and ABP_MODS");
type Mod = { id: number; tag: string; compute: (x: number) => number };
const cpu = () => {
  const u = typeof process.cpuUsage === "function" ? process.cpuUsage() : undefined;
  return u === undefined ? Number.NaN : u.user + u.system;
};
const c0 = cpu();
const t0 = Bun.nanoseconds();
const mods: Mod[] = kind === "esm" ? (await import(`${dir}/index.mjs`)).results : require(`${dir}/index.cjs`).results;
const t1 = Bun.nanoseconds();
const c1 = cpu();
let checksum = 0;
let misplaced = 0;
mods.forEach((mod, index) => {
  if (mod.id !== index) misplaced++;
  checksum = (checksum + mod.compute(index) + mod.id + mod.tag.length) % 4294967296;
});
console.log(JSON.stringify({ kind, count: mods.length, misplaced, checksum, loadMicros: (t1 - t0) / 1e3, loadCpuMicros: c1 - c0, entryMicros: t0 / 1e3 }));
