/**
 * What a bare Node process costs to start on this machine: the floor under
 * every child process a Process or a process pool starts (Node cannot fork a
 * running V8, so each child boots the whole runtime).
 *
 * One setting of the environment weighs on it: Node 20 reads the certificates
 * named by NODE_EXTRA_CA_CERTS at every start, whether the process uses TLS or
 * not (nodejs/node#40524; later versions read them when TLS is first used).
 * Some machines set it to the whole system bundle, which can triple a start.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { checkInteger } from "../primitives/validate";
import { median } from "./stats";

/** What {@link measureNodeStart} measured. */
export interface NodeStart {
  /** Median ms from spawning `node -e 0` until it exited, with the environment as given. */
  ms: number;
  /** Every timed start, in ms. */
  samplesMs: number[];
  /** NODE_EXTRA_CA_CERTS when that environment sets it, else null. */
  extraCaCerts: string | null;
  /** The same start with NODE_EXTRA_CA_CERTS removed (median ms); null when it is not set. */
  withoutExtraCaCertsMs: number | null;
  /** Those starts, in ms (empty when it is not set). */
  withoutSamplesMs: number[];
}

/** Milliseconds from spawning `node -e 0` with `env` until it exits. */
function timeOneStart(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, ["-e", "0"], { env, stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`node -e 0 ended with ${code ?? signal}`));
    });
  });
}

/**
 * Times `repeats` starts of a bare Node process (`node -e 0`, spawned until it
 * exits), after one untimed start. When the environment sets
 * NODE_EXTRA_CA_CERTS, it also times as many starts without it, the two
 * taking turns, so that the difference is what that setting costs each
 * process here. Nothing is changed: the workers you start keep the
 * environment as it is.
 * @param repeats - timed starts of each kind, 1 to 1,000.
 * @param env - the environment the starts get (default: this process's).
 * @throws InvalidOptionError for a bad `repeats`.
 * @example
 * const start = await measureNodeStart(5);
 * console.log(`a bare Node process: ${start.ms.toFixed(0)} ms`);
 */
export async function measureNodeStart(repeats: number, env: NodeJS.ProcessEnv = process.env): Promise<NodeStart> {
  checkInteger("repeats", repeats, { min: 1, max: 1_000 });
  const extraCaCerts = env.NODE_EXTRA_CA_CERTS ? env.NODE_EXTRA_CA_CERTS : null;
  const without = { ...env };
  delete without.NODE_EXTRA_CA_CERTS;
  await timeOneStart(env);
  const samplesMs: number[] = [];
  const withoutSamplesMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    samplesMs.push(await timeOneStart(env));
    if (extraCaCerts !== null) withoutSamplesMs.push(await timeOneStart(without));
  }
  return {
    ms: median(samplesMs),
    samplesMs,
    extraCaCerts,
    withoutExtraCaCertsMs: extraCaCerts === null ? null : median(withoutSamplesMs),
    withoutSamplesMs,
  };
}
