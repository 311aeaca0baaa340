"""Writes the fixture for the layer tests against torch 1.13 (tools/compare/src/torchLayers.test.ts).

Each case runs one op or module of torch on small seeded float32 inputs and records its inputs,
its output y and the gradients of L = sum(w * y) for a recorded random w, every tensor as
{"shape": [...], "data": [...]} (float32 values written exactly, as Python floats). The modules'
parameters are recorded under their torch state-dict names, so the test loads them by name.

Run: /usr/bin/python3 tools/compare/torch_layers.py   (Debian's python3-torch 1.13)
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)


def enc(t):
    t = t.detach().float().contiguous()
    return {'shape': list(t.shape), 'data': t.reshape(-1).tolist()}


def run(name, fn, inputs, extra=None):
    """Evaluates fn on leaves copied from `inputs` (a dict of tensors; float ones get gradients)."""
    leaves = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    y = fn(**leaves)
    w = torch.randn(y.shape)
    (y * w).sum().backward()
    case = {'name': name, 'inputs': {k: enc(v) for k, v in inputs.items()}, 'w': enc(w), 'y': enc(y),
            'grads': {k: enc(v.grad) for k, v in leaves.items() if v.is_floating_point() and v.grad is not None}}
    if extra:
        case.update(extra)
    return case


cases = []
x = torch.linspace(-4, 4, 23)  # includes 0 exactly at index 11
for name, fn, opts in [
    ('leakyRelu', lambda x: F.leaky_relu(x, 0.1), {'negativeSlope': 0.1}),
    ('elu', lambda x: F.elu(x, 1.3), {'alpha': 1.3}),
    ('silu', lambda x: F.silu(x), {}),
    ('gelu', lambda x: F.gelu(x), {'approximate': 'none'}),
    ('gelu', lambda x: F.gelu(x, approximate='tanh'), {'approximate': 'tanh'}),
]:
    cases.append(run(name, fn, {'x': x}, {'options': opts}))
cases.append(run('softmax', lambda x: F.softmax(x, dim=1), {'x': torch.randn(3, 5, 2) * 3}, {'options': {'dim': 1}}))
cases.append(run('layerNorm', lambda x, weight, bias: F.layer_norm(x, [3, 4], weight, bias),
                 {'x': torch.randn(2, 3, 4), 'weight': torch.randn(3, 4), 'bias': torch.randn(3, 4)}, {'options': {'normalizedShape': [3, 4]}}))
cases.append(run('groupNorm', lambda x, weight, bias: F.group_norm(x, 3, weight, bias),
                 {'x': torch.randn(2, 6, 3, 3), 'weight': torch.randn(6), 'bias': torch.randn(6)}, {'options': {'groups': 3}}))
cases.append(run('conv2d', lambda x, weight, bias: F.conv2d(x, weight, bias, padding=1, groups=2),
                 {'x': torch.randn(2, 4, 5, 5), 'weight': torch.randn(6, 2, 3, 3), 'bias': torch.randn(6)}, {'options': {'groups': 2, 'padding': 1}}))
cases.append(run('conv2d', lambda x, weight, bias: F.conv2d(x, weight, bias, stride=2, padding=1, groups=3),
                 {'x': torch.randn(1, 3, 6, 6), 'weight': torch.randn(3, 1, 3, 3), 'bias': torch.randn(3)}, {'options': {'groups': 3, 'padding': 1, 'stride': 2}}))
cases.append(run('adaptiveAvgPool2d', lambda x: F.adaptive_avg_pool2d(x, (3, 4)), {'x': torch.randn(1, 2, 5, 7)}, {'options': {'outputSize': [3, 4]}}))
cases.append(run('embedding', lambda weight, indices: F.embedding(indices, weight, padding_idx=1),
                 {'weight': torch.randn(5, 3), 'indices': torch.tensor([[0, 2, 2], [4, 1, 0]])}, {'options': {'paddingIdx': 1}}))
cases.append(run('matmul', lambda a, b: torch.matmul(a, b), {'a': torch.randn(2, 1, 3, 4), 'b': torch.randn(3, 4, 2)}))

# MultiheadAttention, batch first: self-attention, causal self-attention (the -inf mask is not JSON: the
# test asks for causal instead), cross-attention with a float mask
E, H = 8, 2
mha = torch.nn.MultiheadAttention(E, H, batch_first=True)
state = {k: enc(v) for k, v in mha.state_dict().items()}
q, kv = torch.randn(2, 3, E), torch.randn(2, 4, E)
causal = torch.triu(torch.full((3, 3), float('-inf')), diagonal=1)
cross_mask = torch.randn(2 * H, 3, 4)
for label, query, key, mask in [('self', q, q, None), ('causal', q, q, causal), ('cross', q, kv, cross_mask)]:
    mha.zero_grad()
    case = run('MultiheadAttention', lambda query, key: mha(query, key, key, attn_mask=mask, need_weights=False)[0],
               {'query': query, 'key': key}, {'options': {'embedDim': E, 'numHeads': H, 'label': label, 'causal': label == 'causal'},
                                              'state': state, 'mask': None if mask is None or label == 'causal' else enc(mask)})
    case['grads']['in_proj_weight'] = enc(mha.in_proj_weight.grad)
    case['grads']['out_proj.weight'] = enc(mha.out_proj.weight.grad)
    cases.append(case)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'torch-layers.json')
with open(out, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f)
print(f'wrote {len(cases)} cases to {out}')
