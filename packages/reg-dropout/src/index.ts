/**
 * @trainkit/reg-dropout — inverted dropout as layers (`Dropout`, `Dropout2d`), as an autograd
 * op, and as a plugin that adds dropout after named layers of an existing model.
 * @packageDocumentation
 */
export { Dropout, Dropout2d } from './dropout';
export { dropout } from './plugin';
export { dropoutOp, dropoutMask } from './dropoutOp';
export type { DropoutPluginOptions } from './plugin';
export { predictMc } from './mcDropout';
export type { McDropoutOptions, McDropoutResult } from './mcDropout';
