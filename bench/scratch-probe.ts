import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../src/runtime/node-webgpu.js';
await initNodeBackend({ prefer: 'webgpu' });
const a = tf.randomUniform([1024, 1024]); const b = tf.randomUniform([1024, 1024]);
for (let i = 0; i < 4; i++) {
  const t0 = performance.now();
  const cs = [];
  for (let r = 0; r < 20; r++) cs.push(tf.matMul(a, b));
  const t1 = performance.now();
  await cs[19].data();
  const t2 = performance.now();
  console.log(`enqueue 20 ${(t1 - t0).toFixed(1)} ms, wait ${(t2 - t1).toFixed(1)} ms`);
  tf.dispose(cs);
}
process.exit(0);
