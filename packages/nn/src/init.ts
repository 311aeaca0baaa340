import { Rng, type Tensor, ValueError, formatShape } from '@trainkit/tensor';

let defaultRng = new Rng(0);

/**
 * Reseeds the generator layers use when constructed without an explicit `rng`
 * (PyTorch's `torch.manual_seed`). Two models built after the same `manualSeed(s)` in the
 * same order have identical weights.
 */
export function manualSeed(seed: number): void {
  defaultRng = new Rng(seed);
}

/** The generator used by layers constructed without an explicit `rng`. */
export function getDefaultRng(): Rng {
  return defaultRng.stream('init');
}

/** fan_in and fan_out of a weight: [out, in] for linear, [out, in, kh, kw] for conv (PyTorch's convention). */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.rank < 2) throw new ValueError(`init: fan in/out needs a weight of rank ≥ 2, got ${formatShape(t.shape)}`);
  let receptive = 1;
  for (let i = 2; i < t.rank; i++) receptive *= t.shape[i];
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** Gain for a nonlinearity (PyTorch's `calculate_gain`); another name is an error, as in PyTorch. */
export function gain(nonlinearity: 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid', negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
    case 'tanh':
      return 5 / 3;
    case 'linear':
    case 'sigmoid':
      return 1;
    default:
      throw new ValueError(`init: unsupported nonlinearity ${JSON.stringify(nonlinearity)} (supported: linear, relu, leaky_relu, tanh, sigmoid)`);
  }
}

/** Options of {@link kaimingUniform} and {@link kaimingNormal}. */
export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (0 for ReLU). */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: 'relu' | 'leaky_relu' | 'linear';
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = fans(t);
  const mode = o.mode ?? 'fanIn';
  // checked: a misspelt mode (PyTorch's 'fan_in') must not fall through to fan_out
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new ValueError(`init: kaiming mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  const a = o.a ?? 0;
  if (!Number.isFinite(a)) throw new ValueError(`init: kaiming's negative slope a must be a finite number, got ${a}`);
  return gain(o.nonlinearity ?? 'leaky_relu', a) / Math.sqrt(fan);
}

/** A gain given to xavier: finite and ≥ 0 (a NaN one would fill the weight with NaN). */
function checkGain(gainValue: number): number {
  if (!(gainValue >= 0) || !Number.isFinite(gainValue)) throw new ValueError(`init: xavier's gain must be a finite number ≥ 0, got ${gainValue}`);
  return gainValue;
}

/** He/Kaiming uniform: U(−b, b) with b = gain·√(3 / fan). */
export function kaimingUniform(t: Tensor, rng: Rng, options: KaimingOptions = {}): Tensor {
  const b = Math.sqrt(3) * kaimingStd(t, options);
  rng.fillUniform(t.data, -b, b);
  return t;
}

/** He/Kaiming normal: N(0, std²) with std = gain / √fan. */
export function kaimingNormal(t: Tensor, rng: Rng, options: KaimingOptions = {}): Tensor {
  rng.fillNormal(t.data, 0, kaimingStd(t, options));
  return t;
}

/** Xavier/Glorot uniform: U(−b, b) with b = gain·√(6 / (fan_in + fan_out)). */
export function xavierUniform(t: Tensor, rng: Rng, gainValue = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  const b = checkGain(gainValue) * Math.sqrt(6 / (fanIn + fanOut));
  rng.fillUniform(t.data, -b, b);
  return t;
}

/** Xavier/Glorot normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out)). */
export function xavierNormal(t: Tensor, rng: Rng, gainValue = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  rng.fillNormal(t.data, 0, checkGain(gainValue) * Math.sqrt(2 / (fanIn + fanOut)));
  return t;
}

/**
 * PyTorch's default for `nn.Linear` and `nn.Conv2d`: weight from kaiming_uniform with
 * a = √5 (which works out to U(−1/√fan_in, 1/√fan_in)), bias from U(−1/√fan_in, 1/√fan_in).
 */
export function pytorchDefaultInit(weight: Tensor, bias: Tensor | null, rng: Rng): void {
  kaimingUniform(weight, rng, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = fans(weight);
    const b = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    rng.fillUniform(bias.data, -b, b);
  }
}
