#!/usr/bin/python3
"""Writes ONNX TensorProto .pb files with ONNX's own numpy_helper (Debian
python3-onnx 1.12) for importer's TensorPB tests. Values follow formulas the
Go test recomputes: v[i] = (i - 3) * 0.75 for float types, (i * 37) % 251 - 125
for signed ints (fit int8), i % 2 == 1 for bool.

Regenerate: cd importer/testdata/tensorpb && /usr/bin/python3 gen.py
"""
import numpy as np
import onnx
from onnx import numpy_helper

shape = (2, 3, 4)
n = int(np.prod(shape))
i = np.arange(n)
fl = ((i - 3) * 0.75).reshape(shape)
it = ((i * 37) % 251 - 125).reshape(shape)
arrays = {
    "float32": fl.astype(np.float32),
    "float64": fl.astype(np.float64),
    "float16": fl.astype(np.float16),
    "int8": it.astype(np.int8),
    "int16": it.astype(np.int16),
    "int32": it.astype(np.int32),
    "int64": it.astype(np.int64),
    "uint8": (it + 125).astype(np.uint8),
    "bool": (i % 2 == 1).reshape(shape),
    "scalar": np.array(2.5, dtype=np.float32),
}
for name, a in arrays.items():
    t = numpy_helper.from_array(a, name="t_" + name)
    with open(name + ".pb", "wb") as f:
        f.write(t.SerializeToString())
    # Cross-check the round trip through ONNX itself.
    assert np.array_equal(numpy_helper.to_array(t), a)
# A typed-field (not raw_data) tensor, as onnx.helper.make_tensor writes it.
t = onnx.helper.make_tensor("t_typed", onnx.TensorProto.FLOAT, shape, fl.astype(np.float32).ravel().tolist())
with open("float32_typed.pb", "wb") as f:
    f.write(t.SerializeToString())
