package onnx

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// Weight bytes dominate a model file (ResNet-18: 44.7 MiB of 44.7). The
// protobuf decoder copies every bytes field, so decoding raw_data normally
// costs a second copy of the whole file before the float conversion makes a
// third. stripRawData avoids the middle one: it walks the wire format of
// ModelProto → graph (field 7) → initializer (field 5) → raw_data (field 9),
// returns the message with those raw_data fields cut out (a few KiB), and
// the cut-out values as sub-slices of data, one per initializer in order
// (nil when a tensor has no raw_data). Decoding the stripped message and then
// setting RawData from the slices gives exactly what decoding data would:
// protobuf merges repeated occurrences of a message field by appending, so
// the initializer order is the wire order, and for a repeated singular bytes
// field the last occurrence wins, as here. Fields with an unexpected wire type
// are copied unchanged (the decoder treats them as unknown either way).
// ok is false when the wire format is malformed; the caller then decodes
// data as is, to get the decoder's own error.
func stripRawData(data []byte) (stripped []byte, raws [][]byte, ok bool) {
	out := make([]byte, 0, 4096)
	out, ok = stripFields(out, data, 7, func(out, graph []byte) ([]byte, bool) {
		return stripFields(out, graph, 5, func(out, tensor []byte) ([]byte, bool) {
			var raw []byte
			out, ok := stripFields(out, tensor, 9, func(out, v []byte) ([]byte, bool) {
				raw = v
				return nil, true // dropped
			})
			raws = append(raws, raw)
			return out, ok
		})
	})
	if !ok {
		return nil, nil, false
	}
	return out, raws, true
}

// stripFields appends msg to out, with every length-delimited field num
// replaced by what sub makes of its value (appended as a new length-delimited
// field; a nil result drops the field).
func stripFields(out, msg []byte, num protowire.Number, sub func(out, v []byte) ([]byte, bool)) ([]byte, bool) {
	for len(msg) > 0 {
		n, typ, tl := protowire.ConsumeTag(msg)
		if tl < 0 {
			return nil, false
		}
		vl := protowire.ConsumeFieldValue(n, typ, msg[tl:])
		if vl < 0 {
			return nil, false
		}
		if n != num || typ != protowire.BytesType {
			out = append(out, msg[:tl+vl]...)
			msg = msg[tl+vl:]
			continue
		}
		v, _ := protowire.ConsumeBytes(msg[tl:])
		msg = msg[tl+vl:]
		inner, ok := sub(make([]byte, 0, 64), v)
		if !ok {
			return nil, false
		}
		if inner == nil {
			continue
		}
		out = protowire.AppendTag(out, num, protowire.BytesType)
		out = protowire.AppendBytes(out, inner)
	}
	return out, true
}
