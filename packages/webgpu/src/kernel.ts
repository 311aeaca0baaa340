import type { GpuContext } from './context';
import { WebGpuUnsupportedError } from './errors';

/** A field of a kernel's uniform struct `p`; every field is 4 bytes. */
export type UniformField = readonly [name: string, type: 'u32' | 'i32' | 'f32'];
/** A storage binding: its WGSL name, access and element type. */
export type BufferBinding = readonly [name: string, access: 'read' | 'read_write', type: 'f32' | 'u32' | 'atomic<u32>'];

/** A WGSL compute kernel: its storage bindings, uniforms and body (which defines `fn main`). */
export interface KernelDef {
  readonly name: string;
  readonly buffers: readonly BufferBinding[];
  readonly uniforms: readonly UniformField[];
  /** WGSL after the generated bindings and `struct P`; reads the uniforms as `p.<name>`. */
  readonly body: string;
}

/** The full WGSL source of a kernel: storage bindings 0…k−1, then the uniforms at binding k. */
export function wgslOf(k: KernelDef): string {
  const fields = k.uniforms.map(([n, t]) => `  ${n}: ${t},`).join('\n');
  const bindings = k.buffers.map(([n, access, t], i) => `@group(0) @binding(${i}) var<storage, ${access}> ${n}: array<${t}>;`).join('\n');
  return `struct P {\n${fields}\n}\n${bindings}\n@group(0) @binding(${k.buffers.length}) var<uniform> p: P;\n${k.body}`;
}

/**
 * NaN and ±∞ from their bits (a constant NaN or ∞ is a WGSL error, so `special` ties the value to
 * a run-time `x`), and tests on the bits: WGSL lets a compiler assume that x == x and that no
 * float is infinite, and leaves exp, log, sqrt, pow and max of NaN, negatives or ±∞ undefined.
 */
export const SPECIALS = `
const NAN_BITS = 0x7fc00000u;
const INF_BITS = 0x7f800000u;
fn special(bits: u32, x: f32) -> f32 { return bitcast<f32>(bits | (bitcast<u32>(x) & 0u)); }
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > INF_BITS; }
fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == INF_BITS; }`;

/** Workgroups for `n` threads of a 256-wide 1-D kernel, folded into y past the 65535 limit of x. */
export function grid1d(n: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / 256));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}

/** WGSL prologue of a 1-D kernel: the flat thread index `i`, returning past `bound`. */
export const INDEX_1D = (bound: string): string =>
  `let i = gid.x + gid.y * nwg.x * 256u;\n  if (i >= ${bound}) { return; }`;
/** The entry point signature matching {@link INDEX_1D}. */
export const MAIN_1D = '@compute @workgroup_size(256)\nfn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)';

/**
 * One recorded dispatch of a kernel on fixed buffers: its bind group and uniform buffer are made
 * once, so a training step replays it without allocating; {@link Dispatch.setUniforms} changes
 * scalars (a learning rate, a step count) between submissions.
 */
export class Dispatch {
  private readonly pipeline: GPUComputePipeline;
  private readonly bindGroup: GPUBindGroup;
  private readonly uniformBuffer: GPUBuffer;
  private readonly values: Record<string, number>;

  constructor(
    readonly ctx: GpuContext,
    readonly kernel: KernelDef,
    buffers: readonly GPUBuffer[],
    uniforms: Readonly<Record<string, number>>,
    readonly workgroups: readonly [number, number, number],
  ) {
    if (buffers.length !== kernel.buffers.length) {
      throw new Error(`webgpu kernel ${kernel.name}: expected ${kernel.buffers.length} buffers (${kernel.buffers.map((b) => b[0]).join(', ')}), got ${buffers.length}`);
    }
    if (workgroups.some((n) => n > ctx.maxWorkgroups)) {
      // the device would reject the dispatch (and with it the whole step) at submission
      throw new WebGpuUnsupportedError(
        `webgpu kernel ${kernel.name}: ${workgroups.join('×')} workgroups exceed the device's limit of ${ctx.maxWorkgroups} per dimension; use a smaller batch or layer, or train on the CPU`,
      );
    }
    this.pipeline = ctx.pipeline(wgslOf(kernel));
    this.values = { ...uniforms };
    const bytes = Math.max(16, Math.ceil((kernel.uniforms.length * 4) / 16) * 16);
    this.uniformBuffer = ctx.device.createBuffer({ size: bytes, usage: 0x40 /* UNIFORM */ | 0x08 /* COPY_DST */ });
    this.upload();
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({ binding: buffers.length, resource: { buffer: this.uniformBuffer } });
    this.bindGroup = ctx.device.createBindGroup({ layout: this.pipeline.getBindGroupLayout(0), entries });
  }

  /** Changes some uniforms; the new values apply to submissions after this call. */
  setUniforms(values: Readonly<Record<string, number>>): void {
    Object.assign(this.values, values);
    this.upload();
  }

  private upload(): void {
    const u = this.kernel.uniforms;
    const view = new DataView(new ArrayBuffer(Math.max(16, Math.ceil((u.length * 4) / 16) * 16)));
    u.forEach(([name, type], i) => {
      const v = this.values[name];
      if (v === undefined || !Number.isFinite(v)) throw new Error(`webgpu kernel ${this.kernel.name}: uniform "${name}" is ${v}, expected a finite number`);
      if (type === 'f32') view.setFloat32(i * 4, v, true);
      else if (type === 'i32') view.setInt32(i * 4, v, true);
      else view.setUint32(i * 4, v, true);
    });
    this.ctx.writeUniforms(this.uniformBuffer, new Uint8Array(view.buffer));
  }

  encode(pass: GPUComputePassEncoder): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(...this.workgroups);
  }

  /** Frees the uniform buffer (the storage buffers belong to the caller). */
  dispose(): void {
    this.uniformBuffer.destroy();
  }
}

/** Encodes `dispatches` in order into one compute pass and submits it as one command buffer. */
export function submit(ctx: GpuContext, dispatches: readonly Dispatch[], where: string): void {
  ctx.beforeQueue?.(); // eager ops collected so far go first
  ctx.check(where);
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (const d of dispatches) d.encode(pass);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
}
