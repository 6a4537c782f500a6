/**
 * How the thread that holds a manager polls its lanes for their next
 * requests after answering one (transport/manager-lane-polling.ts), on
 * stand-in lanes, a stand-in clock (performance.now) and a stand-in core
 * count, so that every check is the same on every machine:
 * - it polls until no lane has asked for 30 µs, counted again from each answer;
 * - it lets its event loop run after 1 ms even while requests keep coming;
 * - only lanes at work (that asked in the last 2 ms) are polled;
 * - with more lanes at work than it polls (4, and no more than the cores), or on one core, it does not poll.
 */
import os from "node:os";

type Polling = typeof import("kernel-helpers/dist/transport/manager-lane-polling");

let clock = 0;

beforeEach(() => {
  clock = 1000;
  jest.spyOn(performance, "now").mockImplementation(() => clock);
});
afterEach(() => jest.restoreAllMocks());

/** A fresh copy of the module (its lanes and their times are module state), on a machine of `cores` cores. */
function freshPolling(cores = 2): Polling {
  jest.spyOn(os, "availableParallelism").mockReturnValue(cores);
  let loaded: Polling | undefined;
  jest.isolateModules(() => {
    loaded = jest.requireActual<Polling>("kernel-helpers/dist/transport/manager-lane-polling");
  });
  return loaded!;
}

/** A stand-in lane whose poll advances the clock by `stepMs` and answers while `hasRequest(polls so far)` says so. */
function standInLane(polling: Polling, hasRequest: (polls: number) => boolean, stepMs = 0.005): { polls: () => number; answered: () => number } {
  const lane = {};
  let polls = 0;
  let answered = 0;
  polling.addLanePoll(lane, () => {
    clock += stepMs;
    const yes = polls++ < 1_000_000 && hasRequest(polls);
    if (yes) {
      answered++;
      polling.mayPoll(lane); // answering a request marks the lane at work, as the owner's answer does
    }
    return yes;
  });
  polling.mayPoll(lane); // it has just asked (the request answered from the event loop)
  return { polls: () => polls, answered: () => answered };
}

describe("with two cores or more", () => {
  test("a lane that asks three more times is answered each time; polling ends 30 µs after the last", () => {
    const polling = freshPolling();
    const lane = standInLane(polling, (n) => n % 10 === 0 && n <= 30, 0.001); // a request every 10 µs, three of them
    polling.pollForNextRequests();
    expect(lane.answered()).toBe(3);
    // 30 µs after the third answer, at 1 µs a poll (± one for the clock's rounding)
    expect(Math.abs(lane.polls() - (30 + 30))).toBeLessThanOrEqual(1);
  });

  test("while requests keep coming it stops after 1 ms, so that its event loop runs", () => {
    const polling = freshPolling();
    const lane = standInLane(polling, () => true, 0.005);
    polling.pollForNextRequests();
    // 1 ms at 5 µs a poll (± one for the clock's rounding), never the stand-in's own limit of a million
    expect(Math.abs(lane.polls() - 200)).toBeLessThanOrEqual(1);
    expect(lane.answered()).toBe(lane.polls());
  });

  test("a lane that has not asked for 2 ms is not polled; every lane at work is", () => {
    const polling = freshPolling();
    const idle = standInLane(polling, () => true);
    clock += 3; // idle's last request is 3 ms old
    const busy = standInLane(polling, (n) => n === 1);
    polling.pollForNextRequests();
    expect(idle.polls()).toBe(0);
    expect(busy.answered()).toBe(1);
  });

  test.each([
    [2, 3],
    [16, 5],
  ])("on %i cores, with %i lanes at work (more than it polls: 4, and no more than the cores) it does not poll at all", (cores, atWork) => {
    const polling = freshPolling(cores);
    const lanes = Array.from({ length: atWork }, () => standInLane(polling, () => true));
    polling.pollForNextRequests();
    expect(lanes.map((lane) => lane.polls())).toEqual(lanes.map(() => 0));
  });

  test.each([
    [2, 2],
    [16, 4],
  ])("on %i cores, with %i lanes at work it polls each", (cores, atWork) => {
    const polling = freshPolling(cores);
    const lanes = Array.from({ length: atWork }, () => standInLane(polling, (n) => n === 1));
    polling.pollForNextRequests();
    expect(lanes.map((lane) => lane.answered())).toEqual(lanes.map(() => 1));
  });

  test("a removed lane is not polled", () => {
    const polling = freshPolling();
    const lane = {};
    let polls = 0;
    const remove = polling.addLanePoll(lane, () => ((clock += 0.005), polls++, false));
    polling.mayPoll(lane);
    remove();
    polling.pollForNextRequests();
    expect(polls).toBe(0);
  });
});

test("on one core it does not poll (the worker needs that core)", () => {
  const polling = freshPolling(1);
  const lane = standInLane(polling, () => true);
  polling.pollForNextRequests();
  expect(lane.polls()).toBe(0);
});
