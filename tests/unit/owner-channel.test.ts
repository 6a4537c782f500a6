/**
 * The owner channel (owner-channel.ts): one form of request and answer and
 * one request-id scheme for every proxy (a Queue's in a Process or a pool
 * worker, a Manager's over its socket), with the owner's errors rebuilt as
 * their class on the other side. Pure functions: no worker is started.
 */
import { answerRequest, PendingRequests, rebuildChannelError, type ChannelAnswer } from "kernel-helpers/dist/transport/owner-channel";
import { InvalidOptionError, JoinableQueue, Queue, QueueEmpty, UnsendableValueError } from "kernel-helpers";
import { rejectionOf } from "../test-helpers";

describe("PendingRequests (the peer's side)", () => {
  test("numbers requests 1, 2, 3 and settles each by its id, in any order", async () => {
    const requests = new PendingRequests();
    const sent: number[] = [];
    const answers = [1, 2, 3].map(() => requests.request((id) => void sent.push(id)));
    expect(sent).toEqual([1, 2, 3]);
    expect(requests.settle({ id: 3, ok: true, value: "c" })).toBe(true);
    expect(requests.settle({ id: 1, ok: true, value: "a" })).toBe(true);
    expect(requests.settle({ id: 2, ok: false, error: { name: "QueueEmpty", message: "empty" } })).toBe(true);
    expect(await answers[0]).toBe("a");
    expect(await rejectionOf(answers[1]!)).toBeInstanceOf(QueueEmpty);
    expect(await answers[2]).toBe("c");
    expect(requests.size).toBe(0);
  });

  test("an answer to no waiting request, or no answer at all, is ignored", () => {
    const requests = new PendingRequests();
    for (const stray of [{ id: 9, ok: true, value: 1 }, null, "garbage", { ok: true }]) expect(requests.settle(stray)).toBe(false);
  });

  test("a send that throws rejects with its error and leaves nothing waiting", async () => {
    const requests = new PendingRequests();
    const error = await rejectionOf(requests.request(() => {
      throw new RangeError("too large");
    }));
    expect(error).toBeInstanceOf(RangeError);
    expect(requests.size).toBe(0);
  });

  test("failAll fails only the requests sent on the connection it names", async () => {
    const requests = new PendingRequests<string>();
    const onA = requests.request(() => "a");
    const onB = requests.request(() => "b");
    requests.failAll(new Error("a closed"), (sentOn) => sentOn === "a");
    expect(((await rejectionOf(onA)) as Error).message).toBe("a closed");
    expect(requests.size).toBe(1);
    requests.settle({ id: 2, ok: true, value: "still there" });
    expect(await onB).toBe("still there");
  });
});

describe("answerRequest (the owner's side)", () => {
  test("a synchronous result is answered in the same turn, a promise when it settles", async () => {
    const answers: ChannelAnswer[] = [];
    answerRequest(1, () => 42, (a) => answers.push(a));
    expect(answers).toEqual([{ id: 1, ok: true, value: 42 }]);
    answerRequest(2, () => Promise.resolve("later"), (a) => answers.push(a));
    expect(answers).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers[1]).toEqual({ id: 2, ok: true, value: "later" });
  });

  test("a throw or a rejection is answered with its name, message and option", async () => {
    const answers: ChannelAnswer[] = [];
    answerRequest(1, () => {
      throw new InvalidOptionError("`timeoutMs`", "bad timeout");
    }, (a) => answers.push(a));
    answerRequest(2, () => Promise.reject("not an Error"), (a) => answers.push(a));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers[0]).toEqual({ id: 1, ok: false, error: { name: "InvalidOptionError", message: "bad timeout", option: "`timeoutMs`" } });
    expect(answers[1]).toMatchObject({ id: 2, ok: false, error: { name: "Error", message: expect.stringContaining("not an Error") } });
  });

  test("an answer that cannot be sent is replaced by the error that says why", () => {
    const answers: ChannelAnswer[] = [];
    answerRequest(7, () => "huge", (a) => {
      if (a.ok) throw new UnsendableValueError("the answer", "too large");
      answers.push(a);
    });
    expect(answers).toEqual([{ id: 7, ok: false, error: { name: "UnsendableValueError", message: "too large", option: "the answer" } }]);
  });
});

describe("rebuildChannelError", () => {
  test("the library's errors come back as their class, with their option; others keep their name", () => {
    const unsendable = rebuildChannelError({ name: "UnsendableValueError", message: "m", option: "item.f" });
    expect(unsendable).toBeInstanceOf(UnsendableValueError);
    expect((unsendable as UnsendableValueError).option).toBe("item.f");
    expect(rebuildChannelError({ name: "QueueEmpty", message: "m" })).toBeInstanceOf(QueueEmpty);
    const other = rebuildChannelError({ name: "TypeError", message: "m" });
    expect([other.name, other.message]).toEqual(["TypeError", "m"]);
    expect(rebuildChannelError(undefined).message).toContain("without a message");
  });
});

test("the owner's side of a Queue is not part of its API, at run time either: no public name reaches it", () => {
  for (const queue of [new Queue<number>("q"), new JoinableQueue<number>("j")]) {
    const names = new Set<string>();
    for (let o: object | null = queue; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const name of Object.getOwnPropertyNames(o)) names.add(name);
    }
    for (const inner of ["putFor", "getFor", "taskDoneFor", "joinFor", "consumerEnded", "releaseHeld", "itemAdded", "keepsItemsUntilTaskDone", "toReference", "abandonOwnerGets"]) {
      expect([inner, names.has(inner)]).toEqual([inner, false]);
    }
    // what is left is the queue's API (Python's names, and the owner's own views)
    expect([...names].filter((n) => n !== "constructor").sort()).toEqual(
      (queue instanceof JoinableQueue
        ? ["close", "closed", "drain", "empty", "full", "get", "getNowait", "id", "join", "length", "maxsize", "name", "orphans", "put", "putNowait", "requeueOrphans", "shutdown", "size", "taskDone", "unfinished"]
        : ["close", "closed", "drain", "empty", "full", "get", "getNowait", "id", "length", "maxsize", "name", "orphans", "put", "putNowait", "requeueOrphans", "shutdown", "size", "taskDone"]
      ).sort(),
    );
  }
});
