// A small application: a few local modules, node:fs and node:path, one line of output.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { greet } from "./lib/greet.ts";
import { total } from "./lib/math.ts";
import { config } from "./lib/config.ts";

const manifest = JSON.parse(readFileSync(join(import.meta.dir, "package.json"), "utf8")) as { name: string };
console.log(greet(manifest.name), total(config.values));
