// Which guarded package a native file belongs to.

/** The guarded package a file belongs to, judged by its node_modules path segment. */
export function guardedPackageOf(file: string, packages: readonly string[]): string | undefined {
  const normalised = file.replaceAll("\\", "/");
  for (const name of packages) {
    if (normalised.includes(`/node_modules/${name}/`)) return name;
  }
  return undefined;
}
