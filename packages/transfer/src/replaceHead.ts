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
  const parts = path.split('.');
  let parent = model;
  for (const [i, part] of parts.entries()) {
    const children = parent.namedChildren();
    const child = children.find(([n]) => n === part)?.[1];
    if (child === undefined) {
      const where = parts.slice(0, i).join('.') || 'the model';
      throw new TransferError(`replaceHead: no submodule "${parts.slice(0, i + 1).join('.')}" (children of ${where}: ${children.map(([n]) => n).join(', ') || 'none'})`);
    }
    if (i === parts.length - 1) {
      if (parent instanceof Sequential) parent.set(part, head);
      else (parent as unknown as Record<string, Module>)[part] = head;
      head.train(model.training);
      return child;
    }
    parent = child;
  }
  throw new TransferError('replaceHead: path must not be empty');
}
