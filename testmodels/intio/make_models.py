"""Builds the integer-IO test models of rramc and their reference outputs.

    /usr/bin/python3 testmodels/intio/make_models.py

Writes, next to this script:

  uint8_input.onnx      input "image" uint8 [batch,1,28,28] (image bytes);
                        Cast to float, (x - 33) / 78 inside the graph, then
                        Conv 3x3 (4 channels, pads 1) + Relu, MaxPool 2x2,
                        Flatten, Gemm -> "logits" float32 [batch,10]
  argmax_output.onnx    input "input" float32 [batch,1,28,28]; Flatten,
                        Gemm + Relu, Gemm, ArgMax over the classes ->
                        "label" int64 [batch]
  images_u8.npy         16 uint8 test images [16,1,28,28] (seeded noise over
                        digit-like strokes: values 0..255)
  images_f32.npy        the same images / 255 as float32 (argmax model input)
  labels.npy            16 int64 labels in 0..9 (every other one the argmax
                        model's own answer, so accuracy has hits to count)
  uint8_input_ref.npy   float32 [16,10]: uint8_input.onnx on images_u8.npy
  argmax_output_ref.npy int64 [16]: argmax_output.onnx on images_f32.npy

The reference outputs are computed here with NumPy loops written from the
ONNX operator definitions, independently of rramc. Weights come from a
seeded generator, so the files are reproducible bit for bit.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261130)


def images(n):
    x = rng.integers(0, 40, size=(n, 1, 28, 28))
    for i in range(n):  # a bright stroke per image, like a digit
        r = rng.integers(4, 20)
        x[i, 0, r:r + 6, 6:22] += rng.integers(150, 215)
    return np.clip(x, 0, 255).astype(np.uint8)


def conv3x3_pad1(x, w, b):
    n, c, h, wd = x.shape
    m = w.shape[0]
    xp = np.zeros((n, c, h + 2, wd + 2), np.float64)
    xp[:, :, 1:-1, 1:-1] = x
    y = np.zeros((n, m, h, wd), np.float64)
    for kh in range(3):
        for kw in range(3):
            patch = xp[:, :, kh:kh + h, kw:kw + wd]  # n c h w
            y += np.einsum("nchw,mc->nmhw", patch, w[:, :, kh, kw])
    return y + b[None, :, None, None]


def maxpool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def save(model, name):
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(HERE, name))


def uint8_input_model():
    w1 = (rng.standard_normal((4, 1, 3, 3)) * 0.5).astype(np.float32)
    b1 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((10, 4 * 14 * 14)) * 0.05).astype(np.float32)
    b2 = (rng.standard_normal(10) * 0.1).astype(np.float32)
    mean = np.array([33.0], np.float32)
    std = np.array([78.0], np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (mean, "mean"), (std, "std")]]
    nodes = [
        helper.make_node("Cast", ["image"], ["xf"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Sub", ["xf", "mean"], ["xc"], name="sub_mean"),
        helper.make_node("Div", ["xc", "std"], ["xn"], name="div_std"),
        helper.make_node("Conv", ["xn", "w1", "b1"], ["c1"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p1"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "w2", "b2"], ["logits"], name="fc", transB=1),
    ]
    g = helper.make_graph(nodes, "uint8_input",
                          [helper.make_tensor_value_info("image", TensorProto.UINT8, ["batch", 1, 28, 28])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="rramc make_models.py")
    m.ir_version = 7

    def ref(x):
        xn = (x.astype(np.float64) - 33.0) / 78.0
        r = np.maximum(conv3x3_pad1(xn, w1.astype(np.float64), b1.astype(np.float64)), 0)
        f = maxpool2(r).reshape(x.shape[0], -1)
        return (f @ w2.astype(np.float64).T + b2).astype(np.float32)
    return m, ref


def argmax_output_model():
    w1 = (rng.standard_normal((32, 784)) * 0.05).astype(np.float32)
    b1 = (rng.standard_normal(32) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((10, 32)) * 0.3).astype(np.float32)
    b2 = (rng.standard_normal(10) * 0.1).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2")]]
    nodes = [
        helper.make_node("Flatten", ["input"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "w1", "b1"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["hr"], name="relu"),
        helper.make_node("Gemm", ["hr", "w2", "b2"], ["logits"], name="fc2", transB=1),
        helper.make_node("ArgMax", ["logits"], ["label"], name="argmax", axis=1, keepdims=0),
    ]
    g = helper.make_graph(nodes, "argmax_output",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
                          [helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="rramc make_models.py")
    m.ir_version = 7

    def ref(x):
        f = x.reshape(x.shape[0], -1).astype(np.float64)
        h = np.maximum(f @ w1.astype(np.float64).T + b1, 0)
        logits = h @ w2.astype(np.float64).T + b2
        # ArgMax: the first index of the maximum (select_last_index = 0)
        return np.argmax(logits, axis=1).astype(np.int64), logits
    return m, ref


def main():
    x8 = images(16)
    xf = (x8.astype(np.float32) / 255).astype(np.float32)
    labels = rng.integers(0, 10, size=16).astype(np.int64)
    m1, ref1 = uint8_input_model()
    m2, ref2 = argmax_output_model()
    save(m1, "uint8_input.onnx")
    save(m2, "argmax_output.onnx")
    np.save(os.path.join(HERE, "images_u8.npy"), x8)
    np.save(os.path.join(HERE, "images_f32.npy"), xf)
    np.save(os.path.join(HERE, "labels.npy"), labels)
    np.save(os.path.join(HERE, "uint8_input_ref.npy"), ref1(x8))
    lab, logits = ref2(xf)
    top2 = np.sort(logits, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 1e-3, "an ArgMax reference is too close to a tie"
    np.save(os.path.join(HERE, "argmax_output_ref.npy"), lab)
    # Labels: half of them the model's own answers, so eval has hits to count.
    labels[::2] = lab[::2]
    np.save(os.path.join(HERE, "labels.npy"), labels)


if __name__ == "__main__":
    main()
