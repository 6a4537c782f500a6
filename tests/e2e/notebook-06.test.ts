/**
 * Notebook 06 (the same job on BullMQ and Redis) executed end to end under
 * tslab at quick scale through the runner, which starts a Redis on
 * 127.0.0.1 and one worker host per core for it and stops them afterwards;
 * then checked as a user sees it. And the same notebook with REDIS_URL
 * pointing where nothing listens: it stops at its first cluster cell with
 * a named error that says what to do.
 */
import net from "node:net";
import { errorOutputs, outputs, removeRunOutputs, runNotebooks, survivors, visibleText, type RunResult } from "../notebook-helpers";
import { browserChecks } from "../browser-helpers";

const NAME = "06-cluster";
const CORES = 2;
/** A Redis URL carrying a generated password in clear (24 random bytes, base64url), not `***` or the `PASSWORD` placeholder. */
const CLEAR_PASSWORD = /rediss?:\/\/[^:/@\s]*:[A-Za-z0-9_%-]{20,}@/;
let run: RunResult;

afterAll(removeRunOutputs);

beforeAll(() => {
  run = runNotebooks(["--only", "06", "--scale", "quick", "--cores", String(CORES)]);
  if (run.status !== 0) throw new Error(`runner exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
}, 300_000);

describe(`notebook 06 run with CORES=${CORES}`, () => {
  const text = (): string => visibleText(run.read(CORES, NAME));

  test("has no error outputs", () => {
    expect(errorOutputs(run.read(CORES, NAME))).toEqual([]);
  });

  test("reads its knobs from the environment and uses the runner's Redis and hosts", () => {
    expect(text()).toContain(`CORES: ${CORES}`);
    expect(text()).toContain("SCALE: 'quick'");
    expect(text()).toMatch(new RegExp(`Using the Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:\\d+; worker hosts: ${CORES} already serving, 0 started here`));
    expect(run.stdout).toMatch(new RegExp(`${NAME}: Redis started on redis://:\\*\\*\\*@127\\.0\\.0\\.1:\\d+ \\(password made for this run\\)`));
  });

  test("never shows the Redis password: not in the notebook, its HTML or the runner's output", () => {
    expect(text()).not.toMatch(CLEAR_PASSWORD);
    expect(run.html(CORES, NAME)).not.toMatch(CLEAR_PASSWORD);
    expect(run.stdout + run.stderr).not.toMatch(CLEAR_PASSWORD);
  });

  test("shows both refusals of a worker host by name", () => {
    expect(text()).toMatch(/refused: .*deleteEverything[\s\S]*UnknownTaskError/);
    expect(text()).toMatch(/refused: .*source[\s\S]*TaskSourceRefusedError/);
  });

  test("serial, local Pool and cluster give the same values", () => {
    expect(text()).toMatch(/all three give the same \d+ values: true/);
  });

  test("checks the machine at the start, in a cell of its own, and at the end", () => {
    expect(text()).toMatch(/^Machine check: other processes kept [\d.]+ of \d+ cores busy/m);
    expect(text()).toMatch(/^Machine check at the end: /m);
  });

  test("the words on the cluster against the local Pool follow their runs; only a lead in every run gets causes", () => {
    const speed = (who: string) => Number(new RegExp(`${who}: +\\d+ workers: ([\\d.]+)× the serial speed`).exec(text())?.[1]);
    const lead = speed("cluster") / speed("local Pool");
    const said = /^The cluster (was [\d.]+× (faster|slower) than|was about as fast as|and) the local Pool.*$/m.exec(text());
    expect(said).not.toBeNull();
    if (said![2] === "faster") expect(lead).toBeGreaterThan(1);
    if (said![2] === "slower") expect(lead).toBeLessThan(1);
    // compareRuns' words: overlapping runs, or one run each, are never explained as a gain
    const apartAndAhead = /faster than the local Pool \(medians [^;]*; their runs do not overlap\)\./.test(said![0]);
    expect(/not a gain of its own\. Two possible causes/.test(said![0])).toBe(apartAndAhead);
    if (/cannot be told apart|from one run each/.test(said![0])) expect(said![0]).not.toMatch(/possible causes/);
  });

  test("section 2's run is set beside the sweep, and a disagreement is called noise", () => {
    const said = /Section 2's jobs of about ([\d.]+) ms gave the cluster ([\d.]+)× the serial speed(.*)$/m.exec(text());
    expect(said).not.toBeNull();
    expect(said![3]).toMatch(/^(, in line with this sweep\.|, out of line with this sweep \(.+\): more work per job should raise the speed-up .* most likely noise)/);
  });

  test("measures the job's cost, the crossover, scaling against the model, and latency", () => {
    expect(text()).toMatch(/A cluster round trip took [\d.]+× (longer|shorter) than a local Pool's/);
    // the crossover is named by the sweep's own points, never interpolated between them
    const crossover = /^(Sending jobs away started to pay between ([\d.]+) and ([\d.]+) ms of work per job|Sending jobs away paid at every work per job of this sweep, from [\d.]+ ms|The cluster beat this process alone at some points of this sweep, but not at its largest work per job|The cluster never beat this process alone in this sweep)\.$/m.exec(text());
    expect(crossover).not.toBeNull();
    if (crossover![2]) expect(["0.01", "0.1", "1", "10"]).toEqual(expect.arrayContaining([crossover![2], crossover![3]]));
    expect(text()).toMatch(/Model: each host adds \d+ jobs\/s; (Redis|this notebook \(the producer\)) would cap the queue at \d+ jobs\/s/);
    expect(text()).toMatch(/Each trivial job cost about -?[\d.]+ round trips between host and Redis/);
  });

  test("a killed host's job runs again: every result arrives and the re-run is counted", () => {
    expect(text()).toMatch(/6 of 6 results arrived\. Job j\d+ was running on \S+ when that host was killed/);
    const reRuns = Number(/(\d+) job\(s\) ran more than once/.exec(text())?.[1]);
    expect(reRuns).toBeGreaterThanOrEqual(1);
  });

  test("a task blocking the host's event loop stalls and fails by name; in a worker thread it completes", () => {
    expect(text()).toMatch(/on the host's event loop: JobStalledError after \d+ stall\(s\)/);
    expect(text()).toMatch(/in a worker thread: +completed/);
  });

  test("Redis restarted: with persistence nothing is lost; without, lost jobs are named", () => {
    const table = /Jobs submitted, then Redis killed and restarted\n[\s\S]*?\n(\s*none .*)\n(\s*aof .*)/.exec(text());
    for (const row of [table?.[1], table?.[2]]) expect(row).toMatch(/\s\d[\d,]*$/);   // downMs, last column, in whole ms
    const aof = /persistence aof: (\d+) of (\d+) jobs completed, 0 lost/.exec(text());
    expect(aof?.[1]).toBe(aof?.[2]);
    expect(Number(/persistence none: \d+ of \d+ jobs completed, (\d+) lost/.exec(text())?.[1])).toBeGreaterThan(0);
  });

  test("runs the exercises' solutions and stops everything it started", () => {
    expect(text()).toMatch(/chunkSize default: \d+ jobs/);
    expect(text()).toMatch(/concurrency 4: \d+ jobs\/s/);
    expect(text()).toMatch(/JobStalledError/);
    expect(text()).toMatch(/a JobStalledError means 'outcome unknown', not 'did not happen'/);
    expect(text()).toContain("Anything else still running, now stopped: 0");
  });

  test("shows its figures as plotly bundles", () => {
    const figures = outputs(run.read(CORES, NAME)).filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    expect(figures.length).toBeGreaterThanOrEqual(3);
    for (const figure of figures) expect(Object.keys(figure.data!).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
  });
});

test("no kernel, worker host or Redis of the run is left behind", () => {
  expect(survivors(run.marker)).toEqual([]);
});

test("with REDIS_URL where nothing listens, the notebook stops at its first cluster cell with RedisUnavailableError and what to do", async () => {
  const closed = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => closed.once("listening", resolve));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const previous = process.env["REDIS_URL"];
  process.env["REDIS_URL"] = `redis://:not-a-real-password@127.0.0.1:${port}`;
  let stopped: RunResult;
  try {
    stopped = runNotebooks(["--only", "06", "--scale", "quick", "--cores", "1"], 120_000);
  } finally {
    if (previous === undefined) delete process.env["REDIS_URL"];
    else process.env["REDIS_URL"] = previous;
  }
  expect(stopped.status).toBe(1);
  expect(stopped.stdout).toMatch(/06-cluster \(cores=1\) failed at cell \d+\/\d+: RedisUnavailableError: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ cannot be used: nothing listens there/);
  expect(stopped.stdout).toMatch(/leave REDIS_URL unset to start one on this machine/);
  expect(stopped.stdout).not.toContain("not-a-real-password");
  expect(survivors(stopped.marker)).toEqual([]);
}, 150_000);

browserChecks(() => run, NAME, [CORES]);
