import type { Options } from 'tsup';

/** Shared tsup settings: ESM + CJS + .d.ts for every entry in `entry`. */
export function preset(entry: string[]): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    outDir: 'dist',
  };
}
