/** The checks shared by both tiers of the bad-input tests (see tests/bad-input-cases.ts). */
import type { BadInputCase } from "./bad-input-cases";

/** What a runner recorded for one case. */
export interface CaseOutcome {
  returned?: unknown;
  error?: { name?: string; option?: string; message: string };
}

/** Asserts that `outcome` is what `c` expects, with messages that show what happened. */
export function expectOutcome(c: BadInputCase, outcome: CaseOutcome): void {
  if ("returns" in c.expect) {
    expect(outcome.error).toBeUndefined();
    expect(outcome.returned).toEqual(c.expect.returns);
    return;
  }
  expect({ returned: outcome.returned, errorName: outcome.error?.name }).toEqual({ returned: undefined, errorName: c.expect.error });
  if (c.expect.option !== undefined) expect(outcome.error?.option).toBe(c.expect.option);
  for (const part of c.expect.messageIncludes ?? []) expect(outcome.error?.message).toContain(part);
}
