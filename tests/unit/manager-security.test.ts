/**
 * The Manager's channel is private and authenticated, as Python's managers
 * are with their `authkey`:
 * - a peer proves it holds the manager's key by answering a random challenge
 *   (the key itself never crosses the socket), and the owner proves it back;
 * - peers without the key, with a wrong one, or replaying an old answer are
 *   refused and change nothing: their `update` functions are never run;
 * - the socket is in a fresh folder only this user can enter (0700 whatever
 *   the umask), the socket file is 0600, and anything planted at the path
 *   (a file, a symlink, a swapped folder) makes the manager refuse to start
 *   without following or removing it.
 *
 * The wire format is written out here on purpose (see manager-channel.ts),
 * so that these tests check it rather than reuse it. Every test stops what it
 * starts and removes what it plants; afterEach checks that nothing is left.
 */
import { spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import { Manager, ManagerProxy, ManagerUnavailableError, UnsafeAddressError, connectManager, liveResourceCount, terminateAll } from "kernel-helpers";
import { rejectionOf } from "../test-helpers";

const CHALLENGE_BYTES = 40;
const ANSWER_BYTES = 72;
const frame = (payload: unknown): Buffer => {
  const body = v8.serialize(payload);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
};
/** The answer to a challenge: "KHANSW01" + HMAC-SHA256(key, "peer" + the owner's nonce) + a nonce of the peer's own. */
const answer = (challenge: Buffer, key: Buffer): Buffer =>
  Buffer.concat([Buffer.from("KHANSW01"), createHmac("sha256", key).update("peer").update(challenge.subarray(8, CHALLENGE_BYTES)).digest(), randomBytes(32)]);
const keyOf = (manager: Manager<unknown>): Buffer => Buffer.from(manager.reference().key, "hex");

/**
 * Connects, waits for the owner's challenge (unless `eager`), sends what
 * `reply` makes of it and ends; resolves with all the owner sent, once the
 * connection has closed.
 */
function rawPeer(address: string, reply: (challenge: Buffer) => Buffer, eager = false): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.createConnection(address, () => {
      if (eager) socket.end(reply(Buffer.alloc(CHALLENGE_BYTES)));
    });
    const received: Buffer[] = [];
    let sent = eager;
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      const all = Buffer.concat(received);
      if (!sent && all.length >= CHALLENGE_BYTES) {
        sent = true;
        socket.end(reply(all));
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(Buffer.concat(received)));
  });
}

/** A folder of this test's own, outside any manager's: what a planted link would point into. */
function victimFolder(): { dir: string; file: string; listing: () => string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-victim-"));
  const file = path.join(dir, "precious.txt");
  fs.writeFileSync(file, "precious");
  return { dir, file, listing: () => fs.readdirSync(dir).sort() };
}

/** This test process's managers' folders still in the temporary directory. */
const leftoverFolders = (): string[] => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(`kh-manager-${process.pid}-`));

afterEach(async () => {
  jest.restoreAllMocks();
  const leaked = liveResourceCount();
  if (leaked > 0) await terminateAll();
  expect(leaked).toBe(0);
  expect(leftoverFolders()).toEqual([]);
});

describe("the key challenge", () => {
  test("a proxy is served after proving the key, and neither the key nor its hex form ever crosses the socket", async () => {
    const manager = await Manager.start<number>({ a: 1 });
    // a relay between proxy and owner records every byte of both directions
    const relayDir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-relay-"));
    const toOwner: Buffer[] = [];
    const toProxy: Buffer[] = [];
    const relay = net.createServer((fromProxy) => {
      const upstream = net.createConnection(manager.address);
      fromProxy.on("data", (chunk: Buffer) => (toOwner.push(chunk), upstream.write(chunk)));
      upstream.on("data", (chunk: Buffer) => (toProxy.push(chunk), fromProxy.write(chunk)));
      fromProxy.on("close", () => upstream.destroy());
      upstream.on("close", () => fromProxy.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(path.join(relayDir, "relay.sock"), resolve));
    const proxy = new ManagerProxy<number>(path.join(relayDir, "relay.sock"), manager.reference().key);
    await proxy.set("b", 2);
    expect(await proxy.update("a", (current, by: number) => (current ?? 0) + by, 10)).toBe(11);
    expect(await proxy.snapshot()).toEqual({ a: 11, b: 2 });
    proxy.close();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
    const sent = Buffer.concat(toOwner);
    const received = Buffer.concat(toProxy);
    expect(received.subarray(0, 8).toString()).toBe("KHCHAL01");
    expect(sent.subarray(0, 8).toString()).toBe("KHANSW01");
    expect(received.subarray(CHALLENGE_BYTES, CHALLENGE_BYTES + 8).toString()).toBe("KHWELC01");
    const key = keyOf(manager);
    for (const transcript of [sent, received]) {
      expect(transcript.includes(key)).toBe(false);
      expect(transcript.includes(Buffer.from(manager.reference().key))).toBe(false);
    }
    // a recorded answer is worth nothing on a new connection: the challenge is fresh each time
    const replayed = await rawPeer(manager.address, () => Buffer.concat([sent.subarray(0, ANSWER_BYTES), frame({ id: 1, operation: { op: "set", key: "a", value: 666 } })]));
    expect(replayed.subarray(CHALLENGE_BYTES, CHALLENGE_BYTES + 8).toString()).toBe("KHFAIL01");
    expect(await manager.snapshot()).toEqual({ a: 11, b: 2 });
    expect(manager.connectionErrors.map((e) => e.message)).toEqual([expect.stringMatching(/did not present the manager's key first/)]);
    await manager.shutdown();
    fs.rmSync(relayDir, { recursive: true, force: true });
  });

  describe("peers without the key change nothing, and their update functions never run", () => {
    const requests = (source: string): Buffer =>
      Buffer.concat([
        frame({ id: 1, operation: { op: "set", key: "a", value: 666 } }),
        frame({ id: 2, operation: { op: "delete", key: "b" } }),
        frame({ id: 3, operation: { op: "update", key: "c", source, args: [] } }),
        frame({ id: 4, operation: { op: "batch", operations: [{ op: "set", key: "d", value: 1 }] } }),
      ]);
    const peers: [string, (manager: Manager<unknown>, source: string) => Promise<unknown>][] = [
      ["a peer that sends requests without waiting for the challenge", (m, source) => rawPeer(m.address, () => requests(source), true)],
      ["a peer that presents the bare key first (issue 9's protocol)", (m, source) => rawPeer(m.address, () => Buffer.concat([frame({ key: m.reference().key }), requests(source)]))],
      ["a peer that answers the challenge with a wrong key", (m, source) => rawPeer(m.address, (c) => Buffer.concat([answer(c, randomBytes(32)), requests(source)]))],
      ["a peer that sends only part of a right answer", (m) => rawPeer(m.address, (c) => answer(c, keyOf(m)).subarray(0, 40))],
      [
        "a proxy with a wrong key, through every method",
        async (m) => {
          const stranger = connectManager<unknown>({ __khManager: m.address, key: "00".repeat(32) });
          const intruder = (): number => {
            process.env.KH_INTRUDER_RAN = "yes";
            return 666;
          };
          const calls = [stranger.set("a", 666), stranger.delete("b"), stranger.update("c", intruder), stranger.batch([{ op: "set", key: "d", value: 1 }]), stranger.get("a")];
          const errors = await Promise.all(calls.map((call) => rejectionOf(call)));
          for (const error of errors) {
            expect(error).toBeInstanceOf(ManagerUnavailableError);
            expect((error as Error).message).toContain(`The manager at ${m.address} refused this proxy: its key is not the manager's key`);
          }
          stranger.close();
        },
      ],
    ];

    test.each(peers)("%s", async (_, attack) => {
      const manager = await Manager.start<unknown>({ a: 1, b: 2 });
      const intruder = (): number => {
        process.env.KH_INTRUDER_RAN = "yes";
        return 666;
      };
      // the control: with the key, the same function runs at the owner, and its side effect shows
      const proxy = connectManager<unknown>(manager.reference());
      expect(await proxy.update("control", intruder)).toBe(666);
      expect(process.env.KH_INTRUDER_RAN).toBe("yes");
      delete process.env.KH_INTRUDER_RAN;
      await proxy.delete("control");
      await attack(manager as Manager<unknown>, intruder.toString());
      expect(process.env.KH_INTRUDER_RAN).toBeUndefined();
      expect(await manager.snapshot()).toEqual({ a: 1, b: 2 });
      expect(manager.connectionErrors.every((e) => e.name === "ProtocolError")).toBe(true);
      expect(await proxy.get("a")).toBe(1); // the owner serves its own as before
      proxy.close();
      await manager.shutdown();
    });
  });

  describe("the proxy checks the owner too, and sends nothing to a server that cannot prove the key", () => {
    const challenge = (): Buffer => Buffer.concat([Buffer.from("KHCHAL01"), randomBytes(32)]);
    const impostors: [string, { first: () => Buffer; afterAnswer?: () => Buffer; why: RegExp; heardBytes: number }][] = [
      [
        "one that welcomes any answer with a made-up proof",
        { first: challenge, afterAnswer: () => Buffer.concat([Buffer.from("KHWELC01"), randomBytes(32)]), why: /could not prove it holds the manager's key: it is not that manager, so nothing was sent to it/, heardBytes: ANSWER_BYTES },
      ],
      ["one that does not speak the protocol", { first: () => Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n".padEnd(40)), why: /did not answer as a kernel-helpers manager does/, heardBytes: 0 }],
    ];

    test.each(impostors)("%s", async (_, { first, afterAnswer, why, heardBytes }) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-impostor-"));
      const address = path.join(dir, "manager.sock");
      let heard = Buffer.alloc(0);
      const impostor = net.createServer();
      const closed = new Promise<void>((resolve) => {
        impostor.on("connection", (socket) => {
          socket.write(first());
          socket.on("data", (chunk: Buffer) => {
            heard = Buffer.concat([heard, chunk]);
            if (afterAnswer && heard.length === ANSWER_BYTES) socket.write(afterAnswer());
          });
          socket.on("error", () => undefined);
          socket.on("close", () => resolve());
        });
      });
      await new Promise<void>((resolve) => impostor.listen(address, resolve));
      const proxy = new ManagerProxy<number>(address, randomBytes(32).toString("hex"));
      const error = await rejectionOf(proxy.set("a", 1));
      expect(error).toBeInstanceOf(ManagerUnavailableError);
      expect((error as Error).message).toMatch(why);
      await closed; // the proxy closed the connection: all it sent has arrived
      expect(heard.length).toBe(heardBytes); // its answer to the challenge at most, never a request
      proxy.close();
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});

describe("the private folder and socket", () => {
  test.each([0o000, 0o002, 0o022, 0o077, 0o777])("under umask %o the folder is 0700 and the socket 0600, both this user's, and proxies connect", async (umask) => {
    const before = process.umask(umask);
    let manager: Manager<number>;
    try {
      manager = await Manager.start<number>({ a: 1 });
    } finally {
      process.umask(before);
    }
    const folder = fs.lstatSync(path.dirname(manager.address));
    const socket = fs.lstatSync(manager.address);
    expect([folder.isDirectory(), (folder.mode & 0o777).toString(8), folder.uid]).toEqual([true, "700", process.getuid!()]);
    expect([socket.isSocket(), (socket.mode & 0o777).toString(8), socket.uid]).toEqual([true, "600", process.getuid!()]);
    const proxy = connectManager<number>(manager.reference());
    expect(await proxy.get("a")).toBe(1);
    proxy.close();
    await manager.shutdown();
  });

  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  asRoot("another user cannot connect: the folder stops them, and so does the socket's own mode (needs root, to be another user)", async () => {
    const manager = await Manager.start<number>({ a: 1 });
    const tryAsNobody = (): string =>
      spawnSync(process.execPath, ["-e", 'require("net").createConnection(process.argv[1]).on("connect", () => { console.log("connected"); process.exit(); }).on("error", (e) => console.log(e.code))', manager.address], {
        uid: 65534,
        gid: 65534,
        cwd: "/",
        encoding: "utf8",
      }).stdout.trim();
    expect(tryAsNobody()).toBe("EACCES");
    const folder = path.dirname(manager.address);
    fs.chmodSync(folder, 0o711); // let others through the folder: the socket alone must still refuse them
    try {
      expect(tryAsNobody()).toBe("EACCES");
    } finally {
      fs.chmodSync(folder, 0o700);
    }
    await manager.shutdown();
  });

  /** Makes the next manager's fresh folder get `plant` done to it, as if another program had won the race to it. */
  function plantInNextFolder(plant: (folder: string) => void): { folder: () => string } {
    const real = fs.mkdtempSync;
    let made = "";
    jest.spyOn(fs, "mkdtempSync").mockImplementationOnce(((prefix: string) => {
      made = real(prefix);
      plant(made);
      return made;
    }) as never);
    return { folder: () => made };
  }

  const plants: [string, (folder: string, victim: ReturnType<typeof victimFolder>) => void][] = [
    ["a symlink to another folder's file", (folder, victim) => fs.symlinkSync(victim.file, path.join(folder, "manager.sock"))],
    ["a dangling symlink into another folder", (folder, victim) => fs.symlinkSync(path.join(victim.dir, "made-through-the-link.sock"), path.join(folder, "manager.sock"))],
    ["a symlink to another folder", (folder, victim) => fs.symlinkSync(victim.dir, path.join(folder, "manager.sock"))],
    ["a plain file", (folder) => fs.writeFileSync(path.join(folder, "manager.sock"), "planted")],
    ["the folder itself, swapped for a symlink to another folder", (folder, victim) => (fs.renameSync(folder, `${folder}-moved`), fs.symlinkSync(victim.dir, folder))],
  ];

  test.each(plants)("%s planted where the socket goes: the manager refuses to start, follows nothing and removes nothing", async (_, plant) => {
    const victim = victimFolder();
    const planted = plantInNextFolder((folder) => plant(folder, victim));
    const error = await rejectionOf(Manager.start<number>({ a: 1 }));
    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect((error as Error).message).toMatch(/nothing there was followed or removed|It was not followed or removed/);
    expect(victim.listing()).toEqual(["precious.txt"]);
    expect(fs.readFileSync(victim.file, "utf8")).toBe("precious");
    const folder = planted.folder();
    const stillThere = fs.lstatSync(folder).isSymbolicLink() ? folder : path.join(folder, "manager.sock");
    expect(fs.lstatSync(stillThere).isSocket()).toBe(false); // what was planted is still there, untouched
    expect(liveResourceCount()).toBe(0);
    for (const made of [folder, `${folder}-moved`, victim.dir]) fs.rmSync(made, { recursive: true, force: true });
  });

  test("a folder loosened to 0777 right after it was made is made 0700 again before the manager listens", async () => {
    plantInNextFolder((folder) => fs.chmodSync(folder, 0o777));
    const manager = await Manager.start<number>({ a: 1 });
    expect((fs.lstatSync(path.dirname(manager.address)).mode & 0o777).toString(8)).toBe("700");
    await manager.shutdown();
  });

  asRoot("a folder that another user owns right after it was made is refused (needs root, to give it away)", async () => {
    const planted = plantInNextFolder((folder) => fs.chownSync(folder, 65534, 65534));
    const error = await rejectionOf(Manager.start<number>({ a: 1 }));
    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect((error as Error).message).toMatch(/belongs to user 65534, not to this user/);
    fs.rmSync(planted.folder(), { recursive: true, force: true });
  });

  test("links planted at the names older managers used (kh-manager-<pid>-<n>.sock) are neither used nor touched", async () => {
    const victim = victimFolder();
    const traps = Array.from({ length: 20 }, (_, n) => path.join(os.tmpdir(), `kh-manager-${process.pid}-${n}.sock`));
    for (const trap of traps) fs.symlinkSync(victim.file, trap);
    try {
      const manager = await Manager.start<number>({ a: 1 });
      expect(traps).not.toContain(manager.address);
      const proxy = connectManager<number>(manager.reference());
      expect(await proxy.get("a")).toBe(1);
      proxy.close();
      await manager.shutdown();
      expect(traps.every((trap) => fs.readlinkSync(trap) === victim.file)).toBe(true);
      expect(fs.readFileSync(victim.file, "utf8")).toBe("precious");
    } finally {
      for (const trap of traps) fs.rmSync(trap, { force: true });
      fs.rmSync(victim.dir, { recursive: true, force: true });
    }
  });

  test("shutdown removes only what the manager made: a file someone put in its folder stays, and so does the folder", async () => {
    const manager = await Manager.start<number>({ a: 1 });
    const folder = path.dirname(manager.address);
    fs.writeFileSync(path.join(folder, "not-the-managers.txt"), "keep me");
    await manager.shutdown();
    expect(fs.existsSync(manager.address)).toBe(false);
    expect(fs.readFileSync(path.join(folder, "not-the-managers.txt"), "utf8")).toBe("keep me");
    fs.rmSync(folder, { recursive: true, force: true });
  });
});
