package quant

import (
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// ConvTranspose on the crossbars by phases (the sub-pixel decomposition of
// accelerators). Along one spatial axis, input i scatters tap t to output
// o = i·s - pad_begin + t·d. Writing t·d - pad_begin = q_t·s + r_t with
// 0 ≤ r_t < s, output o = j·s + r receives exactly the taps with r_t = r,
// from input j - q_t: the outputs of residue class r (the phase) are a
// stride-1 convolution of the input itself, not of a zero-inserted copy,
// with the sub-kernel of those taps. Within a phase consecutive taps are
// s/gcd(s, d) apart and q_t grows by d/gcd(s, d), so the sub-kernel is
// read flipped with dilation d/gcd(s, d), and begins at input j - q_last
// (q_last of the phase's last tap; a negative q_last, from pads beyond the
// kernel, is an output shift: the phase's first -q_last outputs are
// computed and skipped). Over several axes a phase is one residue per
// axis; its weight matrix holds the taps of those residues, so the phases'
// matrices together hold every weight of the kernel once. A phase with no
// tap along some axis (kernel smaller than stride) is bias only.
//
// Every phase is an OpLinear of its own (a Linear, mapped by every scheme)
// over the input value, sharing the layer's weight scales (those of the
// whole kernel), bias, multipliers and fused activation, so each output
// code is exactly the ConvTranspose's: the sum over its taps, requantized
// once. A 1-D layer is a 2-D one of height 1 (an alias of the input); a 3-D
// layer stacks the phase's depth taps as channels and its output depths
// along the height (one OpGather per phase builds that input, the rows
// that straddle two depths are computed and skipped, as for a 3-D Conv).
// The bias-only codes are an OpConst, one per output channel, and one
// OpGather interleaves the phase outputs and those codes into the output:
// copies on the digital units, like DepthToSpace.

// convTAxis is the phase decomposition of one spatial axis.
type convTAxis struct {
	in, out, stride int
	// phases[r] for residue r
	phases []axisPhase
}

// axisPhase is one residue class of one axis: its taps (ascending kernel
// positions), its output count, the stride-1 convolution computing it
// (dilation dil, begin padding pad ≥ 0, end padding padEnd ≥ 0) and the
// number of leading outputs of that convolution that are skipped.
type axisPhase struct {
	taps             []int
	outs             int
	dil, pad, padEnd int
	skip             int
	convOut, extent  int // outputs computed (outs + skip), (taps-1)·dil + 1
	// padBegin is q_last: output j reads input j - padBegin + u·dil
	// (3-D stacking reads the depth axis so, negative or not)
	padBegin int
}

// splitAxis decomposes one axis: input size in, output size out, kernel k,
// stride s, dilation d, begin padding pb.
func splitAxis(in, out, k, s, d, pb int) convTAxis {
	a := convTAxis{in: in, out: out, stride: s, phases: make([]axisPhase, s)}
	g := gcd(s, d)
	q := make([]int, k)
	for t := 0; t < k; t++ {
		e := t*d - pb
		qt := floorDiv(e, s)
		q[t] = qt
		r := e - qt*s
		a.phases[r].taps = append(a.phases[r].taps, t)
	}
	for r := range a.phases {
		p := &a.phases[r]
		if out > r {
			p.outs = (out - r + s - 1) / s
		}
		if len(p.taps) == 0 || p.outs == 0 {
			continue
		}
		p.dil = d / g
		last := q[p.taps[len(p.taps)-1]]
		p.extent = (len(p.taps)-1)*p.dil + 1
		p.skip = max(-last, 0)
		p.pad = max(last, 0)
		p.convOut = p.outs + p.skip
		p.padEnd = max(p.convOut-1+p.extent-in-p.pad, 0)
		p.padBegin = last
	}
	return a
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// convTranspose builds ConvTranspose node n (float layer f) as one OpLinear
// per phase and the interleaving copy.
func (b *builder) convTranspose(n *importer.Node, f *floatLayer) error {
	in, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	inV := b.net.Values[in]
	wt := b.g.Initializers[n.Inputs[1]]
	sp := len(inV.Shape) - 1
	if sp < 1 || sp > 3 || len(wt.Shape) != sp+2 {
		b.unsupported(n, fmt.Sprintf("input %v per sample, weight %v: 1 to 3 spatial axes are supported", inV.Shape, wt.Shape))
		return nil
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != "" && f.bias == nil {
		b.unsupported(n, "bias is not a constant vector of one value per output channel")
		return nil
	}
	c := inV.Shape[0]
	outSp, padB, strides, dils, group, err := interp.ConvTransposeGeometry(n, inV.Shape[1:], wt.Shape[2:])
	if err != nil {
		return fmt.Errorf("quant: %w: %s: %v", importer.ErrInvalidModel, nodeWhere(n), err)
	}
	t := f.convT
	if wt.Shape[0] != c || c%group != 0 || t.cg != c/group || f.cout != group*t.mg {
		return fmt.Errorf("quant: %w: %s: weight %v for %d input channels in %d groups", importer.ErrInvalidModel, nodeWhere(n), wt.Shape, c, group)
	}
	// Axes as (depth, height, width); missing leading axes have size 1.
	var axes [3]convTAxis
	kern := [3]int{1, 1, 1}
	for i := range axes {
		j := i - (3 - sp)
		if j < 0 {
			axes[i] = splitAxis(1, 1, 1, 1, 1, 0)
			continue
		}
		kern[i] = wt.Shape[2+j]
		axes[i] = splitAxis(inV.Shape[1+j], outSp[j], kern[i], strides[j], dils[j], padB[j])
	}
	inD, inH, inW := axes[0].in, axes[1].in, axes[2].in

	bias := make([]float64, f.cout)
	for i, v := range f.bias {
		bias[i] = float64(v)
	}
	out, lo, hi, nonNeg := b.fuseActivation(n.Outputs[0])
	sy, signed, clo, chi := b.encode(out, !nonNeg, lo, hi)
	wscale, codes, err := b.weightCodes(n, f, 1, 1)
	if err != nil {
		return err
	}
	biasQ, mult := requantOf(bias, inV.Scale, wscale, sy)

	// A 1-D or 2-D layer reads the input as [C, H, W] through its window.
	src := in
	if sp == 1 {
		src = b.aliasValue(n.Name+".rows", in, []int{c, 1, inW})
		b.emit(Op{Kind: OpReshape, Name: n.Name, In: []int{in}, Out: src})
	}
	name := n.Name
	if name == "" {
		name = fmt.Sprintf("ConvTranspose_%d", len(b.net.Linears))
	}
	type placed struct {
		value int
		base  int // offset in the interleave's joined input codes
		hp    int // rows per output depth (3-D stacking), else 0
		rows  int
		cols  int
	}
	// phase index (rd·s_h + rh)·s_w + rw → its computed output
	nPhases := axes[0].stride * axes[1].stride * axes[2].stride
	done := make([]*placed, nPhases)
	var joined []int
	base := 0
	biasOnly := false
	for rd, pd := range axes[0].phases {
		for rh, ph := range axes[1].phases {
			for rw, pw := range axes[2].phases {
				if pd.outs == 0 || ph.outs == 0 || pw.outs == 0 {
					continue // no output of this residue class
				}
				if len(pd.taps) == 0 || len(ph.taps) == 0 || len(pw.taps) == 0 {
					biasOnly = true
					continue
				}
				pi := (rd*axes[1].stride+rh)*axes[2].stride + rw
				nd, nh, nw := len(pd.taps), len(ph.taps), len(pw.taps)
				pin := src
				win := &Window{KH: nh, KW: nw, StrideH: 1, StrideW: 1, DilH: ph.dil, DilW: pw.dil,
					PadT: ph.pad, PadL: pw.pad, PadB: ph.padEnd, PadR: pw.padEnd,
					InC: c, InH: inH, InW: inW, OutH: ph.convOut, OutW: pw.convOut}
				pl := &placed{rows: ph.convOut, cols: pw.convOut}
				if sp == 3 {
					// [C·n_d, L_d·H', W']: (c·n_d + u, z·H' + y, x) is input
					// (c, z - q_last + u·dil, y - pad_h, x - pad_w), code 0 outside
					hp := ph.convOut - 1 + ph.extent
					wp := pw.convOut - 1 + pw.extent
					table := make([]int32, 0, c*nd*pd.outs*hp*wp)
					for ch := 0; ch < c; ch++ {
						for u := 0; u < nd; u++ {
							for z := 0; z < pd.outs; z++ {
								zi := z - pd.padBegin + u*pd.dil
								for y := 0; y < hp; y++ {
									yi := y - ph.pad
									for x := 0; x < wp; x++ {
										xi := x - pw.pad
										if zi < 0 || zi >= inD || yi < 0 || yi >= inH || xi < 0 || xi >= inW {
											table = append(table, -1)
										} else {
											table = append(table, int32(((ch*inD+zi)*inH+yi)*inW+xi))
										}
									}
								}
							}
						}
					}
					stacked := b.aliasValue(fmt.Sprintf("%s.phase%d.stacked", name, pi), in, []int{c * nd, pd.outs * hp, wp})
					b.emit(Op{Kind: OpGather, Name: n.Name, In: []int{in}, Out: stacked, Table: table, Bias: []int32{0}})
					pin = stacked
					win = &Window{KH: nh, KW: nw, StrideH: 1, StrideW: 1, DilH: ph.dil, DilW: pw.dil,
						InC: c * nd, InH: pd.outs * hp, InW: wp, OutH: pd.outs*hp - ph.extent + 1, OutW: pw.convOut}
					pl.hp, pl.rows = hp, win.OutH
				}
				// The phase's weights: K index ((c_in·n_d + u)·n_h + v)·n_w + x
				// holds the kernel at the flipped taps.
				cg, mg := t.cg, t.mg
				l := &Linear{Index: len(b.net.Linears), Name: fmt.Sprintf("%s.phase%d", name, pi), Op: "Conv", Groups: group,
					K: cg * nd * nh * nw, N: mg, WBits: b.cfg.WBits, ABits: inV.Bits, InputSigned: inV.Signed,
					WScale: slices.Clone(wscale), Weights: make([][]int32, group)}
				zeros, pruned := 0, 0
				for g := range l.Weights {
					wg := make([]int32, l.K*l.N)
					for m := 0; m < mg; m++ {
						oc := g*mg + m
						kk := 0
						for ci := 0; ci < cg; ci++ {
							for u := 0; u < nd; u++ {
								for v := 0; v < nh; v++ {
									for x := 0; x < nw; x++ {
										tap := (pd.taps[nd-1-u]*kern[1]+ph.taps[nh-1-v])*kern[2] + pw.taps[nw-1-x]
										orig := ci*t.taps + tap
										q := codes[oc*f.k+orig]
										wg[kk*l.N+m] = q
										if q == 0 {
											zeros++
										}
										if f.w[f.index(oc, orig)] == 0 {
											pruned++
										}
										kk++
									}
								}
							}
						}
					}
					l.Weights[g] = wg
				}
				l.Name = b.uniqueLinearName(l.Name, l.Index)
				pv := b.newValue(l.Name, []int{f.cout, pl.rows, pl.cols}, sy, signed)
				b.emit(Op{Kind: OpLinear, Name: name, In: []int{pin}, Out: pv, Linear: l.Index, Win: win,
					Bias: slices.Clone(biasQ), Mult: slices.Clone(mult), Lo: clo, Hi: chi})
				stats := LayerStats{Name: l.Name, Weights: f.cout * l.K, Pruned: pruned, Zeros: zeros}
				if len(joined) == 0 {
					stats.PrunedChannels = f.prunedCh // reported once, on the layer's first phase
				}
				b.net.Linears = append(b.net.Linears, l)
				b.net.Layers = append(b.net.Layers, stats)
				pl.value, pl.base = pv, base
				base += f.cout * pl.rows * pl.cols
				joined = append(joined, pv)
				done[pi] = pl
			}
		}
	}
	constBase := base
	if biasOnly {
		cv := b.newValue(name+".bias", []int{f.cout}, sy, signed)
		op := Op{Kind: OpConst, Name: n.Name, In: []int{b.net.Inputs[0].Value}, Out: cv, Lo: clo, Hi: chi, Table: make([]int32, f.cout)}
		for oc := range op.Table {
			mu := mult[min(oc, len(mult)-1)]
			op.Table[oc] = clamp32(sat32(mu.apply64(int64(biasQ[oc]))), clo, chi)
		}
		b.emit(op)
		joined = append(joined, cv)
	}
	outShape := append([]int{f.cout}, outSp...)
	od, oh, ow := axes[0].out, axes[1].out, axes[2].out
	table := make([]int32, 0, f.cout*od*oh*ow)
	for oc := 0; oc < f.cout; oc++ {
		for z := 0; z < od; z++ {
			for y := 0; y < oh; y++ {
				for x := 0; x < ow; x++ {
					rd, rh, rw := z%axes[0].stride, y%axes[1].stride, x%axes[2].stride
					pl := done[(rd*axes[1].stride+rh)*axes[2].stride+rw]
					if pl == nil {
						table = append(table, int32(constBase+oc))
						continue
					}
					jd, jh, jw := z/axes[0].stride, y/axes[1].stride+axes[1].phases[rh].skip, x/axes[2].stride+axes[2].phases[rw].skip
					row := jh
					if pl.hp > 0 {
						row = jd*pl.hp + jh
					}
					table = append(table, int32(pl.base+(oc*pl.rows+row)*pl.cols+jw))
				}
			}
		}
	}
	if len(joined) == 0 {
		return fmt.Errorf("quant: %w: %s: output %v has no positions", importer.ErrInvalidModel, nodeWhere(n), outShape)
	}
	y := b.newValue(out, outShape, sy, signed)
	b.emit(Op{Kind: OpGather, Name: n.Name, In: joined, Out: y, Table: table})
	return nil
}
