// Types for the scenario apps. Not a tsconfig "paths" mapping on purpose:
// Bun applies tsconfig paths at run time, which would change how the apps
// resolve "asherah" — the very thing these tests observe.
declare module "asherah" {
  export interface AsherahConfig {
    ServiceName: string;
    ProductID: string;
    Metastore: string;
    KMS: string;
    [key: string]: unknown;
  }
  export function setup(config: AsherahConfig): void;
  export function shutdown(): void;
  export function encrypt(partitionId: string, data: Buffer): string;
  export function decrypt(partitionId: string, dataRowRecord: string): Buffer;
  export function encrypt_string(partitionId: string, data: string): string;
  export function decrypt_string(partitionId: string, dataRowRecord: string): string;
  export function get_setup_status(): boolean;
  const asherah: {
    setup: typeof setup;
    shutdown: typeof shutdown;
    encrypt: typeof encrypt;
    decrypt: typeof decrypt;
    encrypt_string: typeof encrypt_string;
    decrypt_string: typeof decrypt_string;
    get_setup_status: typeof get_setup_status;
  };
  export default asherah;
}

declare module "go-js-entry" {
  export function sha256hex(data: string | Buffer): string;
  export function goVersion(): string;
  const goJs: { sha256hex: typeof sha256hex; goVersion: typeof goVersion };
  export default goJs;
}
