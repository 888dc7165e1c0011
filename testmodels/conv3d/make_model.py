"""Builds rramc's 3-D convolution test model and its reference output.

    /usr/bin/python3 testmodels/conv3d/make_model.py

Writes, next to this script:

  conv3d.onnx       input "input" float32 [batch,2,5,8,8] (e.g. a short clip
                    or a volume); Conv 3x3x3 (6 channels, pads 1, strides
                    1,2,2) + Relu, Conv 2x3x3 grouped (group 2, dilation 1,2,2
                    in D,H,W = 1,1,1 / pads 0,1,1) + Relu, Flatten, Gemm -> "logits"
                    float32 [batch,4]
  input.npy         8 inputs [8,2,5,8,8] in [0, 1)
  labels.npy        8 int64 labels (the reference's own top-1 for half)
  reference.npy     float32 [8,4]: conv3d.onnx on input.npy

The reference is computed here with NumPy loops written from the ONNX Conv
definition, independently of rramc; weights come from a seeded generator.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(3)


def conv3d(x, w, b, strides, pads, group):
    """ONNX Conv over N×C×D×H×W with pads (begin d,h,w, end d,h,w)."""
    n, c, D, H, W = x.shape
    m, cg, kd, kh, kw = w.shape
    xp = np.zeros((n, c, D + pads[0] + pads[3], H + pads[1] + pads[4], W + pads[2] + pads[5]))
    xp[:, :, pads[0]:pads[0] + D, pads[1]:pads[1] + H, pads[2]:pads[2] + W] = x
    od = (xp.shape[2] - kd) // strides[0] + 1
    oh = (xp.shape[3] - kh) // strides[1] + 1
    ow = (xp.shape[4] - kw) // strides[2] + 1
    y = np.zeros((n, m, od, oh, ow))
    mg = m // group
    for oc in range(m):
        g = oc // mg
        for z in range(od):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[:, g * cg:(g + 1) * cg,
                               z * strides[0]:z * strides[0] + kd,
                               i * strides[1]:i * strides[1] + kh,
                               j * strides[2]:j * strides[2] + kw]
                    y[:, oc, z, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3, 4)) + b[oc]
    return y


def main():
    w1 = (rng.standard_normal((6, 2, 3, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(6) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((4, 3, 2, 3, 3)) * 0.3).astype(np.float32)
    b2 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    # conv1: D 5 -> 5, H,W 8 -> 4; conv2: D 5 -> 4, H,W 4 -> 4
    w3 = (rng.standard_normal((4, 4 * 4 * 4 * 4)) * 0.1).astype(np.float32)
    b3 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (w3, "w3"), (b3, "b3")]]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3, 3],
                         pads=[1, 1, 1, 1, 1, 1], strides=[1, 2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", kernel_shape=[2, 3, 3],
                         pads=[0, 1, 1, 0, 1, 1], group=2),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["logits"], name="fc", transB=1),
    ]
    g = helper.make_graph(nodes, "conv3d",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2, 5, 8, 8])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="rramc make_model.py")
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(HERE, "conv3d.onnx"))

    x = rng.random((8, 2, 5, 8, 8)).astype(np.float32)
    f64 = lambda a: a.astype(np.float64)
    r1 = np.maximum(conv3d(f64(x), f64(w1), f64(b1), (1, 2, 2), (1, 1, 1, 1, 1, 1), 1), 0)
    r2 = np.maximum(conv3d(r1, f64(w2), f64(b2), (1, 1, 1), (0, 1, 1, 0, 1, 1), 2), 0)
    ref = (r2.reshape(8, -1) @ f64(w3).T + b3).astype(np.float32)
    labels = rng.integers(0, 4, size=8).astype(np.int64)
    labels[::2] = ref.argmax(axis=1)[::2]
    np.save(os.path.join(HERE, "input.npy"), x)
    np.save(os.path.join(HERE, "labels.npy"), labels)
    np.save(os.path.join(HERE, "reference.npy"), ref)


if __name__ == "__main__":
    main()
