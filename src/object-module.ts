// What a build.module or onLoad callback returns for a CommonJS-shaped module.

export interface ObjectModule {
  loader: "object";
  exports: Record<string, unknown>;
}

/**
 * The module object as Bun's object loader wants it: every own property name,
 * non-enumerable ones included (node-addon-api's Napi::Addon defines the real
 * asherah 3.x exports without napi_enumerable, so Object.keys() is empty and a
 * spread would lose every named import: loading.test.ts "import forms"), and
 * `default` = the module object itself, as Node gives ESM importers of a
 * CommonJS module; a transpiled ES module (__esModule) keeps its own default.
 */
export function asObjectModule(exports: unknown): ObjectModule {
  const served: Record<string, unknown> = {};
  if ((typeof exports === "object" && exports !== null) || typeof exports === "function") {
    const record = exports as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(record)) served[name] = record[name];
    const esModule = record.__esModule === true && "default" in record;
    served.default = esModule ? record.default : exports;
  } else {
    served.default = exports;
  }
  return { loader: "object", exports: served };
}
