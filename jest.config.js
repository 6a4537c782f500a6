/**
 * Jest configuration for the unit tests in tests/.
 *
 * The tests import the BUILT package (`import { Pool } from "kernel-helpers"`),
 * because a Pool loads its worker script from kernel-helpers/dist: run
 * `npm test` (its pretest builds the package) or `npx tsc -b kernel-helpers`
 * first.
 *
 * tests/tsconfig.json sets `isolatedModules`, so ts-jest only transpiles
 * (fast); type-check the tests with `npm run typecheck` (not `npx tsc`:
 * node_modules/.bin/tsc is tslab's bundled TypeScript 5.0).
 *
 * @type {import("jest").Config}
 */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: {
    "^.+\\.tsx?$": ["ts-jest", { tsconfig: "<rootDir>/tests/tsconfig.json" }],
  },
  // Only look inside tests/ (not notebooks/, scratch/ or node_modules).
  roots: ["<rootDir>/tests"],
  testMatch: ["<rootDir>/tests/**/*.test.ts"],
  // Pools start workers (threads or processes) and the machine may have only
  // two cores: run at most two test files at a time and allow slow starts.
  maxWorkers: 2,
  testTimeout: 60_000,
  // the default output, then a short summary of what was checked (tests/summary-reporter.js)
  reporters: ["<rootDir>/tests/summary-reporter.js", "default"],
};
