"""The PyTorch definitions of @trainkit/models (ResNet, MobileNetV2-style, ViT-tiny) and the
fixtures that check them (tools/compare/src/torchModels.test.ts).

Each definition uses the parameter names of the trainkit model (torchvision/timm-like), so one
state dict fits both. Safetensors files are read and written here in plain Python (an 8-byte
little-endian header length, a JSON header, the raw little-endian data), since Debian has no
safetensors package.

Run:
  /usr/bin/python3 tools/compare/torch_models.py
      writes fixtures/models-<case>.safetensors (the seeded model's state dict, its builder
      options in the metadata) and fixtures/models-io.safetensors (each case's input and its
      logits in evaluation and in training mode)
  /usr/bin/python3 tools/compare/torch_models.py logits FILE...
      loads each state dict (written by trainkit, builder options in its metadata) into the
      PyTorch model, runs the case's fixture input in evaluation mode and prints
      {case: {"shape": [...], "data": [...]}} as JSON

From Python, `load(path)` builds the model that a trainkit file's metadata names (`builder` and
its JSON `options`) and loads its state dict (strict).
"""
import json
import os
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
DTYPES = {'F32': np.float32, 'I64': np.int64}


# ---- safetensors, by hand -------------------------------------------------------------------

def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header['__metadata__'] = metadata
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        dtype = 'I64' if a.dtype == np.int64 else 'F32'
        raw = a.astype(np.dtype(DTYPES[dtype]).newbyteorder('<')).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop('__metadata__', {})
    tensors = {}
    for name, h in header.items():
        start, end = h['data_offsets']
        a = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=np.dtype(DTYPES[h['dtype']]).newbyteorder('<'))
        tensors[name] = torch.from_numpy(a.astype(DTYPES[h['dtype']]).reshape(h['shape']).copy())
    return tensors, metadata


# ---- ResNet (He et al. 2016, section 4.2), torchvision's names ------------------------------

class BasicBlock(nn.Module):
    def __init__(self, inp, out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, depth, inChannels=3, numClasses=10, width=16):
        super().__init__()
        n, w = (depth - 2) // 6, width
        self.conv1 = nn.Conv2d(inChannels, w, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        stage = lambda a, b, s: nn.Sequential(*[BasicBlock(a if i == 0 else b, b, s if i == 0 else 1) for i in range(n)])
        self.layer1, self.layer2, self.layer3 = stage(w, w, 1), stage(w, 2 * w, 2), stage(2 * w, 4 * w, 2)
        self.fc = nn.Linear(4 * w, numClasses)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


# ---- MobileNetV2 for small images (Sandler et al. 2018), torchvision's names ----------------

def make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def conv_bn_relu6(inp, out, k, stride, groups):
    return nn.Sequential(nn.Conv2d(inp, out, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(out), nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, inp, out, stride, expansion):
        super().__init__()
        hidden = int(round(inp * expansion))
        self.use_residual = stride == 1 and inp == out
        layers = [] if expansion == 1 else [conv_bn_relu6(inp, hidden, 1, 1, 1)]
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, hidden), nn.Conv2d(hidden, out, 1, bias=False), nn.BatchNorm2d(out)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_residual else self.conv(x)


SMALL_CONFIG = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class MobileNetV2(nn.Module):
    def __init__(self, inChannels=3, numClasses=10, widthMult=1.0, config=None, stemChannels=32, lastChannels=1280):
        super().__init__()
        rows = SMALL_CONFIG if config is None else [(r['expansion'], r['channels'], r['blocks'], r['stride']) for r in config]
        c = make_divisible(stemChannels * widthMult)
        layers = [conv_bn_relu6(inChannels, c, 3, 1, 1)]
        for t, ch, n, s in rows:
            out = make_divisible(ch * widthMult)
            for i in range(n):
                layers.append(InvertedResidual(c, out, s if i == 0 else 1, t))
                c = out
        last = make_divisible(lastChannels * max(1.0, widthMult))
        layers.append(conv_bn_relu6(c, last, 1, 1, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(last, numClasses)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        nn.init.normal_(self.classifier.weight, 0, 0.01)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):
        return self.classifier(self.features(x).mean(dim=(2, 3)))


# ---- ViT-tiny (Dosovitskiy et al. 2021), timm's names ---------------------------------------

class TransformerBlock(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(OrderedDict(fc1=nn.Linear(dim, hidden), act=nn.GELU(), fc2=nn.Linear(hidden, dim)))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, imageSize, patchSize, dim, depth, heads, numClasses, inChannels=3, mlpRatio=4):
        super().__init__()
        tokens = (imageSize // patchSize) ** 2 + 1
        self.patch_embed = nn.Conv2d(inChannels, dim, patchSize, patchSize)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        self.blocks = nn.Sequential(*[TransformerBlock(dim, heads, int(round(dim * mlpRatio))) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, numClasses)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.head(self.norm(self.blocks(x))[:, 0])


BUILDERS = {'resnet': ResNet, 'mobilenetV2': MobileNetV2, 'vitTiny': ViT}

# the fixture cases: small widths, so the files stay small; every kind of block appears
CASES = [
    ('resnet8', 'resnet', {'depth': 8, 'inChannels': 3, 'numClasses': 10, 'width': 8}, (3, 3, 16, 16)),
    ('mobilenetV2', 'mobilenetV2', {'inChannels': 3, 'numClasses': 10, 'widthMult': 0.5, 'lastChannels': 64, 'config': [
        {'expansion': 1, 'channels': 16, 'blocks': 1, 'stride': 1},
        {'expansion': 6, 'channels': 24, 'blocks': 2, 'stride': 2},
        {'expansion': 6, 'channels': 32, 'blocks': 2, 'stride': 2}]}, (3, 3, 16, 16)),
    ('vitTiny', 'vitTiny', {'imageSize': 16, 'patchSize': 4, 'inChannels': 3, 'dim': 32, 'depth': 2, 'heads': 4, 'numClasses': 10, 'mlpRatio': 2}, (3, 3, 16, 16)),
]


def build(builder, options):
    return BUILDERS[builder](**options)


def load(path):
    """The PyTorch model of a trainkit safetensors file whose metadata names its builder and options."""
    state, meta = read_safetensors(path)
    model = build(meta['builder'], json.loads(meta['options']))
    model.load_state_dict(state, strict=True)
    return model, meta


def perturb_norms(model):
    """Non-trivial BatchNorm statistics and norm affines, so evaluation mode is really exercised."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
        if isinstance(model, ViT):
            model.cls_token.normal_(0, 0.5)


def write_fixtures():
    io = {}
    for seed, (case, builder, options, input_shape) in enumerate(CASES):
        torch.manual_seed(seed)
        model = build(builder, options)
        perturb_norms(model)
        x = torch.randn(*input_shape) * 4  # large enough that ReLU6 clips, in both modes
        meta = {'case': case, 'builder': builder, 'options': json.dumps(options), 'torch': torch.__version__}
        write_safetensors(os.path.join(FIXTURES, f'models-{case}.safetensors'), model.state_dict(), meta)
        model.eval()
        with torch.no_grad():
            io[f'{case}.input'] = x
            io[f'{case}.eval_logits'] = model(x)
            model.train()
            io[f'{case}.train_logits'] = model(x)
    write_safetensors(os.path.join(FIXTURES, 'models-io.safetensors'), io, {'torch': torch.__version__})


def logits(paths):
    io, _ = read_safetensors(os.path.join(FIXTURES, 'models-io.safetensors'))
    out = {}
    for path in paths:
        model, meta = load(path)
        model.eval()
        with torch.no_grad():
            y = model(io[meta['case'] + '.input'])
        out[meta['case']] = {'shape': list(y.shape), 'data': y.reshape(-1).tolist()}
    print(json.dumps(out))


if __name__ == '__main__':
    torch.set_num_threads(1)
    if len(sys.argv) > 1 and sys.argv[1] == 'logits':
        logits(sys.argv[2:])
    else:
        write_fixtures()
        print('wrote', ', '.join(f'models-{c[0]}.safetensors' for c in CASES), 'and models-io.safetensors')
