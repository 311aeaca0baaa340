import { Module, Sequential } from '@trainkit/nn';
import { TransferError } from './errors';

/**
 * Replaces the submodule at `path` (a child name such as `'fc'`, or a dotted path such as
 * `'classifier.out'`) with `head`, and returns the module it replaced. The usual second step of
 * transfer learning: keep the pretrained backbone, put a fresh head for the new classes on top.
 *
 * @example
 * const old = replaceHead(model, 'fc', new Linear(784, 5)); // 5 new classes; old is the 10-class Linear
 */
export function replaceHead(model: Module, path: string, head: Module): Module {
  if (!(head instanceof Module)) throw new TransferError(`replaceHead: the new head must be a Module, got ${head === null ? 'null' : typeof head}`);
  const parts = typeof path === 'string' ? path.split('.') : [''];
  if (parts.includes('')) throw new TransferError(`replaceHead: path must be a child name or a dotted path such as 'classifier.out', got ${JSON.stringify(path)}`);
  const childAt = (parent: Module, i: number): Module => {
    const children = parent.namedChildren();
    const child = children.find(([n]) => n === parts[i])?.[1];
    if (child !== undefined) return child;
    const where = parts.slice(0, i).join('.') || 'the model';
    throw new TransferError(`replaceHead: no submodule "${parts.slice(0, i + 1).join('.')}" (children of ${where}: ${children.map(([n]) => n).join(', ') || 'none'})`);
  };
  let parent = model;
  for (let i = 0; i < parts.length - 1; i++) parent = childAt(parent, i);
  const old = childAt(parent, parts.length - 1);
  const name = parts[parts.length - 1];
  if (parent instanceof Sequential) parent.set(name, head);
  else (parent as unknown as Record<string, Module>)[name] = head;
  head.train(model.training);
  return old;
}
