// ort.js: the onnxruntime side of the float32 comparison (see doc.go).
//
//   node ort.js MODEL.onnx INPUTS.npy BATCH ITERS [THREADS]
//
// INPUTS.npy holds N input samples (float32, C order, first axis = images).
// The script loads MODEL.onnx into onnxruntime-node with THREADS intra-op
// threads (default 2), prints "ready", then for every line "run" on stdin runs one pass and
// prints its wall time in milliseconds. A pass is ITERS sweeps over the N
// samples in batches of BATCH (the last batch may be smaller). On "check" it
// prints the first output of the first batch as JSON, so the driver can
// confirm both runtimes computed the same thing.
'use strict';

const fs = require('fs');
const readline = require('readline');
const ort = require('onnxruntime-node');

function readNpyFloat32(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${path}: want little-endian float32 in C order, header ${header}`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim() !== '').map(Number);
  const off = hstart + hlen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + buf.length));
  return { shape, data };
}

async function main() {
  const [model, inputs, batchArg, itersArg, threadsArg] = process.argv.slice(2);
  if (!model || !inputs) throw new Error('usage: node ort.js MODEL.onnx INPUTS.npy BATCH ITERS [THREADS]');
  const batch = Number(batchArg || 64);
  const iters = Number(itersArg || 1);
  const threads = Number(threadsArg || 2);
  const x = readNpyFloat32(inputs);
  const n = x.shape[0];
  const per = x.data.length / n;
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const name = session.inputNames[0];
  const feeds = [];
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    feeds.push({ [name]: new ort.Tensor('float32', x.data.subarray(s * per, (s + b) * per), [b, ...x.shape.slice(1)]) });
  }
  console.log('ready');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const cmd = line.trim();
    if (cmd === 'run') {
      const t0 = process.hrtime.bigint();
      for (let it = 0; it < iters; it++) {
        for (const f of feeds) await session.run(f);
      }
      const t1 = process.hrtime.bigint();
      console.log(String(Number(t1 - t0) / 1e6));
    } else if (cmd === 'check') {
      const out = await session.run(feeds[0]);
      const y = out[session.outputNames[0]];
      console.log(JSON.stringify({ shape: y.dims, data: Array.from(y.data) }));
    } else if (cmd === 'quit') {
      break;
    }
  }
  rl.close();
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(2);
});
