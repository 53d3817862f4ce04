// bunfig.toml: the small subset of TOML that decides `preload` and
// `[test] preload`. It never throws past parseBunfigPreloads: a line it cannot
// read becomes a warning and the rest of the file still counts. Arrays and
// inline tables nest at most MAX_DEPTH levels (a file nested 50,000 levels
// deep overflowed the stack: test/unit/doctor-hardening.test.ts).

/** Deeper than any real bunfig; shallow enough for any stack. */
export const MAX_DEPTH = 64;

export interface BunfigPreloads {
  /** Top-level `preload` (bun run / bun <file>); undefined when absent. */
  readonly run: readonly string[] | undefined;
  /** `[test] preload` (bun test ignores the top-level one). */
  readonly test: readonly string[] | undefined;
  /** Lines that could not be read; the rest of the file is still used. */
  readonly warnings: readonly string[];
}

type TomlValue = string | TomlValue[] | { [key: string]: TomlValue } | { readonly other: string };

interface Token {
  readonly kind: "nl" | "[" | "]" | "=" | "," | "{" | "}" | "string" | "bare";
  readonly text: string;
  readonly line: number;
}

class TomlError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

function unescapeBasic(body: string, line: number): string {
  return body.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, esc: string) => {
    switch (esc[0]) {
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "u":
      case "U":
        return String.fromCodePoint(parseInt(esc.slice(1), 16));
      default:
        throw new TomlError(line, `unknown escape \\${esc}`);
    }
  });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      tokens.push({ kind: "nl", text: c, line });
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if ("[]=,{}".includes(c)) {
      tokens.push({ kind: c as Token["kind"], text: c, line });
      i++;
    } else if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      let body = "";
      for (;;) {
        if (j >= text.length || (!triple && text[j] === "\n")) throw new TomlError(line, "unterminated string");
        if (text.startsWith(quote, j)) break;
        if (c === '"' && text[j] === "\\") {
          body += text.slice(j, j + 2);
          j += 2;
          continue;
        }
        if (text[j] === "\n") line++;
        body += text[j];
        j++;
      }
      if (triple && body.startsWith("\n")) body = body.slice(1);
      tokens.push({ kind: "string", text: c === '"' ? unescapeBasic(body, line) : body, line });
      i = j + quote.length;
    } else {
      // Bare keys and scalars (numbers, booleans, dates); dotted keys are split by the parser.
      let j = i;
      while (j < text.length && !/[\s#\[\]=,{}"']/.test(text[j]!)) j++;
      if (j === i) throw new TomlError(line, `unexpected character ${JSON.stringify(c)}`);
      tokens.push({ kind: "bare", text: text.slice(i, j), line });
      i = j;
    }
  }
  return tokens;
}

/** Parses bunfig.toml's `preload` and `[test] preload`; never throws. */
export function parseBunfigPreloads(text: string): BunfigPreloads {
  try {
    return parsePreloads(text);
  } catch (error) {
    // A bug or an exhausted stack must not take the doctor down with it.
    return { run: undefined, test: undefined, warnings: [`the file could not be read as TOML: ${(error as Error)?.message ?? String(error)}`] };
  }
}

function parsePreloads(text: string): BunfigPreloads {
  const issues: { line: number; text: string }[] = [];
  const found = new Map<string, TomlValue>();
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (error) {
    // A broken string somewhere: read line by line so the other lines still count.
    if (!(error instanceof TomlError)) throw error;
    tokens = [];
    for (const [index, raw] of text.split("\n").entries()) {
      try {
        for (const t of tokenize(raw)) tokens.push({ ...t, line: index + 1 });
      } catch (lineError) {
        issues.push({ line: index + 1, text: (lineError as Error).message });
      }
      tokens.push({ kind: "nl", text: "\n", line: index + 1 });
    }
  }
  let pos = 0;
  let table: string[] = [];
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (kind: Token["kind"]) => {
    const token = next();
    if (token === undefined || token.kind !== kind) throw new TomlError(token?.line ?? 0, `expected "${kind}"${token ? `, found ${JSON.stringify(token.text)}` : " at end of file"}`);
    return token;
  };
  const skipNewlines = () => {
    while (peek()?.kind === "nl") pos++;
  };
  // a, a.b, "a".b, a."b.c": quoted parts are one segment, bare ones split at dots.
  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      const token = next();
      if (token === undefined || (token.kind !== "bare" && token.kind !== "string")) throw new TomlError(token?.line ?? 0, "expected a key");
      if (token.kind === "string") parts.push(token.text);
      else parts.push(...token.text.split(".").filter((part) => part !== ""));
      const after = peek();
      const joined = token.kind === "bare" && token.text.endsWith(".");
      if (joined || (after?.kind === "bare" && after.text.startsWith("."))) continue;
      if (parts.length === 0) throw new TomlError(token.line, "expected a key");
      return parts;
    }
  };
  const value = (depth: number): TomlValue => {
    const token = next();
    if (depth > MAX_DEPTH) throw new TomlError(token?.line ?? 0, `arrays or tables nested deeper than ${MAX_DEPTH} levels`);
    if (token === undefined) throw new TomlError(0, "expected a value at end of file");
    if (token.kind === "string") return token.text;
    if (token.kind === "bare") return { other: token.text };
    if (token.kind === "[") {
      const items: TomlValue[] = [];
      for (;;) {
        skipNewlines();
        if (peek()?.kind === "]") {
          pos++;
          return items;
        }
        items.push(value(depth + 1));
        skipNewlines();
        const sep = next();
        if (sep?.kind === "]") return items;
        if (sep?.kind !== ",") throw new TomlError(sep?.line ?? token.line, "expected \",\" or \"]\" in an array");
      }
    }
    if (token.kind === "{") {
      const table: { [key: string]: TomlValue } = {};
      if (peek()?.kind === "}") {
        pos++;
        return table;
      }
      for (;;) {
        const path = key();
        expect("=");
        setPath(table, path, value(depth + 1), token.line);
        const sep = next();
        if (sep?.kind === "}") return table;
        if (sep?.kind !== ",") throw new TomlError(sep?.line ?? token.line, "expected \",\" or \"}\" in an inline table");
      }
    }
    throw new TomlError(token.line, `unexpected ${JSON.stringify(token.text)}`);
  };
  const setPath = (target: { [key: string]: TomlValue }, path: string[], v: TomlValue, line: number) => {
    let node = target;
    for (const part of path.slice(0, -1)) {
      const child = node[part];
      if (child === undefined) node = node[part] = {};
      else if (typeof child === "object" && !Array.isArray(child) && !("other" in child)) node = child as { [key: string]: TomlValue };
      else throw new TomlError(line, `${path.join(".")} is defined twice`);
    }
    node[path[path.length - 1]!] = v;
  };
  const record = (path: string[], v: TomlValue) => {
    // Flatten inline tables so `test = { preload = [...] }` counts too.
    if (typeof v === "object" && !Array.isArray(v) && !("other" in v)) {
      for (const [k, child] of Object.entries(v)) record([...path, k], child);
      return;
    }
    found.set(path.join("\u0000"), v);
  };

  while (pos < tokens.length) {
    const start = pos;
    try {
      skipNewlines();
      const token = peek();
      if (token === undefined) break;
      if (token.kind === "[") {
        pos++;
        const arrayTable = peek()?.kind === "[";
        if (arrayTable) pos++;
        const path = key();
        expect("]");
        if (arrayTable) expect("]");
        // An array of tables holds no preload bunfig knows; keep its name distinct.
        table = arrayTable ? [`[[${path.join(".")}]]`] : path;
      } else {
        const path = key();
        expect("=");
        record([...table, ...path], value(1));
      }
      const end = next();
      if (end !== undefined && end.kind !== "nl") throw new TomlError(end.line, `unexpected ${JSON.stringify(end.text)} after a value`);
    } catch (error) {
      if (!(error instanceof TomlError)) throw error;
      issues.push({ line: error.line || tokens[start]?.line || 0, text: error.message });
      // Resynchronise at the next line.
      while (pos < tokens.length && tokens[pos]!.kind !== "nl") pos++;
    }
  }

  const warnings = issues.sort((a, b) => a.line - b.line).map((issue) => `line ${issue.line || "?"}: ${issue.text}`);
  const list = (path: string[]): string[] | undefined => {
    const v = found.get(path.join("\u0000"));
    if (v === undefined) return undefined;
    if (typeof v === "string") return [v];
    if (Array.isArray(v) && v.every((item): item is string => typeof item === "string")) return v;
    warnings.push(`${path.join(".")} is not a string or an array of strings; Bun will not accept it`);
    return [];
  };
  return { run: list(["preload"]), test: list(["test", "preload"]), warnings };
}
