/**
 * A learner's mistakes in a real tslab kernel, on both backends: each case of tests/bad-input-cases.ts fails its cell with the named error (or prints the value unchanged), and the next cell runs in the same kernel with the same pool.
 *
 * The cases' JavaScript runs through an AsyncFunction, so that one table serves
 * both tiers; one cell per backend is also typed as a learner would type it.
 */
import type { Backend } from "kernel-helpers";
import { CASES } from "../bad-input-cases";
import { type CaseOutcome, expectOutcome } from "../bad-input-expect";
import { type CellResult, runCells } from "../kernel-cells";

const SETUP = (backend: Backend): string => `import * as kh from "kernel-helpers";
const backend = ${JSON.stringify(backend)};
const AsyncFunction: any = (async () => undefined).constructor;
// one object holds the current pool: a \`let\` re-assigned in a later cell is not seen by a function from this one (tslab)
const box: any = {};
const runCase = (code: string) => new AsyncFunction("kh", "pool", "backend", "require", code)(kh, box.pool, backend, require);`;

/**
 * The case's cell: a fresh one-worker pool, then the case. It prints what
 * happened as JSON (the error's \`option\` is not in what the kernel reports),
 * and rethrows, so the cell fails as a learner's would.
 */
const caseCell = (code: string): string =>
  `box.pool = new kh.Pool({ workers: 1, backend: backend }); // not the shorthand { backend }: tslab does not resolve it to an earlier cell's variable
try {
  const value = await runCase(${JSON.stringify(code)});
  console.log(JSON.stringify({ returned: value === undefined ? null : value }));
} catch (error: any) {
  console.log(JSON.stringify({ error: { name: error?.name, option: error?.option, message: String(error?.message) } }));
  throw error;
}`;

/** The next cell: the same pool runs a task, and close() + join() return. */
const NEXT = `console.log(await box.pool.applyAsync("echo", [7]).get());
box.pool.close();
await box.pool.join();
console.log("joined");`;

/** As a learner types it: the commonest mistake, in TypeScript, no indirection. */
const TYPED = (backend: Backend): string[] => [
  // its own cell: tslab forgets what a failing cell declared
  `const learnerPool = new kh.Pool({ workers: 1, backend: ${JSON.stringify(backend)} });`,
  `await learnerPool.applyAsync("echo", [() => 1]).get();`,
];
const TYPED_NEXT = `console.log(await learnerPool.applyAsync("leibnizPi", [1000]).get() > 3);
learnerPool.close();
await learnerPool.join();`;

const results = new Map<Backend, CellResult[]>();

beforeAll(async () => {
  const run = async (backend: Backend): Promise<void> => {
    const cells = [SETUP(backend), ...CASES.flatMap((c) => [caseCell(c.code), NEXT]), ...TYPED(backend), TYPED_NEXT, "await kh.terminateAll(); console.log(kh.liveResourceCount());"];
    results.set(backend, await runCells(cells, { timeoutSeconds: 60 }));
  };
  await Promise.all([run("thread"), run("process")]);
}, 900_000);

describe.each<Backend>(["thread", "process"])("%s backend", (backend) => {
  const cell = (i: number): CellResult => results.get(backend)![i]!;

  test("the set-up cell runs", () => {
    expect(cell(0)).toMatchObject({ status: "ok", stderr: "" });
  });

  test.each(CASES.map((c, i) => [c.name, i] as const))("%s", (_, i) => {
    const c = CASES[i]!;
    const mine = cell(1 + 2 * i);
    expectOutcome(c, JSON.parse(mine.stdout) as CaseOutcome);
    if ("returns" in c.expect) {
      expect({ status: mine.status, stderr: mine.stderr }).toEqual({ status: "ok", stderr: "" });
    } else {
      // the cell fails (it does not hang, and the kernel lives on), showing the named error
      expect(mine.status).toBe("error");
      expect(mine.stderr).toContain(`${c.expect.error}: `);
    }
    expect(cell(2 + 2 * i)).toMatchObject({ status: "ok", stdout: "7\njoined\n" });
  });

  test("typed as a learner would: a function argument fails the cell with UnsendableValueError naming args[0], and the next cell runs", () => {
    const first = 1 + 2 * CASES.length;
    expect(cell(first)).toMatchObject({ status: "ok", stderr: "" });
    expect(cell(first + 1)).toMatchObject({ status: "error", ename: "UnsendableValueError" });
    expect(cell(first + 1).evalue).toContain("Cannot send args[0] to a worker: it is a function");
    expect(cell(first + 2)).toMatchObject({ status: "ok", stdout: "true\n" });
    expect(cell(first + 3)).toMatchObject({ status: "ok", stdout: "0\n" }); // nothing left running
  });
});
