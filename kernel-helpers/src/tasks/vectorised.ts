/**
 * Vectorised baselines through danfojs and its TensorFlow.js tensors.
 *
 * danfojs comes in two packages: `danfojs-node` uses TensorFlow's native C++
 * library (fast, but its install downloads libtensorflow, which fails on
 * machines without general internet), and `danfojs` uses TensorFlow.js's
 * pure-JavaScript CPU backend. {@link loadTensors} takes the fastest one that
 * is installed and says which one ran.
 */

import { checkInteger } from "../primitives/validate";

/** The part of the TensorFlow.js API used here (kept narrow so no `any` leaks out). */
interface Tensor {
  data(): Promise<ArrayLike<number>>;
  dispose(): void;
}
interface TensorFlow {
  ready(): Promise<void>;
  getBackend(): string;
  tidy<T extends Tensor>(fn: () => T): T;
  range(start: number, stop: number, step: number, dtype: "float32" | "int32"): Tensor;
  sub(a: Tensor | number, b: Tensor | number): Tensor;
  mul(a: Tensor | number, b: Tensor | number): Tensor;
  add(a: Tensor | number, b: Tensor | number): Tensor;
  div(a: Tensor | number, b: Tensor | number): Tensor;
  mod(a: Tensor | number, b: Tensor | number): Tensor;
  sum(a: Tensor): Tensor;
  version_core?: string;
  env(): { set(flag: string, value: boolean): void };
}

/** Which tensor library was loaded, from {@link loadTensors}. */
export interface TensorLibrary {
  /** The npm package that provided it: `"danfojs-node"` (native) or `"danfojs"` (pure JS). */
  packageName: "danfojs-node" | "danfojs";
  /** The TensorFlow.js backend in use, e.g. `"tensorflow"` (native) or `"cpu"` (pure JS). */
  backend: string;
  /** The TensorFlow.js core version. */
  version: string;
  /** The TensorFlow.js namespace (for the functions below). */
  tf: TensorFlow;
}

let loaded: Promise<TensorLibrary> | undefined;

function tryRequire(name: string): { tensorflow?: TensorFlow } | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as { tensorflow?: TensorFlow };
  } catch {
    return undefined;
  }
}

/**
 * Loads danfojs' TensorFlow.js once per thread or process, preferring the
 * native `danfojs-node` and falling back to the pure-JS `danfojs`.
 *
 * @returns the library, with the package and backend that will run.
 * @throws Error when neither package is installed (with the command to fix it).
 */
export function loadTensors(): Promise<TensorLibrary> {
  loaded ??= (async () => {
    for (const packageName of ["danfojs-node", "danfojs"] as const) {
      const tf = tryRequire(packageName)?.tensorflow;
      if (!tf) continue;
      // PROD silences TensorFlow.js's console banner ("install our node
      // backend") that every worker would print; callers report the backend.
      tf.env().set("PROD", true);
      await tf.ready();
      return { packageName, backend: tf.getBackend(), version: tf.version_core ?? "unknown", tf };
    }
    throw new Error("Neither danfojs-node nor danfojs is installed: run `npm install` in the repository.");
  })();
  return loaded;
}

/**
 * The Leibniz partial sum (see `leibnizPi`) computed with tensors, the
 * numpy way: a tensor of indices, element-wise signs and denominators, then
 * one reduction. Tensors here are float32, so expect agreement with the
 * float64 loop to about 1e-7 only.
 *
 * @param terms - number of summands, at most 16,777,216 (float32 holds every
 *   integer index only up to 2^24).
 */
export async function leibnizPiTensor(terms: number): Promise<number> {
  checkInteger("`terms`", terms, { min: 0, max: 2 ** 24 });
  if (terms === 0) return 0;
  const { tf } = await loadTensors();
  const result = tf.tidy(() => {
    const n = tf.range(0, terms, 1, "float32");
    const signs = tf.sub(1, tf.mul(2, tf.mod(n, 2)));
    const denominators = tf.add(tf.mul(2, n), 1);
    return tf.mul(4, tf.sum(tf.div(signs, denominators)));
  });
  try {
    return (await result.data())[0] ?? Number.NaN;
  } finally {
    result.dispose();
  }
}
