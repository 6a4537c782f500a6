// Worker of the raw-workerpool row of `npm run bench` (scripts/bench.mjs):
// one registered method, `echo`, the same trivial task every pool runs there.
"use strict";
const workerpool = require("workerpool");

workerpool.worker({
  echo: (value) => value,
});
