#!/usr/bin/python3
"""Export the small decoder test model (testmodels/decoder/) with PyTorch.

A tiny encoder-decoder of the kind segmentation and detection heads use,
small enough to commit: strided Conv, depthwise Conv, ConvTranspose
(stride 2, padding, output_padding), grouped and dilated ConvTranspose, a
1-D Conv over the rows, a squeeze-and-excitation gate, a skip connection by
concatenation and a bilinear resize to the input size. Random weights
(seeded), PyTorch's float32 output on a fixed input as the reference.

    testmodels/decoder/model.onnx   opset 13
    testmodels/decoder/input.npy    float32 [1, 3, 20, 24], seeded normal
    testmodels/decoder/output.npy   PyTorch's output on input.npy

Read by testmodels/decoder_test.go. Requires Debian's python3-torch and
python3-onnx:  /usr/bin/python3 testmodels/decoder_export.py
"""

import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.enc2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc1 = nn.Conv2d(16, 4, 1)
        self.fc2 = nn.Conv2d(4, 16, 1)
        self.up1 = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(16, 8, (3, 2), stride=2, padding=(2, 0), dilation=(2, 1), groups=4)
        self.rows = nn.Conv1d(8, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 5, 1)

    def forward(self, x):
        e1 = F.relu(self.enc1(x))
        e1 = F.hardswish(self.dw(e1))
        e2 = F.relu(self.enc2(e1))
        gate = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(e2, 1)))))
        e2 = e2 * gate
        d1 = F.relu(self.up1(e2))
        d = torch.cat([d1, e1], dim=1)
        d = F.relu(self.up2(d))
        r = self.rows(F.max_pool2d(d, (10, 1)).squeeze(2))
        d = d + r.unsqueeze(2)
        return F.interpolate(self.head(d), size=x.shape[-2:], mode="bilinear", align_corners=False)


def main():
    torch.manual_seed(10)
    m = Decoder().eval()
    x = torch.randn(1, 3, 20, 24, generator=torch.Generator().manual_seed(11))
    with torch.no_grad():
        y = m(x)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "decoder")
    os.makedirs(out, exist_ok=True)
    torch.onnx.export(m, x, os.path.join(out, "model.onnx"), opset_version=13,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    np.save(os.path.join(out, "input.npy"), x.numpy())
    np.save(os.path.join(out, "output.npy"), y.numpy())
    print("decoder:", tuple(y.shape), "written to", out)


if __name__ == "__main__":
    main()
