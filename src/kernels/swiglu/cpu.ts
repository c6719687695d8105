/** Plain CPU SwiGLU (the reference, and the fallback on the tfjs CPU backend). */

const sigmoid = (g: number) => 1 / (1 + Math.exp(-g));

/** `silu(gate) * up`, elementwise. */
export function swigluForwardCpu(gate: Float32Array, up: Float32Array): Float32Array {
  return gate.map((g, i) => g * sigmoid(g) * up[i]);
}

/** Gradients of `sum(dy * silu(gate) * up)` with respect to gate and up. */
export function swigluBackwardCpu(gate: Float32Array, up: Float32Array, dy: Float32Array): { dgate: Float32Array; dup: Float32Array } {
  const dgate = new Float32Array(gate.length);
  const dup = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const s = sigmoid(gate[i]);
    dup[i] = dy[i] * gate[i] * s;
    dgate[i] = dy[i] * up[i] * s * (1 + gate[i] * (1 - s));
  }
  return { dgate, dup };
}
