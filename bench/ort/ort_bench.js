// ONNX Runtime (npm onnxruntime-node, CPU) forward time on one model, for bench/infer_bench.
// Usage: node ort_bench.js MODEL.onnx N,C,H,W THREADS REPS  ->  prints "ort_ms <median> <min>"
'use strict';
const ort = require('onnxruntime-node');

async function main() {
  const [model, dimsArg, threadsArg, repsArg] = process.argv.slice(2);
  const dims = dimsArg.split(',').map(Number);
  const threads = Number(threadsArg || 1);
  const reps = Number(repsArg || 30);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let seed = 1;
  for (let i = 0; i < n; ++i) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    data[i] = (seed / 2147483648) * 255;
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < reps; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(`ort_ms ${times[Math.floor(times.length / 2)].toFixed(3)} ${times[0].toFixed(3)}`);
}
main().catch((e) => {
  console.error(`ort_bench: ${e.message}`);
  process.exit(1);
});
