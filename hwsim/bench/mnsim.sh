#!/bin/sh
# Bit-serial simulation speed on MNSIM 2.0's LeNet and VGG-8, whole `rramc
# sim` process: MAC/s of wall time and of CPU time, agreement with the golden
# model and ADC clipping, for 9x8 OUs with an 8- and a 4-bit ADC, 16x16 OUs
# with a 3-bit ADC (lossy) and a whole 256x256 crossbar read as one OU with
# a 6-bit ADC. See README.md in this directory.
#
# Usage (from the repository root):
#   hwsim/bench/mnsim.sh [OUTDIR]
# Environment:
#   RRAMC_OLD  a second rramc binary (an older build) run interleaved with
#              this tree's, so that ratios come from one run
#   REPS       repetitions of every point (default 3)
#   NETS       networks with image counts (default "lenet:256 lenet:1024 vgg8:32")
#   PYTHON     Python with PyTorch and NumPy (default /usr/bin/python3)
set -eu
out=${1:-/tmp/rramc-mnsim}
reps=${REPS:-3}
nets=${NETS:-"lenet:256 lenet:1024 vgg8:32"}
py=${PYTHON:-/usr/bin/python3}
here=$(dirname "$0")
mkdir -p "$out"
if [ ! -f "$out/vgg8.onnx" ] || [ ! -f "$out/x1024.npy" ] || [ ! -f "$out/macs.txt" ]; then
	"$py" "$here/mnsim_nets.py" "$out" >"$out/macs.txt"
fi
go build -o "$out/rramc" ./cmd/rramc
bins="new=$out/rramc"
if [ -n "${RRAMC_OLD:-}" ]; then
	bins="$bins old=$RRAMC_OLD"
fi
results="$out/results.tsv"
printf 'network\timages\tconfig\tbinary\twall_s\tcpu_s\tmax_rss_kb\tbit_exact\tadc_clipped\tadc_conversions\n' >"$results"
for spec in $nets; do
	net=${spec%%:*}
	n=${spec#*:}
	for cfg in "ou9x8_adc8:--ou 9x8 --adc-bits 8" "ou9x8_adc4:--ou 9x8 --adc-bits 4" \
		"ou16x16_adc3:--ou 16x16 --adc-bits 3" "xbar256_adc6:--xbar 256x256 --ou 256x256 --adc-bits 6"; do
		name=${cfg%%:*}
		flags=${cfg#*:}
		r=0
		while [ "$r" -lt "$reps" ]; do
			for b in $bins; do
				label=${b%%=*}
				bin=${b#*=}
				# shellcheck disable=SC2086 # flags are words
				/usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" "$bin" sim "$out/$net.onnx" \
					--data "$out/x$n.npy" --labels "$out/y$n.npy" --calib "$n" --scheme dense \
					--sim-mode bitserial $flags --json >"$out/run.json"
				"$py" - "$out/run.json" "$out/time.txt" "$net" "$n" "$name" "$label" >>"$results" <<'PY'
import json, sys
run, tm, net, n, cfg, label = sys.argv[1:]
d = json.load(open(run))
wall, user, sys_, rss = open(tm).read().split()[-4:]
# older builds named bit_exact "agreement"
exact = d.get("bit_exact", d.get("agreement"))
print("\t".join([net, n, cfg, label, wall, "%.2f" % (float(user) + float(sys_)), rss,
                 "%g" % exact, str(d.get("adc_clipped")), str(d.get("adc_conversions_run"))]))
PY
			done
			r=$((r + 1))
		done
	done
done
"$py" - "$results" "$out/macs.txt" <<'PY'
import collections, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
macs = {l.split()[0]: int(l.split()[2]) for l in open(sys.argv[2]) if "MACs/image" in l}
by = collections.OrderedDict()
for r in rows:
    by.setdefault(tuple(r[:4]), []).append(r)
print("%-6s %6s %-13s %-4s %9s %9s %12s %12s %9s %14s" % ("net", "images", "config", "bin", "wall s", "cpu s",
      "MAC/s wall", "MAC/cpu-s", "bit_exact", "adc_clipped"))
for (net, n, cfg, b), rs in by.items():
    wall = statistics.median(float(r[4]) for r in rs)
    cpu = statistics.median(float(r[5]) for r in rs)
    work = macs[net] * int(n)
    print("%-6s %6s %-13s %-4s %9.2f %9.2f %12.3g %12.3g %9s %14s" % (net, n, cfg, b, wall, cpu, work / wall, work / cpu,
          rs[0][7], rs[0][8]))
print("(medians of %d runs; MAC/s counts the whole process: loading, calibration, quantization, mapping, "
      "golden model, float model and simulation)" % len(next(iter(by.values()))))
PY
