"""Export MNSIM 2.0's LeNet and VGG-8 layer lists as ONNX, with random inputs.

Usage: /usr/bin/python3 hwsim/bench/mnsim_nets.py OUTDIR

MNSIM 2.0 (Tsinghua NICS) describes its built-in networks as layer lists;
the two smallest, on 3x32x32 inputs, are rebuilt here with PyTorch so that
rramc can run the same work:

  lenet: conv 3->6 5x5, ReLU, maxpool 2; conv 6->16 5x5, ReLU, maxpool 2;
         conv 16->120 5x5, ReLU; fc 120->84, ReLU; fc 84->10
         (651,720 MACs per image)
  vgg8:  3x3 convs (padding 1) 3->128, 128->128, maxpool; 128->256,
         256->256, maxpool; 256->512, 512->512, maxpool; 512->1024 without
         padding, maxpool; fc 1024->10; ReLU after every conv
         (626,403,328 MACs per image)

No layer has a bias. Weights are Kaiming-normal with a fixed seed (the
simulator's cost does not depend on their values under dense mapping, and
its speed only through the share of zero input bits). Writes lenet.onnx,
vgg8.onnx (opset 13, dynamic batch) and x{32,256,1024}.npy (standard normal
inputs) with y{...}.npy (random labels 0..9) into OUTDIR, and prints the MACs
per image of each network.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn


def conv_relu(cin, cout, k, pad):
    return [nn.Conv2d(cin, cout, k, padding=pad, bias=False), nn.ReLU()]


def lenet():
    return nn.Sequential(
        *conv_relu(3, 6, 5, 0), nn.MaxPool2d(2),
        *conv_relu(6, 16, 5, 0), nn.MaxPool2d(2),
        *conv_relu(16, 120, 5, 0), nn.Flatten(),
        nn.Linear(120, 84, bias=False), nn.ReLU(),
        nn.Linear(84, 10, bias=False))


def vgg8():
    layers = []
    for cin, cout, pool in [(3, 128, False), (128, 128, True), (128, 256, False), (256, 256, True),
                            (256, 512, False), (512, 512, True)]:
        layers += conv_relu(cin, cout, 3, 1)
        if pool:
            layers.append(nn.MaxPool2d(2))
    layers += conv_relu(512, 1024, 3, 0) + [nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 10, bias=False)]
    return nn.Sequential(*layers)


def count_macs(model):
    """Multiply-accumulates of one 3x32x32 image, from the layer shapes."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        if isinstance(mod, nn.Conv2d):
            kh, kw = mod.kernel_size
            total += out[0].numel() * mod.in_channels * kh * kw // mod.groups
        elif isinstance(mod, nn.Linear):
            total += mod.in_features * mod.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    for h in handles:
        h.remove()
    return total


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, build in [("lenet", lenet), ("vgg8", vgg8)]:
        model = build().eval()
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        print(name, "MACs/image", count_macs(model))
        torch.onnx.export(model, torch.randn(1, 3, 32, 32), f"{out}/{name}.onnx", opset_version=13,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    rng = np.random.default_rng(0)
    for n in (32, 256, 1024):
        np.save(f"{out}/x{n}.npy", rng.standard_normal((n, 3, 32, 32)).astype(np.float32))
        np.save(f"{out}/y{n}.npy", rng.integers(0, 10, n).astype(np.int64))


if __name__ == "__main__":
    main()
