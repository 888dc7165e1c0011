"""Writes resize_scales.onnx: a small MNIST-shaped classifier whose Resize
takes its scales as a graph input ("scales", float [4]), as some exporters
write it, and scales.npy, the value to freeze it to (rramc --const
scales=scales.npy). The weights are seeded random: the model exercises the
pipeline, not accuracy. Run with Debian's python3-onnx:
    /usr/bin/python3 make_model.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
w1 = (rng.standard_normal((4, 1, 3, 3)) * 0.5).astype(np.float32)
b1 = (rng.standard_normal(4) * 0.1).astype(np.float32)
w2 = (rng.standard_normal((10, 4 * 7 * 7)) * 0.1).astype(np.float32)
b2 = (rng.standard_normal(10) * 0.1).astype(np.float32)

nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("Resize", ["r1", "", "scales"], ["z"], mode="nearest"),
    helper.make_node("Flatten", ["z"], ["f"], axis=1),
    helper.make_node("Gemm", ["f", "w2", "b2"], ["y"], transB=1),
]
graph = helper.make_graph(
    nodes, "resize_scales",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28]),
     helper.make_tensor_value_info("scales", TensorProto.FLOAT, [4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
     numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "resize_scales.onnx")
np.save("scales.npy", np.array([1, 1, 0.5, 0.5], dtype=np.float32))
