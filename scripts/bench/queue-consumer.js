// @ts-check
/**
 * The consumer of the sweep's Queue cell, run by kernel-helpers' Process (a module
 * target, thread or child process): takes items with `getNowait()` until the input
 * queue is empty, and `put`s a result (the item itself) on the output queue for each.
 * The owner fills the input before any consumer starts, so an empty queue means done.
 */
'use strict';

/**
 * @param {import('kernel-helpers').QueueLike<number>} input
 * @param {import('kernel-helpers').QueueLike<number>} output
 * @returns {Promise<number>} the items this consumer took
 */
async function consume(input, output) {
  let taken = 0;
  for (;;) {
    let item;
    try {
      item = await input.getNowait();
    } catch (error) {
      if (error instanceof Error && error.name === 'QueueEmpty') return taken;
      throw error;
    }
    await output.put(item);
    taken++;
  }
}

module.exports = { consume };
