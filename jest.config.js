/**
 * Jest configuration: two projects over one shared setting.
 *
 *   unit  tests/unit/**   the library, statistics, knobs, display, runner and bench logic:
 *                         no Jupyter, no Chromium, no kernel (`npm run test:unit`, under a minute)
 *   e2e   tests/e2e/**    real tslab kernels, the runner, executed notebooks, Chromium
 *
 * `npm test` runs both (the README's test command, which CI runs).
 *
 * The tests import the BUILT package (`import { Pool } from "kernel-helpers"`),
 * because a Pool loads its worker script from kernel-helpers/dist: `npm test`
 * and `npm run test:unit` build it first (their pre-scripts).
 *
 * tests/tsconfig.json sets `isolatedModules`, so ts-jest only transpiles
 * (fast); type-check the tests with `npm run typecheck` (not `npx tsc`:
 * node_modules/.bin/tsc is tslab's bundled TypeScript 5.0).
 *
 * @type {import("jest").Config}
 */
const shared = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: {
    "^.+\\.tsx?$": ["ts-jest", { tsconfig: "<rootDir>/tests/tsconfig.json" }],
  },
  rootDir: __dirname,
  // Only look inside tests/ (not notebooks/, scratch/ or node_modules).
  roots: ["<rootDir>/tests"],
};

module.exports = {
  projects: [
    { ...shared, displayName: "unit", testMatch: ["<rootDir>/tests/unit/**/*.test.ts"] },
    { ...shared, displayName: "e2e", testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"] },
  ],
  // Pools start workers (threads or processes) and the machine may have only
  // two cores: run at most two test files at a time and allow slow starts.
  maxWorkers: 2,
  testTimeout: 60_000,
  // the default output, then a short summary of what was checked (tests/summary-reporter.js)
  reporters: ["<rootDir>/tests/summary-reporter.js", "default"],
};
