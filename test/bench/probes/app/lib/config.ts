export interface AppConfig {
  readonly values: readonly number[];
  readonly label: string;
}
export const config: AppConfig = { values: [1, 2, 3, 4], label: "bench" };
