/**
 * Entry script of the data-moving measurements (data-moving.ts), as a worker
 * thread or as a forked child process: it sends every array it receives
 * straight back, and does nothing else, so that the time measured is the time
 * to move the data there and back, not to work on it. `{ data, transfer: true }`
 * asks a thread to transfer the array back instead of copying it.
 */
import { isMainThread, parentPort } from "node:worker_threads";

interface Request {
  data: Float64Array;
  transfer?: boolean;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on("message", ({ data, transfer }: Request) => port.postMessage(data, transfer ? [data.buffer as ArrayBuffer] : []));
} else {
  process.on("message", ({ data }: Request) => process.send?.(data));
  // the owner went away: nothing more will come
  process.on("disconnect", () => process.exit(0));
}
