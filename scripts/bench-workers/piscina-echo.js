// Worker of the piscina row of `npm run bench` (scripts/bench.mjs): the same
// trivial task as the other pools, run with `piscina.run(value, { name: "echo" })`.
"use strict";

module.exports.echo = (value) => value;
