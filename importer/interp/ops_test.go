package interp

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
)

// Hand-computed cases, one or more per operator.
func TestOpsHandComputed(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		name  string
		opset int64
		op    string
		attrs map[string]*importer.Attr
		ins   []*importer.Tensor
		want  *importer.Tensor
	}{
		{"add-same", 13, "Add", nil, []*importer.Tensor{ft([]int{2}, 1, 2), ft([]int{2}, 10, 20)}, ft([]int{2}, 11, 22)},
		{"add-bcast-col", 13, "Add", nil, []*importer.Tensor{ft([]int{2, 3}, 1, 2, 3, 4, 5, 6), ft([]int{2, 1}, 10, 20)}, ft([]int{2, 3}, 11, 12, 13, 24, 25, 26)},
		{"add-bcast-both", 13, "Add", nil, []*importer.Tensor{ft([]int{2, 1}, 1, 2), ft([]int{1, 3}, 10, 20, 30)}, ft([]int{2, 3}, 11, 21, 31, 12, 22, 32)},
		{"add-chw-bias", 13, "Add", nil, []*importer.Tensor{ft([]int{1, 2, 1, 2}, 1, 2, 3, 4), ft([]int{2, 1, 1}, 10, 20)}, ft([]int{1, 2, 1, 2}, 11, 12, 23, 24)},
		{"sub-scalar-left", 13, "Sub", nil, []*importer.Tensor{ft(nil, 10), ft([]int{3}, 1, 2, 3)}, ft([]int{3}, 9, 8, 7)},
		{"mul-row", 13, "Mul", nil, []*importer.Tensor{ft([]int{2, 2}, 1, 2, 3, 4), ft([]int{2}, 2, 3)}, ft([]int{2, 2}, 2, 6, 6, 12)},
		{"div", 13, "Div", nil, []*importer.Tensor{ft([]int{2}, 1, 3), ft([]int{2}, 2, 4)}, ft([]int{2}, 0.5, 0.75)},
		{"div-int-trunc", 13, "Div", nil, []*importer.Tensor{it([]int{2}, 7, -7), it(nil, 2)}, it([]int{2}, 3, -3)},
		{"mul-int", 13, "Mul", nil, []*importer.Tensor{it([]int{2}, 3, 4), it([]int{1}, -2)}, it([]int{2}, -6, -8)},
		{"relu", 13, "Relu", nil, []*importer.Tensor{ft([]int{3}, -1, 0, 2)}, ft([]int{3}, 0, 0, 2)},
		{"leakyrelu", 13, "LeakyRelu", attrMap(aFloat("alpha", 0.1)), []*importer.Tensor{ft([]int{2}, -2, 3)}, ft([]int{2}, -0.2, 3)},
		{"leakyrelu-default", 13, "LeakyRelu", nil, []*importer.Tensor{ft([]int{1}, -1)}, ft([]int{1}, -0.01)},
		{"sigmoid", 13, "Sigmoid", nil, []*importer.Tensor{ft([]int{3}, 0, 2, -2)}, ft([]int{3}, 0.5, 0.880797078, 0.119202922)},
		{"tanh", 13, "Tanh", nil, []*importer.Tensor{ft([]int{2}, 0, 1)}, ft([]int{2}, 0, 0.761594156)},
		{"clip-attr-opset6", 6, "Clip", attrMap(aFloat("min", -1), aFloat("max", 1)), []*importer.Tensor{ft([]int{3}, -5, 0.5, 5)}, ft([]int{3}, -1, 0.5, 1)},
		{"clip-inputs", 13, "Clip", nil, []*importer.Tensor{ft([]int{3}, -5, 0.5, 5), ft(nil, 0), ft(nil, 6)}, ft([]int{3}, 0, 0.5, 5)},
		{"clip-max-only", 13, "Clip", nil, []*importer.Tensor{ft([]int{3}, -5, 0.5, 5), nil, ft(nil, 1)}, ft([]int{3}, -5, 0.5, 1)},
		{"clip-none", 13, "Clip", nil, []*importer.Tensor{ft([]int{2}, -inf, 3)}, ft([]int{2}, -inf, 3)},
		{"identity", 13, "Identity", nil, []*importer.Tensor{ft([]int{2}, 1, 2)}, ft([]int{2}, 1, 2)},
		{"dropout", 13, "Dropout", attrMap(aFloat("ratio", 0.5)), []*importer.Tensor{ft([]int{2}, 1, 2)}, ft([]int{2}, 1, 2)},
		{"cast-f2i", 13, "Cast", attrMap(aInt("to", int64(importer.Int64))), []*importer.Tensor{ft([]int{3}, 1.7, -1.7, 0)}, it([]int{3}, 1, -1, 0)},
		{"cast-i2f", 13, "Cast", attrMap(aInt("to", int64(importer.Float))), []*importer.Tensor{it([]int{2}, 3, -4)}, ft([]int{2}, 3, -4)},
		{"cast-int8-wrap", 13, "Cast", attrMap(aInt("to", int64(importer.Int8))), []*importer.Tensor{it([]int{2}, 200, -129)}, &importer.Tensor{DType: importer.Int8, Shape: []int{2}, Int: []int64{-56, 127}}},
		{"cast-f16", 13, "Cast", attrMap(aInt("to", int64(importer.Float16))), []*importer.Tensor{ft([]int{2}, 1.0001, 65519)}, &importer.Tensor{DType: importer.Float16, Shape: []int{2}, Float: []float32{1, 65504}}},
		// Gemm: A 2x3, B 3x2.
		{"gemm", 13, "Gemm", nil, []*importer.Tensor{ft([]int{2, 3}, 1, 2, 3, 4, 5, 6), ft([]int{3, 2}, 1, 0, 0, 1, 1, 1)}, ft([]int{2, 2}, 4, 5, 10, 11)},
		{"gemm-transB-bias", 13, "Gemm", attrMap(aInt("transB", 1)), []*importer.Tensor{ft([]int{1, 2}, 1, 2), ft([]int{3, 2}, 1, 1, 2, 0, 0, 3), ft([]int{3}, 10, 20, 30)}, ft([]int{1, 3}, 13, 22, 36)},
		{"gemm-transA-alpha-beta", 13, "Gemm", attrMap(aInt("transA", 1), aFloat("alpha", 2), aFloat("beta", 0.5)), []*importer.Tensor{ft([]int{2, 1}, 1, 2), ft([]int{2, 2}, 1, 2, 3, 4), ft([]int{1, 1}, 4)}, ft([]int{1, 2}, 16, 22)},
		{"gemm-bias-col", 13, "Gemm", nil, []*importer.Tensor{ft([]int{2, 1}, 1, 2), ft([]int{1, 2}, 1, 1), ft([]int{2, 1}, 10, 20)}, ft([]int{2, 2}, 11, 11, 22, 22)},
		{"matmul-2d", 13, "MatMul", nil, []*importer.Tensor{ft([]int{1, 2}, 1, 2), ft([]int{2, 2}, 1, 2, 3, 4)}, ft([]int{1, 2}, 7, 10)},
		{"matmul-1d-1d", 13, "MatMul", nil, []*importer.Tensor{ft([]int{3}, 1, 2, 3), ft([]int{3}, 4, 5, 6)}, ft(nil, 32)},
		{"matmul-1d-2d", 13, "MatMul", nil, []*importer.Tensor{ft([]int{2}, 1, 2), ft([]int{2, 2}, 1, 2, 3, 4)}, ft([]int{2}, 7, 10)},
		{"matmul-2d-1d", 13, "MatMul", nil, []*importer.Tensor{ft([]int{2, 2}, 1, 2, 3, 4), ft([]int{2}, 1, 1)}, ft([]int{2}, 3, 7)},
		{"matmul-batch-bcast", 13, "MatMul", nil, []*importer.Tensor{ft([]int{2, 1, 2}, 1, 0, 0, 1), ft([]int{1, 2, 2}, 1, 2, 3, 4)}, ft([]int{2, 1, 2}, 1, 2, 3, 4)},
		{"matmul-3d-2d", 13, "MatMul", nil, []*importer.Tensor{ft([]int{2, 1, 2}, 1, 0, 0, 1), ft([]int{2, 2}, 1, 2, 3, 4)}, ft([]int{2, 1, 2}, 1, 2, 3, 4)},
		// Conv 1x1x3x3 input 1..9, kernel 2x2 ones.
		{"conv-basic", 13, "Conv", nil, []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9), ft([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, ft([]int{1, 1, 2, 2}, 12, 16, 24, 28)},
		{"conv-pad-stride-bias", 13, "Conv", attrMap(aInts("pads", 1, 1, 1, 1), aInts("strides", 2, 2)), []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9), ft([]int{1, 1, 2, 2}, 1, 1, 1, 1), ft([]int{1}, 100)}, ft([]int{1, 1, 2, 2}, 101, 105, 111, 128)},
		{"conv-dilation", 13, "Conv", attrMap(aInts("dilations", 2, 2)), []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9), ft([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, ft([]int{1, 1, 1, 1}, 20)},
		{"conv-same-upper", 13, "Conv", attrMap(aStr("auto_pad", "SAME_UPPER")), []*importer.Tensor{ft([]int{1, 1, 2, 2}, 1, 2, 3, 4), ft([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, ft([]int{1, 1, 2, 2}, 10, 6, 7, 4)},
		{"conv-same-lower", 13, "Conv", attrMap(aStr("auto_pad", "SAME_LOWER")), []*importer.Tensor{ft([]int{1, 1, 2, 2}, 1, 2, 3, 4), ft([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, ft([]int{1, 1, 2, 2}, 1, 3, 4, 10)},
		{"conv-valid", 13, "Conv", attrMap(aStr("auto_pad", "VALID"), aInts("strides", 2, 2)), []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9), ft([]int{1, 1, 1, 1}, 2)}, ft([]int{1, 1, 2, 2}, 2, 6, 14, 18)},
		{"conv-depthwise", 13, "Conv", attrMap(aInt("group", 2)), []*importer.Tensor{ft([]int{1, 2, 1, 2}, 1, 2, 3, 4), ft([]int{2, 1, 1, 1}, 10, -1)}, ft([]int{1, 2, 1, 2}, 10, 20, -3, -4)},
		{"conv-1d", 13, "Conv", attrMap(aInts("pads", 1, 0)), []*importer.Tensor{ft([]int{1, 1, 3}, 1, 2, 3), ft([]int{1, 1, 2}, 1, 10)}, ft([]int{1, 1, 3}, 10, 21, 32)},
		{"maxpool", 13, "MaxPool", attrMap(aInts("kernel_shape", 2, 2)), []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)}, ft([]int{1, 1, 2, 2}, 5, 6, 8, 9)},
		{"maxpool-ceil", 13, "MaxPool", attrMap(aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInt("ceil_mode", 1)), []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)}, ft([]int{1, 1, 2, 2}, 5, 6, 8, 9)},
		{"maxpool-floor", 13, "MaxPool", attrMap(aInts("kernel_shape", 2, 2), aInts("strides", 2, 2)), []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)}, ft([]int{1, 1, 1, 1}, 5)},
		{"maxpool-pad-negative", 13, "MaxPool", attrMap(aInts("kernel_shape", 2, 2), aInts("pads", 1, 1, 0, 0)), []*importer.Tensor{ft([]int{1, 1, 2, 2}, -1, -2, -3, -4)}, ft([]int{1, 1, 2, 2}, -1, -1, -1, -1)},
		{"maxpool-dilation", 13, "MaxPool", attrMap(aInts("kernel_shape", 2, 2), aInts("dilations", 2, 2)), []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 9, 6, 7, 8, 5)}, ft([]int{1, 1, 1, 1}, 7)},
		{"avgpool-pad-exclude", 13, "AveragePool", attrMap(aInts("kernel_shape", 2, 2), aInts("pads", 1, 1, 0, 0)), []*importer.Tensor{ft([]int{1, 1, 2, 2}, 1, 2, 3, 4)}, ft([]int{1, 1, 2, 2}, 1, 1.5, 2, 2.5)},
		{"avgpool-pad-include", 13, "AveragePool", attrMap(aInts("kernel_shape", 2, 2), aInts("pads", 1, 1, 0, 0), aInt("count_include_pad", 1)), []*importer.Tensor{ft([]int{1, 1, 2, 2}, 1, 2, 3, 4)}, ft([]int{1, 1, 2, 2}, 0.25, 0.75, 1, 2.5)},
		// 3x3 input, k2 s2 ceil: last windows are partial and beyond any padding; divisor counts only real taps.
		{"avgpool-ceil", 13, "AveragePool", attrMap(aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInt("ceil_mode", 1), aInt("count_include_pad", 1)), []*importer.Tensor{ft([]int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)}, ft([]int{1, 1, 2, 2}, 3, 4.5, 7.5, 9)},
		{"gap", 13, "GlobalAveragePool", nil, []*importer.Tensor{ft([]int{1, 2, 1, 2}, 1, 3, 5, 9)}, ft([]int{1, 2, 1, 1}, 2, 7)},
		{"gmp", 13, "GlobalMaxPool", nil, []*importer.Tensor{ft([]int{1, 2, 1, 2}, 1, 3, 5, 9)}, ft([]int{1, 2, 1, 1}, 3, 9)},
		{"flatten", 13, "Flatten", nil, []*importer.Tensor{ft([]int{2, 1, 2}, 1, 2, 3, 4)}, ft([]int{2, 2}, 1, 2, 3, 4)},
		{"flatten-axis0", 13, "Flatten", attrMap(aInt("axis", 0)), []*importer.Tensor{ft([]int{2, 2}, 1, 2, 3, 4)}, ft([]int{1, 4}, 1, 2, 3, 4)},
		{"flatten-neg", 13, "Flatten", attrMap(aInt("axis", -1)), []*importer.Tensor{ft([]int{2, 1, 2}, 1, 2, 3, 4)}, ft([]int{2, 2}, 1, 2, 3, 4)},
		{"reshape-0-neg1", 13, "Reshape", nil, []*importer.Tensor{ft([]int{2, 3, 2}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), it([]int{2}, 0, -1)}, ft([]int{2, 6}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)},
		{"reshape-allowzero", 14, "Reshape", attrMap(aInt("allowzero", 1)), []*importer.Tensor{ft([]int{0, 2}), it([]int{2}, 2, 0)}, ft([]int{2, 0})},
		{"transpose", 13, "Transpose", attrMap(aInts("perm", 1, 0)), []*importer.Tensor{ft([]int{2, 3}, 1, 2, 3, 4, 5, 6)}, ft([]int{3, 2}, 1, 4, 2, 5, 3, 6)},
		{"transpose-default", 13, "Transpose", nil, []*importer.Tensor{ft([]int{1, 2, 3}, 1, 2, 3, 4, 5, 6)}, ft([]int{3, 2, 1}, 1, 4, 2, 5, 3, 6)},
		{"concat-1", 13, "Concat", attrMap(aInt("axis", 1)), []*importer.Tensor{ft([]int{2, 1}, 1, 2), ft([]int{2, 2}, 3, 4, 5, 6)}, ft([]int{2, 3}, 1, 3, 4, 2, 5, 6)},
		{"concat-int-neg", 13, "Concat", attrMap(aInt("axis", -1)), []*importer.Tensor{it([]int{1}, -1), it([]int{2}, 5, 6)}, it([]int{3}, -1, 5, 6)},
		{"squeeze-attr", 11, "Squeeze", attrMap(aInts("axes", 0)), []*importer.Tensor{ft([]int{1, 2, 1}, 1, 2)}, ft([]int{2, 1}, 1, 2)},
		{"squeeze-input", 13, "Squeeze", nil, []*importer.Tensor{ft([]int{1, 2, 1}, 1, 2), it([]int{1}, -1)}, ft([]int{1, 2}, 1, 2)},
		{"squeeze-all", 13, "Squeeze", nil, []*importer.Tensor{ft([]int{1, 2, 1}, 1, 2)}, ft([]int{2}, 1, 2)},
		{"unsqueeze-attr", 11, "Unsqueeze", attrMap(aInts("axes", 0, 3)), []*importer.Tensor{ft([]int{2, 1}, 1, 2)}, ft([]int{1, 2, 1, 1}, 1, 2)},
		{"unsqueeze-input", 13, "Unsqueeze", nil, []*importer.Tensor{it(nil, 7), it([]int{1}, 0)}, it([]int{1}, 7)},
		{"pad-attr-opset2", 2, "Pad", attrMap(aInts("pads", 0, 1, 0, 1), aFloat("value", 9)), []*importer.Tensor{ft([]int{1, 2}, 1, 2)}, ft([]int{1, 4}, 9, 1, 2, 9)},
		{"pad-input", 13, "Pad", nil, []*importer.Tensor{ft([]int{2, 1}, 1, 2), it([]int{4}, 1, 0, 0, 1), ft(nil, -1)}, ft([]int{3, 2}, -1, -1, 1, -1, 2, -1)},
		{"pad-crop", 13, "Pad", nil, []*importer.Tensor{ft([]int{1, 3}, 1, 2, 3), it([]int{4}, 0, -1, 0, 0)}, ft([]int{1, 2}, 2, 3)},
		{"pad-edge", 13, "Pad", attrMap(aStr("mode", "edge")), []*importer.Tensor{ft([]int{2}, 1, 2), it([]int{2}, 2, 1)}, ft([]int{5}, 1, 1, 1, 2, 2)},
		{"pad-reflect", 13, "Pad", attrMap(aStr("mode", "reflect")), []*importer.Tensor{ft([]int{3}, 1, 2, 3), it([]int{2}, 2, 2)}, ft([]int{7}, 3, 2, 1, 2, 3, 2, 1)},
		{"softmax-13", 13, "Softmax", nil, []*importer.Tensor{ft([]int{2, 2}, 0, 0, 0, float32(math.Log(3)))}, ft([]int{2, 2}, 0.5, 0.5, 0.25, 0.75)},
		{"softmax-13-axis0", 13, "Softmax", attrMap(aInt("axis", 0)), []*importer.Tensor{ft([]int{2, 1}, 0, float32(math.Log(3)))}, ft([]int{2, 1}, 0.25, 0.75)},
		// opset 11, axis 1 on [1,2,2]: normalised over all 4 values.
		{"softmax-11-flatten", 11, "Softmax", nil, []*importer.Tensor{ft([]int{1, 2, 2}, 0, 0, 0, 0)}, ft([]int{1, 2, 2}, 0.25, 0.25, 0.25, 0.25)},
		{"softmax-13-3d", 13, "Softmax", nil, []*importer.Tensor{ft([]int{1, 2, 2}, 0, 0, 0, 0)}, ft([]int{1, 2, 2}, 0.5, 0.5, 0.5, 0.5)},
		{"logsoftmax", 13, "LogSoftmax", nil, []*importer.Tensor{ft([]int{2}, 0, 0)}, ft([]int{2}, -float32(math.Ln2), -float32(math.Ln2))},
		{"batchnorm", 13, "BatchNormalization", attrMap(aFloat("epsilon", 0)), []*importer.Tensor{ft([]int{1, 2, 1, 2}, 1, 2, 3, 4), ft([]int{2}, 1, 2), ft([]int{2}, 0, 1), ft([]int{2}, 1, 3), ft([]int{2}, 4, 1)}, ft([]int{1, 2, 1, 2}, 0, 0.5, 1, 3)},
		{"shape", 13, "Shape", nil, []*importer.Tensor{ft([]int{2, 3, 4})}, it([]int{3}, 2, 3, 4)},
		{"shape-start-end", 15, "Shape", attrMap(aInt("start", 1), aInt("end", -1)), []*importer.Tensor{ft([]int{2, 3, 4})}, it([]int{1}, 3)},
		{"gather-axis0-scalar", 13, "Gather", nil, []*importer.Tensor{it([]int{3}, 5, 6, 7), it(nil, -1)}, it(nil, 7)},
		{"gather-axis1", 13, "Gather", attrMap(aInt("axis", 1)), []*importer.Tensor{ft([]int{2, 3}, 1, 2, 3, 4, 5, 6), it([]int{2}, 2, 0)}, ft([]int{2, 2}, 3, 1, 6, 4)},
		{"constantofshape", 13, "ConstantOfShape", attrMap(aTensor("value", it([]int{1}, 3))), []*importer.Tensor{it([]int{2}, 1, 2)}, it([]int{1, 2}, 3, 3)},
		{"constantofshape-default", 13, "ConstantOfShape", nil, []*importer.Tensor{it([]int{1}, 2)}, ft([]int{2}, 0, 0)},
		{"slice-inputs", 13, "Slice", nil, []*importer.Tensor{ft([]int{2, 3}, 1, 2, 3, 4, 5, 6), it([]int{1}, 1), it([]int{1}, 1000), it([]int{1}, 1)}, ft([]int{2, 2}, 2, 3, 5, 6)},
		{"slice-neg-step", 13, "Slice", nil, []*importer.Tensor{ft([]int{4}, 1, 2, 3, 4), it([]int{1}, -1), it([]int{1}, -1000), nil, it([]int{1}, -2)}, ft([]int{2}, 4, 2)},
		{"slice-attr-opset9", 9, "Slice", attrMap(aInts("starts", 0, 1), aInts("ends", 1, -1)), []*importer.Tensor{ft([]int{2, 3}, 1, 2, 3, 4, 5, 6)}, ft([]int{1, 1}, 2)},
		{"quantize-u8", 13, "QuantizeLinear", nil, []*importer.Tensor{ft([]int{5}, -1, 0.25, 0.75, 1, 300), ft(nil, 0.5), &importer.Tensor{DType: importer.Uint8, Int: []int64{10}}}, &importer.Tensor{DType: importer.Uint8, Shape: []int{5}, Int: []int64{8, 10, 12, 12, 255}}},
		{"quantize-default-u8", 13, "QuantizeLinear", nil, []*importer.Tensor{ft([]int{2}, -1, 2.5), ft(nil, 1)}, &importer.Tensor{DType: importer.Uint8, Shape: []int{2}, Int: []int64{0, 2}}},
		{"quantize-i8-axis", 13, "QuantizeLinear", attrMap(aInt("axis", 0)), []*importer.Tensor{ft([]int{2, 2}, 1, -1, 1, -1), ft([]int{2}, 0.1, 0.001), &importer.Tensor{DType: importer.Int8, Shape: []int{2}, Int: []int64{0, 1}}}, &importer.Tensor{DType: importer.Int8, Shape: []int{2, 2}, Int: []int64{10, -10, 127, -128}}},
		{"dequantize", 13, "DequantizeLinear", nil, []*importer.Tensor{&importer.Tensor{DType: importer.Uint8, Shape: []int{3}, Int: []int64{0, 10, 255}}, ft(nil, 0.5), &importer.Tensor{DType: importer.Uint8, Int: []int64{10}}}, ft([]int{3}, -5, 0, 122.5)},
		{"dequantize-axis1", 13, "DequantizeLinear", nil, []*importer.Tensor{&importer.Tensor{DType: importer.Int8, Shape: []int{1, 2, 2}, Int: []int64{1, 2, 3, 4}}, ft([]int{2}, 1, 10)}, ft([]int{1, 2, 2}, 1, 2, 30, 40)},
		{"expand", 13, "Expand", nil, []*importer.Tensor{ft([]int{2, 1}, 1, 2), it([]int{2}, 2, 2)}, ft([]int{2, 2}, 1, 1, 2, 2)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(t, tc.opset, tc.op, tc.attrs, tc.ins...)
			if err != nil {
				t.Fatal(err)
			}
			if err := tensorsClose(got, tc.want, 1e-6); err != nil {
				t.Fatal(err)
			}
			if got.DType != tc.want.DType {
				t.Fatalf("dtype %s, want %s", got.DType, tc.want.DType)
			}
			// Shape inference agrees with what the kernel produced.
			all := true
			for _, x := range tc.ins {
				all = all && x != nil
			}
			if all {
				checkInferred(t, tc.opset, tc.op, tc.attrs, tc.ins, got)
			}
			// Same result with constant operands (pre-packed weights path).
			if len(tc.ins) > 1 && tc.ins[1] != nil {
				all := true
				for _, x := range tc.ins[1:] {
					all = all && x != nil
				}
				if all {
					got2, err := runOpConst(t, tc.opset, tc.op, tc.attrs, tc.ins...)
					if err != nil {
						t.Fatal(err)
					}
					if err := tensorsClose(got2, tc.want, 1e-6); err != nil {
						t.Fatalf("with constant inputs: %v", err)
					}
				}
			}
		})
	}
}

func TestConstantNode(t *testing.T) {
	for _, tc := range []struct {
		a    *importer.Attr
		want *importer.Tensor
	}{
		{aTensor("value", ft([]int{2}, 1, 2)), ft([]int{2}, 1, 2)},
		{aFloat("value_float", 3), ft(nil, 3)},
		{aInts("value_ints", 4, 5), it([]int{2}, 4, 5)},
		{aInt("value_int", 6), it(nil, 6)},
	} {
		g := nodeGraph("Constant", attrMap(tc.a), 0, nil, 1)
		p, err := NewProgram(g)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Run(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tensorsClose(out["out0"], tc.want, 0); err != nil {
			t.Errorf("%s: %v", tc.a.Name, err)
		}
	}
}

// Bad shapes and attributes give errors that name the node and wrap
// ErrInvalidModel; none panics.
func TestOpErrors(t *testing.T) {
	cases := []struct {
		name  string
		op    string
		attrs map[string]*importer.Attr
		ins   []*importer.Tensor
		want  string
	}{
		{"add-mismatch", "Add", nil, []*importer.Tensor{ft([]int{2}, 1, 2), ft([]int{3}, 1, 2, 3)}, "broadcastable"},
		{"add-types", "Add", nil, []*importer.Tensor{ft([]int{1}, 1), it([]int{1}, 1)}, "element types"},
		{"gemm-inner", "Gemm", nil, []*importer.Tensor{ft([]int{1, 2}, 1, 2), ft([]int{3, 1}, 1, 2, 3)}, "inner dims"},
		{"conv-channels", "Conv", nil, []*importer.Tensor{ft([]int{1, 2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8), ft([]int{1, 1, 1, 1}, 1)}, "channels"},
		{"conv-kernel-too-big", "Conv", nil, []*importer.Tensor{ft([]int{1, 1, 1, 1}, 1), ft([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, "extent"},
		{"conv-group", "Conv", attrMap(aInt("group", 0)), []*importer.Tensor{ft([]int{1, 1, 1, 1}, 1), ft([]int{1, 1, 1, 1}, 1)}, "group"},
		{"conv-autopad", "Conv", attrMap(aStr("auto_pad", "FOO")), []*importer.Tensor{ft([]int{1, 1, 1, 1}, 1), ft([]int{1, 1, 1, 1}, 1)}, "auto_pad"},
		{"reshape-count", "Reshape", nil, []*importer.Tensor{ft([]int{3}, 1, 2, 3), it([]int{1}, 2)}, "cannot reshape"},
		{"reshape-huge", "Reshape", nil, []*importer.Tensor{ft([]int{3}, 1, 2, 3), it([]int{3}, 1<<40, 1<<40, -1)}, "too large"},
		{"cos-huge", "ConstantOfShape", nil, []*importer.Tensor{it([]int{3}, 1<<30, 1<<30, 1<<30)}, "more than"},
		{"pad-huge", "Pad", nil, []*importer.Tensor{ft([]int{1}, 1), it([]int{2}, 1<<40, 0)}, "out of range"},
		{"gather-oob", "Gather", nil, []*importer.Tensor{ft([]int{2}, 1, 2), it([]int{1}, 2)}, "out of range"},
		{"squeeze-non1", "Squeeze", nil, []*importer.Tensor{ft([]int{2}, 1, 2), it([]int{1}, 0)}, "cannot squeeze"},
		{"concat-shapes", "Concat", attrMap(aInt("axis", 0)), []*importer.Tensor{ft([]int{1, 2}, 1, 2), ft([]int{1, 1}, 1)}, "only axis"},
		{"transpose-perm", "Transpose", attrMap(aInts("perm", 0, 0)), []*importer.Tensor{ft([]int{1, 1}, 1)}, "permutation"},
		{"matmul-inner", "MatMul", nil, []*importer.Tensor{ft([]int{2}, 1, 2), ft([]int{3}, 1, 2, 3)}, "inner dims"},
		{"bn-shape", "BatchNormalization", nil, []*importer.Tensor{ft([]int{1, 2}, 1, 2), ft([]int{1}, 1), ft([]int{1}, 1), ft([]int{1}, 1), ft([]int{1}, 1)}, "channels"},
		{"pool-no-kernel", "MaxPool", nil, []*importer.Tensor{ft([]int{1, 1, 1, 1}, 1)}, "kernel_shape"},
		{"cast-bad", "Cast", attrMap(aInt("to", 99)), []*importer.Tensor{ft([]int{1}, 1)}, "element type"},
		{"div-int-zero", "Div", nil, []*importer.Tensor{it([]int{1}, 1), it([]int{1}, 0)}, "division by zero"},
		{"attr-kind", "Flatten", attrMap(aFloat("axis", 1)), []*importer.Tensor{ft([]int{1}, 1)}, "want an int"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOp(t, 13, tc.op, tc.attrs, tc.ins...)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, importer.ErrInvalidModel) {
				t.Errorf("error does not wrap ErrInvalidModel: %v", err)
			}
			if !strings.Contains(err.Error(), `node "n0"`) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q should name the node and contain %q", err, tc.want)
			}
		})
	}
}
