"""Builds rramc's two-input test model and its PyTorch reference output.

    /usr/bin/python3 testmodels/multiin/make_model.py

Writes, next to this script:

  two_towers.onnx  inputs "image" float32 [batch,1,8,8] (values in 0..1) and
                   "mask" float32 [batch,2,8,8] (signed, about N(0,1)); a
                   Conv 3x3 (4 channels, pads 1) + Relu tower on each, the
                   towers joined by Add, the sum concatenated with the mask
                   tower on the channels, MaxPool 2x2, Flatten, Gemm ->
                   "logits" float32 [batch,10]
  two_outputs.onnx the same network (the same weights) with three outputs:
                   "logits", "probs" (Softmax of the logits) and "joined"
                   (the Add of the towers, float32 [batch,4,8,8])
  two_outputs_ref_{logits,probs,joined}.npy
                   PyTorch's outputs of two_outputs.onnx on the same data
  seq_first.onnx   inputs "x" [batch,4,8] (signed) and "y" [batch,4,8] (0..1):
                   their sum transposed sequence-first ([4,batch,8], the
                   batch moved off the first axis as attention exports do),
                   MatMul + bias + Relu, transposed back, Flatten, Gemm ->
                   "out" [batch,5]
  seq_first_{x,y,ref}.npy
                   16 samples of each input and PyTorch's output on them
  image.npy        64 float32 samples of "image" [64,1,8,8]
  mask.npy         64 float32 samples of "mask" [64,2,8,8]
  labels.npy       64 int64 labels in 0..9 (every other one the model's own
                   answer, so accuracy has hits to count)
  ref.npy          float32 [64,10]: PyTorch's output of the model on
                   image.npy and mask.npy

The weights come from a seeded generator (torch.manual_seed), so the files
are reproducible; the reference is PyTorch's own forward pass, independent
of rramc.
"""
import os

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
N = 64


class TwoTowers(nn.Module):
    def __init__(self):
        super().__init__()
        self.image_tower = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU())
        self.mask_tower = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU())
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(8 * 4 * 4, 10)

    def forward(self, image, mask):
        a = self.image_tower(image)
        b = self.mask_tower(mask)
        joined = torch.cat([a + b, b], dim=1)
        return self.head(torch.flatten(self.pool(joined), 1))


class ThreeOutputs(nn.Module):
    """TwoTowers returning its logits, their softmax and the joined towers."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image, mask):
        n = self.net
        a = n.image_tower(image)
        b = n.mask_tower(mask)
        joined = a + b
        logits = n.head(torch.flatten(n.pool(torch.cat([joined, b], dim=1)), 1))
        return logits, torch.softmax(logits, dim=1), joined


class SeqFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)
        self.head = nn.Linear(32, 5)

    def forward(self, x, y):
        z = (x + y).transpose(0, 1)
        z = torch.relu(self.proj(z)).transpose(0, 1)
        return self.head(torch.flatten(z, 1))


def seq_first():
    torch.manual_seed(20261201)
    model = SeqFirst().eval()
    rng = np.random.default_rng(20261201)
    x = rng.normal(0, 1, size=(16, 4, 8)).astype(np.float32)
    y = rng.uniform(0, 1, size=(16, 4, 8)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    torch.onnx.export(model, (torch.from_numpy(x[:1]), torch.from_numpy(y[:1])),
                      os.path.join(HERE, "seq_first.onnx"), opset_version=13,
                      input_names=["x", "y"], output_names=["out"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}, "out": {0: "batch"}})
    for name, arr in (("x", x), ("y", y), ("ref", ref)):
        np.save(os.path.join(HERE, "seq_first_" + name + ".npy"), arr)


def main():
    torch.manual_seed(20261130)
    model = TwoTowers().eval()
    rng = np.random.default_rng(20261130)
    image = rng.uniform(0, 1, size=(N, 1, 8, 8)).astype(np.float32)
    mask = rng.normal(0, 1, size=(N, 2, 8, 8)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(image), torch.from_numpy(mask)).numpy()
    labels = rng.integers(0, 10, size=N).astype(np.int64)
    labels[::2] = ref.argmax(axis=1)[::2]
    torch.onnx.export(model, (torch.from_numpy(image[:1]), torch.from_numpy(mask[:1])),
                      os.path.join(HERE, "two_towers.onnx"), opset_version=13,
                      input_names=["image", "mask"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "mask": {0: "batch"}, "logits": {0: "batch"}})
    for name, arr in (("image", image), ("mask", mask), ("labels", labels), ("ref", ref)):
        np.save(os.path.join(HERE, name + ".npy"), arr)

    three = ThreeOutputs(model).eval()
    names = ["logits", "probs", "joined"]
    with torch.no_grad():
        refs = three(torch.from_numpy(image), torch.from_numpy(mask))
    torch.onnx.export(three, (torch.from_numpy(image[:1]), torch.from_numpy(mask[:1])),
                      os.path.join(HERE, "two_outputs.onnx"), opset_version=13,
                      input_names=["image", "mask"], output_names=names,
                      dynamic_axes={k: {0: "batch"} for k in ["image", "mask"] + names})
    for name, r in zip(names, refs):
        np.save(os.path.join(HERE, "two_outputs_ref_" + name + ".npy"), r.numpy())


if __name__ == "__main__":
    main()
    seq_first()
