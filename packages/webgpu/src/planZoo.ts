import { BasicBlock, ResNet, TransformerBlock, VisionTransformer } from '@trainkit/models';
import { type Module, MultiheadAttention, Sequential } from '@trainkit/nn';
import { formatShape } from '@trainkit/tensor';
import { WebGpuUnsupportedError } from './errors';
import type { LayerPlan } from './plan';

// The GPU plans of @trainkit/models' networks whose forward is not a Sequential: ResNet with
// its BasicBlocks, and the VisionTransformer with its TransformerBlocks. Each follows the
// model's own forward, layer by layer; a subclass with another forward is refused by prototype.

/** What the zoo planners need from the model walk in plan.ts: the current per-sample shape, the recursive visit, and the leaf-layer planner. */
export interface Planner {
  shape: number[];
  visit(m: Module, path: string, into: LayerPlan[]): void;
  leaf(m: Module, path: string, where: string, shape: number[], into: LayerPlan[]): number[];
}

/** Whether the top-level model is one the zoo planners take. */
export function isZooModel(m: Module): boolean {
  const proto = Object.getPrototypeOf(m);
  return proto === ResNet.prototype || proto === VisionTransformer.prototype;
}

/** Plans `m` when it is a zoo model or block (returns true), else leaves it to the leaf planner (false). */
export function planZooModule(p: Planner, m: Module, path: string, where: string, plan: LayerPlan[]): boolean {
  const proto = Object.getPrototypeOf(m);
  const child = (name: string, c: Module, into = plan) => p.visit(c, path === '' ? name : `${path}.${name}`, into);
  if (proto === ResNet.prototype) {
    const r = m as ResNet;
    child('conv1', r.conv1);
    child('bn1', r.bn1);
    plan.push({ kind: 'relu', path: path === '' ? 'bn1' : `${path}.bn1`, shape: p.shape });
    for (const name of ['layer1', 'layer2', 'layer3'] as const) child(name, r[name]);
    if (p.shape.length !== 3) throw new WebGpuUnsupportedError(`webgpu: ${where} pools ${formatShape(p.shape)} globally, expected [C, H, W]`);
    const out = [p.shape[0]];
    plan.push({ kind: 'gap', path: 'globalAvgPool2d', inShape: p.shape, outShape: out });
    p.shape = out;
    child('fc', r.fc);
  } else if (proto === BasicBlock.prototype) {
    planBasicBlock(p, m as BasicBlock, path, where, plan);
  } else if (proto === VisionTransformer.prototype) {
    const v = m as VisionTransformer;
    child('patch_embed', v.patch_embed);
    const [E, h, w] = p.shape;
    const tokens = [h * w + 1, E];
    // the CPU forward refuses images of another size; on the GPU they would index past pos_embed
    if (p.shape.length !== 3 || v.cls_token.size !== E || v.pos_embed.size !== tokens[0] * E) {
      throw new WebGpuUnsupportedError(
        `webgpu: ${where}: the patch embedding gives ${formatShape(p.shape)} per sample (${tokens[0]} tokens with the class token), but pos_embed is ` +
          `${formatShape(v.pos_embed.shape)} and cls_token ${formatShape(v.cls_token.shape)}: the model was built for another image size`,
      );
    }
    plan.push({ kind: 'tokens', path: 'cls_token, pos_embed', cls: v.cls_token, pos: v.pos_embed, inShape: p.shape, shape: tokens });
    p.shape = tokens;
    child('blocks', v.blocks);
    child('norm', v.norm);
    plan.push({ kind: 'pick', path: 'class token', inShape: p.shape, shape: [E] });
    p.shape = [E];
    child('head', v.head);
  } else if (proto === TransformerBlock.prototype) {
    planTransformerBlock(p, m as TransformerBlock, path, where, plan);
  } else {
    return false;
  }
  return true;
}

/** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)): a residual of the two paths, then the ReLU. */
function planBasicBlock(p: Planner, blk: BasicBlock, path: string, where: string, plan: LayerPlan[]): void {
  const input = p.shape;
  const main: LayerPlan[] = [];
  const sub = (name: string, c: Module, into: LayerPlan[]) => p.visit(c, `${path}.${name}`, into);
  sub('conv1', blk.conv1, main);
  sub('bn1', blk.bn1, main);
  main.push({ kind: 'relu', path: `${path}.bn1`, shape: p.shape });
  sub('conv2', blk.conv2, main);
  sub('bn2', blk.bn2, main);
  const out = p.shape;
  p.shape = input;
  const shortcut: LayerPlan[] = [];
  if (blk.downsample !== null) sub('downsample', blk.downsample, shortcut);
  if (formatShape(p.shape) !== formatShape(out)) throw new WebGpuUnsupportedError(`webgpu: ${where}: the shortcut gives ${formatShape(p.shape)}, the main path ${formatShape(out)}`);
  plan.push({ kind: 'residual', path, main, shortcut, inShape: input, shape: out });
  plan.push({ kind: 'relu', path, shape: out });
}

/** x + attn(norm1(x)), then h + mlp(norm2(h)) with the MLP applied to every token: two residuals with identity shortcuts. */
function planTransformerBlock(p: Planner, blk: TransformerBlock, path: string, where: string, plan: LayerPlan[]): void {
  const input = p.shape;
  const [T, E] = input;
  const attn = blk.attn;
  if (Object.getPrototypeOf(attn) !== MultiheadAttention.prototype || attn.hasForwardHooks || attn.out_proj.hasForwardHooks) {
    throw new WebGpuUnsupportedError(`webgpu: layer "${path}.attn" (${attn.constructor.name}) is not a plain MultiheadAttention without hooks; train this model on the CPU`);
  }
  if (input.length !== 2 || attn.embedDim !== E) {
    throw new WebGpuUnsupportedError(`webgpu: ${where} gets tokens of ${formatShape(input)}, but its attention expects [T, ${attn.embedDim}]`);
  }
  if (Object.getPrototypeOf(blk.mlp) !== Sequential.prototype || blk.mlp.hasForwardHooks) {
    throw new WebGpuUnsupportedError(`webgpu: layer "${path}.mlp" (${blk.mlp.constructor.name}) is not a plain Sequential without hooks; train this model on the CPU`);
  }
  const first: LayerPlan[] = [];
  p.visit(blk.norm1, `${path}.norm1`, first);
  const { in_proj_weight: inW, in_proj_bias: inB, out_proj: out } = attn;
  first.push({ kind: 'attention', path: `${path}.attn`, inW, inB, outW: out.weight, outB: out.bias, heads: attn.numHeads, causal: attn.causal, shape: input });
  plan.push({ kind: 'residual', path: `${path} (attention)`, main: first, shortcut: [], inShape: input, shape: input });
  const second: LayerPlan[] = [];
  p.visit(blk.norm2, `${path}.norm2`, second);
  let features = [E];
  for (const [name, c] of blk.mlp.namedChildren()) {
    const at = `${path}.mlp.${name}`;
    const here = `layer "${at}" (${c.constructor.name})`;
    if (c.hasForwardHooks) throw new WebGpuUnsupportedError(`webgpu: ${here} has a forward hook, which the GPU path cannot run; remove it or train on the CPU`);
    const before = second.length;
    features = p.leaf(c, at, here, features, second);
    // planned per token: a Linear runs on N·T rows, an element-wise layer on [T, features]
    for (const l of second.slice(before)) {
      if (l.kind === 'linear') l.tokens = T;
      else if (l.kind === 'relu' || l.kind === 'act') l.shape = [T, ...features];
      else throw new WebGpuUnsupportedError(`webgpu: ${here} in a transformer MLP has no per-token GPU plan (Linear, ReLU and GELU do)`);
    }
  }
  if (features.length !== 1 || features[0] !== E) throw new WebGpuUnsupportedError(`webgpu: ${where}: the MLP gives ${formatShape(features)} features per token, the block's input has ${E}`);
  plan.push({ kind: 'residual', path: `${path} (mlp)`, main: second, shortcut: [], inShape: input, shape: input });
  p.shape = input;
}
