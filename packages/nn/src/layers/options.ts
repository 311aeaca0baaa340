import { ValueError } from '@trainkit/tensor';

/**
 * Refuses options a layer does not know, so a PyTorch option without an equivalent here
 * (`ceilMode`, `countIncludePad`, `trackRunningStats`, `paddingMode`, `dropout`, …) or a
 * misspelt one fails where the layer is built instead of being silently ignored. Keys whose
 * value is `undefined` are let through (an options object built from optional fields).
 */
export function checkOptions(layer: string, options: object | null | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${layer}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !known.includes(k) && (options as Record<string, unknown>)[k] !== undefined);
  if (unknown.length > 0) {
    throw new ValueError(
      `${layer}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (supported: ${known.join(', ')}); ` +
        'an option it does not support is refused rather than ignored',
    );
  }
}
