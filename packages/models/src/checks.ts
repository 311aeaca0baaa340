import { ShapeError, type Tensor, ValueError, formatShape } from '@trainkit/tensor';

/**
 * Refuses options a builder does not know (a misspelt or snake_case name such as `num_classes`,
 * or a torchvision option without an equivalent here such as `dropout`), which would otherwise be
 * ignored and leave the default in place. Keys whose value is `undefined` are let through.
 */
export function checkOptions(builder: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${builder}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !known.includes(k) && (options as Record<string, unknown>)[k] !== undefined);
  if (unknown.length > 0) {
    throw new ValueError(`${builder}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (supported: ${known.join(', ')})`);
  }
}

/** The value when it is a positive integer; otherwise an error naming the builder and the option. */
export function positiveInt(builder: string, name: string, value: number | undefined): number {
  if (value === undefined || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(`${builder}: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Throws unless x is an image batch [N, channels, H, W] (`model` names the model in the message). */
export function checkImages(model: string, x: Tensor, channels: number): void {
  if (x.rank !== 4 || x.shape[1] !== channels) {
    throw new ShapeError(`${model}: expected images [N, ${channels}, H, W], got ${formatShape(x.shape)}`);
  }
}

/**
 * Python's `round(v)` (ties to the even integer), which torchvision applies to MobileNet's
 * `inp * expand_ratio` and the PyTorch definitions in tools/compare to ViT's `dim * mlp_ratio`:
 * 12.5 → 12, 13.5 → 14, where `Math.round` gives 13 and 14. (timm truncates instead.)
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
