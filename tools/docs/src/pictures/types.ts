/**
 * A picture generator: one file under docs/public/pictures/, made by code from real data
 * or a real training run, never drawn by hand. `npm run pictures` runs every generator.
 *
 * Other workspaces contribute their own pictures (the optimizer trajectories, the
 * augmentation preview grid, …) without touching this package: a file `pictures.ts` at the
 * root of any workspace (next to its package.json) that exports
 * `pictures: PictureGenerator[]` is picked up (the type is structural; no import needed).
 */
export interface PictureGenerator {
  /** File name under docs/public/pictures/, e.g. `training-curves.svg`. */
  file: string;
  /** One line: what the picture shows and where its data comes from. */
  description: string;
  /** The file's contents: an SVG string or PNG bytes. */
  generate(): Promise<string | Uint8Array> | string | Uint8Array;
}
