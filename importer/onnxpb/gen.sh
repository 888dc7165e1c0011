#!/bin/sh
# Regenerates onnx.pb.go from onnx.proto.
#
# onnx.proto is ONNX's own schema (Apache-2.0, https://github.com/onnx/onnx),
# copied from Debian's python3-onnx 1.12 (/usr/lib/python3/dist-packages/onnx/onnx.proto)
# with two edits: the proto package is renamed from `onnx` to `rramc.onnx`, so
# that its registered message names (rramc.onnx.ModelProto, ...) do not collide
# with github.com/owulveryck/onnx-go's `onnx.*` messages when both are linked
# into one binary (the wire format does not depend on the package name), and a
# go_package option is added. `./gen.sh --update` redoes the copy and edits.
#
# Tools: protoc 3.21.12 (Debian protobuf-compiler) and
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
# (protoc-gen-go must be on PATH, or set PROTOC_GEN_GO to its path).
set -eu
cd "$(dirname "$0")"

if [ "${1:-}" = "--update" ]; then
	src=${ONNX_PROTO:-/usr/lib/python3/dist-packages/onnx/onnx.proto}
	{
		echo '// Copied from ONNX (https://github.com/onnx/onnx), Apache License 2.0,'
		echo '// Copyright (c) ONNX Project Contributors. Edited for rramc by gen.sh:'
		echo '// package renamed onnx -> rramc.onnx (avoids registry clashes with'
		echo '// onnx-go; the wire format is unchanged) and go_package added.'
		echo
		sed -e 's/^package onnx;$/package rramc.onnx;\n\noption go_package = "github.com\/rramc\/rramc\/importer\/onnxpb";/' "$src"
	} >onnx.proto.tmp
	mv onnx.proto.tmp onnx.proto
fi

plugin=${PROTOC_GEN_GO:-$(command -v protoc-gen-go)}
protoc --plugin=protoc-gen-go="$plugin" --go_out=. --go_opt=paths=source_relative onnx.proto
