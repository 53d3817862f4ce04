// The shape of the doctor's report (also its --json output).
import type { Config } from "../config.ts";
import type { Libc, PlatformKey } from "../platform.ts";
import type { BunfigReport } from "./bunfig.ts";
import type { GoScanReport } from "./go-scan.ts";
import type { ProjectEnv } from "./dotenv.ts";
import type { LibraryReport } from "./libraries.ts";
import type { NativeFileReport } from "./native-files.ts";
import type { PermissionIssue } from "./permissions.ts";
import type { SignalsReport } from "./signals.ts";

export type Level = "error" | "warn" | "info";

export interface Finding {
  readonly level: Level;
  readonly code: string;
  readonly message: string;
}

export interface PackageReport {
  readonly name: string;
  readonly resolved: boolean;
  readonly root?: string;
  readonly entry?: string;
  readonly version?: string;
  /** Why its package.json was not read (a directory, a FIFO, too large, not JSON). */
  readonly problem?: string;
  readonly nativeFiles: readonly NativeFileReport[];
}

export interface LibraryDirReport {
  /** ASHERAH_BUN_PRELOAD_LIBRARY_DIR as set. */
  readonly path: string;
  readonly real?: string;
  readonly exists: boolean;
  /** The folder lies inside the directory checked (a project's .env can point there). */
  readonly insideProject: boolean;
  readonly permissions: readonly PermissionIssue[];
}

export interface ProjectEnvReport extends ProjectEnv {
  /** The doctor started in the checked folder, so Bun loaded these files into its environment itself. */
  readonly loadedByBun: boolean;
}

export interface DoctorFacts {
  readonly tool: { readonly name: string; readonly version: string; readonly root: string };
  readonly cwd: string;
  readonly bun: {
    readonly version: string;
    readonly path: string;
    readonly affected: boolean;
    /** The signal JavaScriptCore suspends threads with on this Bun (Linux). */
    readonly suspendSignal: "SIGPWR" | "SIGUSR1" | undefined;
    readonly fixedIn: string;
    /**
     * The start path's bytecode cache: the Bun release it was built with
     * (this package's pinned Bun), whether the file is there, and whether
     * this Bun uses it (docs/how-it-works.md, "The start bundle's bytecode").
     */
    readonly startBytecode?: {
      readonly path: string;
      readonly builtFor: string | undefined;
      readonly present: boolean;
      readonly used: boolean;
      /** What the path is when it is there but not a regular file ("a FIFO", …): Bun would block on it or read it without end. */
      readonly notRegular?: string;
    };
  };
  readonly platform: PlatformKey & { readonly libc: Libc; readonly supported: boolean; readonly problem?: string; readonly prebuildDir?: string };
  readonly config: { readonly valid: boolean; readonly error?: string; readonly values?: Config };
  readonly projectEnv?: ProjectEnvReport;
  readonly libraryDir?: LibraryDirReport;
  readonly libraries: readonly LibraryReport[];
  readonly bunfig: BunfigReport;
  readonly packages: readonly PackageReport[];
  /** Go runtimes under the reachable node_modules folders other than in the resolved copies above. */
  readonly goScan?: GoScanReport;
  readonly signals: SignalsReport;
}

export interface DoctorReport extends DoctorFacts {
  readonly findings: readonly Finding[];
  readonly verdict: { readonly status: "ok" | "warn" | "error"; readonly summary: string };
  /** 0 nothing would break, 1 something would break, 3 warnings only. */
  readonly exitCode: number;
}
