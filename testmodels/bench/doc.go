// Command bench times rramc's float32 interpreter against onnxruntime
// (onnxruntime-node 1.30.0, 2 intra-op threads) on the same models and the
// same inputs, interleaved in one run, and prints the ratio of the median
// pass times (rramc / onnxruntime; below 1 means rramc is faster). Each
// timed pass follows an untimed pass of the same runtime, so neither is
// timed while the other's threads wind down.
//
// Workloads: LeNet-5, the small ResNet, VGG-BN and the MLP over the 10,000
// MNIST test images at batch 64; ResNet-18 and MobileNetV2 (random
// weights, exported by testmodels/train.py --resnet18 --mobilenetv2, not
// committed) on the manifest's deterministic 3×224×224 probe at batch 1;
// torchvision's ResNet-50 and MobileNetV3-large (the opset-13 exports of
// testmodels/torchvision_export.py, in -tv-dir or $RRAMC_TORCHVISION_DIR)
// on the same probe at batch 1. A workload whose file is missing is skipped.
// Before timing, the first batch goes through both runtimes and the largest
// absolute output difference is reported (max_diff), so a fast wrong answer
// shows up.
//
// Setup, once, outside the repository (the package bundles its native
// library, so the install scripts are not needed):
//
//	mkdir -p /tmp/ort && cd /tmp/ort && npm install --ignore-scripts onnxruntime-node@1.30.0
//
// Then, from the repository root:
//
//	go run ./testmodels/bench -node-modules /tmp/ort/node_modules [-models lenet5,resnet18] [-reps 5] [-threads 2] [-cpuprofile /tmp/rramc]
//
// On a machine shared with other work, -threads 1 gives steadier ratios
// (neither runtime then waits on a descheduled helper thread).
// -cpuprofile writes a pprof CPU profile of rramc's timed passes per model
// (inspect with go tool pprof -top). No test depends on this command.
package main
