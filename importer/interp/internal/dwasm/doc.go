// Package dwasm generates kernels_dw_amd64.s of package interp: the
// AVX-512 direct depthwise convolution kernels, one dwChannels and one
// dwQuads function per stride (1, 2) and kernel width (3, 5).
//
// The kernels are unrolled over the kernel's columns (and, for the runs
// that see the whole kernel, over its rows and the four output rows of a
// block), so the assembly is long and regular; this package is its one
// home. Generate returns the file's bytes; the command in cmd writes them
// (`go generate` in importer/interp), and a test fails when the committed
// file and Generate disagree.
package dwasm
