// Package sweep runs rramc over a grid of configurations — networks × pruning
// ratios × mapping schemes × column-sharing limits — and turns the simulated
// points into the tables and plots that compare the column-similarity method
// with its baselines (mapper/METHOD.md, "Baselines").
//
// A Point is one (model, prune ratio, scheme, max-share) evaluation: accuracy
// from the float model, the integer golden model and the simulator, and the
// hardware cost (cycles, latency, energy by component, area, index overhead)
// per layer and per network. Results holds the points and the exact
// configuration they were produced with; it writes results.json, results.csv
// and gains.csv.
//
// Gains are derived, never stored: for a method point M and a baseline point B
// with the same network, pruning ratio, bit widths and hardware (the same
// hardware variant when Config.Variants gives the sweep a hardware axis:
// RESULTS.md then compares the paper's method and the best scheme against
// sre under each variant side by side, and every other table shows the
// first variant),
//
//	performance improvement = cycles(B) / cycles(M) - 1
//	energy saving           = energy(B) / energy(M)
//
// per layer (rows matched by layer index and name) and per network, against
// every baseline scheme (mapper.Baselines: dense, zerocol, sre). The paper's headline
// figures (61.24 % average performance improvement, 1.51x-2.52x energy savings
// across sparsity ratios against a state-of-the-art sparse design) are set
// next to the same statistics over rramc's points: the mean improvement over
// all networks and ratios, and the range over ratios of the mean energy saving.
//
// Run evaluates the grid. Every finished point is stored at once as
// DIR/points/<id>.json (temp file + rename, with the SHA-256 of its record),
// where id is a hash of the point's canonical configuration (identity.go:
// model file contents, quantization, pruning, scheme, sharing, hardware
// description, data and image range, seed, SchemaVersion), so an
// interrupted or extended sweep recomputes only what is missing, and a
// truncated or altered file is detected and recomputed. The simulator's seed
// is derived from the same identity (PointConfig.SimSeed). The evaluation of
// one point is a function (Config.Evaluate) so the runner can be tested
// without the pipeline; NewEvaluator builds the real one on hwsim's
// evaluation layer (hwsim.LoadModel, Model.Quantize, hwsim.Run with the
// float, golden and simulator stages, Outputs.Accuracy, BitExact and
// Top1Agreement: the same code as rramc eval and sim), which quantizes each
// (network, ratio) once — calibration depends on the pruned weights, so it is
// redone per ratio and shared by every scheme and limit — and computes the
// float outputs once per network. The test data is any dataset.Source
// (Config.Data: the embedded MNIST set, .npy, IDX, CIFAR binary, an image
// folder, with per-channel preprocessing); calibration uses the embedded
// MNIST training subset for MNIST and the data's first images otherwise. The
// data's contents (PointConfig.DataHash) are part of a point's identity.
//
// Sharding (shard.go, store.go, merge.go): the grid's points, in canonical
// order (Config.Jobs), are split into work units — a whole point, or with
// Config.ImagesPerTask its image ranges — and Config.Shard I/N computes the
// units with index ≡ I mod N. Every task writes grid.json (the grid, the
// same bytes from every task) and its units into one shared directory; a
// unit being computed has a claim in running/, and the seconds it took go to
// the task's run log in runs/, never into the results. Merge checks that
// every unit of the grid is present (in any of the directories given),
// intact and without a conflicting copy, naming what is not (ErrIncomplete),
// combines the image ranges of a point exactly (combineParts: accuracies are
// counts, summed and divided once), and writes the outputs; a Run over the
// whole grid ends with the same code, so merge(shards) equals a single run
// byte for byte. Two tasks racing on one unit both write whole files by
// rename: one valid file remains, with the same bytes either way.
//
// Parallelism: Config.Workers points run at once (default GOMAXPROCS), each
// simulated on one goroutine; quantization and the golden pass of a
// (network, ratio), which the other workers wait for, use every core. With
// Workers = 1 a single point uses every core instead. Both give identical
// results. Points in parallel is the default because the serial parts of a
// point (mapping small layers, compiling, pricing, storing) then overlap with
// another point's simulation and there is no per-batch fork/join; measured
// CPU time is about the same either way (45 points of the MLP test model on
// the full 10k MNIST test set: 6.5-8.1 s CPU with 1 or 2 workers; wall time
// could not be compared on the shared, overloaded build machine).
//
// Accuracy: AccFloat (accuracy_float) is the float model as given
// (unpruned), AccInt (accuracy_int) the pruned integer golden model, AccSim
// (accuracy_sim) the simulator; Agreement (top1_agreement) is the share of
// images where the simulator and the golden model pick the same class, and
// BitExact (bit_exact) the share whose simulated output codes are all equal
// to the golden model's (both 1 on ideal, lossless hardware). The files
// carry SchemaVersion; results.json of another version is refused with a
// message naming both versions, never decoded into the wrong meaning.
//
// Cost-only points: a network whose first input cannot take the data set's
// samples (dataset.Source.Fit fails, e.g. the [batch,3,224,224] ResNet-18-size
// benchmark model of testmodels against MNIST's 28×28×1) is swept all the
// same, but its points are cost-only (Point.CostOnly, with
// CostOnlyReason): no accuracy is measured or invented — Images and the
// accuracy fields are 0, tables and plots show n/a or leave the network
// out, results.csv leaves the cells empty. Such a network must have fixed
// sample dimensions. It is quantized and pruned with the point's
// configuration like any network, with activation ranges calibrated on
// min(calib, 2) samples (rounded up to a whole fixed batch) of the
// deterministic pattern x[i] = ((i mod 251)/250 − 0.5)·2 over the flat
// index of the batch (sample 0 is testmodels.ReferenceInput), and one
// synthetic image (one fixed batch) is simulated in ModeAuto to get the
// counts of one inference (unless the simulator provably computes the
// golden model: then the counts come from the mapping, see Shared
// evaluation below). These counts depend only on the mapping and the
// input vectors per layer, never on the input values (hwsim.AnalyticCounts;
// the tests check the equality), so cycles, energy, area and index overhead
// are exact; only ADC saturations are data-dependent, and are counted over
// the synthetic image. Activation ranges only set the requantization; the
// one thing calibration can change in the cost is whether the first layer's
// input is signed (which matters for multi-bit DACs only): the pattern is
// signed, as normalized real images are. Gains are derived as for any
// network, and Summaries, hence the headline means, include cost-only
// networks: the paper's figures are about performance and energy.
// Cost-only detection happens in the evaluator, so PointConfig and its key
// are unchanged.
//
// Shared evaluation: the points of one quantized network (network, ratio,
// quantization, images) share its golden outputs, the points of one
// scheme, limit and geometry share one mapping whatever their hardware
// variant, and where hwsim proves that the simulator computes the golden
// model (Simulator.ComputesGolden: lossless ideal hardware, a mapping that
// folds back to the weights exactly) no image is run through it: its
// outputs are the golden outputs and its counts the mapping's
// (Simulator.InferenceCounts). Only lossy or non-ideal hardware is
// simulated image by image. Evaluator.Unshared computes every point by
// itself; the tests check that both store the same bytes. A hardware
// variant marked CostOnly (rramc sweep --cost-only-variants) simulates no
// image at all: its points carry the exact cost of an inference and no
// accuracy (PointConfig.CostOnly, part of the identity), for hardware whose
// lossy ADC would need the bit-serial simulation of every image.
//
// Results.Report produces a self-contained report.html (inline SVG plots made
// by gonum.org/v1/plot; no external script, style sheet, font or image: the
// plots name Liberation Sans, the font gonum measures text with, followed by
// metric-compatible and generic fallbacks) and WriteResultsMarkdown the
// RESULTS.md text.
package sweep
