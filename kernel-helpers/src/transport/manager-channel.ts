/**
 * The handshake that makes an owner channel private: before one request is
 * read, the peer proves it holds the owner's secret key, and the owner proves
 * it back, without the key itself ever crossing the socket. It is Python's
 * `multiprocessing.connection` challenge (`deliver_challenge` /
 * `answer_challenge`, what checks a manager's `authkey`), done both ways.
 *
 * On the wire, raw bytes of fixed sizes, before any frame (frames.ts):
 *
 *     owner → peer   "KHCHAL01" + owner nonce (32 random bytes)                            40 bytes
 *     peer → owner   "KHANSW01" + HMAC-SHA256(key, "peer" + owner nonce) + peer nonce      72 bytes
 *     owner → peer   "KHWELC01" + HMAC-SHA256(key, "owner" + owner nonce + peer nonce)     40 bytes
 *               or   "KHFAIL01" + 32 zero bytes, and the owner closes the connection       40 bytes
 *
 * Fresh nonces on both sides mean a recorded answer is worth nothing on the
 * next connection; the two labels mean neither side's proof can be replayed
 * as the other's. The answers are compared in constant time.
 *
 * Why raw bytes of fixed sizes: until the peer has proved it holds the key,
 * the owner reads exactly 72 bytes and compares them; it deserialises
 * nothing, and the code that serves requests (which, for a Manager's
 * `update`, compiles and runs a function) does not exist for that connection
 * yet: it is attached in `onAuthenticated`, and nowhere else.
 *
 * The channel is authenticated, not encrypted (as Python's): it runs on a
 * local socket that only its user can reach (private-socket.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Duplex } from "node:stream";
import { ProtocolError } from "../primitives/errors";

/** Bytes of a channel key (256 bits). */
export const KEY_BYTES = 32;
const NONCE_BYTES = 32;
const PROOF_BYTES = 32; // SHA-256
const TAG_BYTES = 8;

const CHALLENGE = Buffer.from("KHCHAL01");
const ANSWER = Buffer.from("KHANSW01");
const WELCOME = Buffer.from("KHWELC01");
const FAILURE = Buffer.from("KHFAIL01");
const CHALLENGE_BYTES = TAG_BYTES + NONCE_BYTES;
const ANSWER_BYTES = TAG_BYTES + PROOF_BYTES + NONCE_BYTES;
const VERDICT_BYTES = TAG_BYTES + PROOF_BYTES;

/** A fresh random key for a new owner. */
export function newChannelKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The key written as a reference carries it (hex), or undefined if `text` is not one. */
export function parseChannelKey(text: unknown): Buffer | undefined {
  return typeof text === "string" && /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, "hex") : undefined;
}

function proof(key: Buffer, who: "peer" | "owner", ...nonces: Buffer[]): Buffer {
  const hmac = createHmac("sha256", key).update(who);
  for (const nonce of nonces) hmac.update(nonce);
  return hmac.digest();
}

/** True if `message` starts with `tag` and its next 32 bytes equal `expected` (in constant time). */
function carries(message: Buffer, tag: Buffer, expected: Buffer): boolean {
  const tagOk = message.subarray(0, TAG_BYTES).equals(tag);
  const proofOk = timingSafeEqual(message.subarray(TAG_BYTES, TAG_BYTES + PROOF_BYTES), expected);
  return tagOk && proofOk;
}

/**
 * Reads exactly `bytes` bytes from `stream`, then stops listening and hands
 * them over with whatever came after them. `done` must attach the next
 * reader at once (a flowing stream drops data that no listener takes).
 */
function readExactly(stream: Duplex, bytes: number, done: (message: Buffer, rest: Buffer) => void, ended: (received: number) => void): void {
  const chunks: Buffer[] = [];
  let received = 0;
  const stop = (): void => {
    stream.off("data", onData);
    stream.off("end", onEnd);
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    received += chunk.length;
    if (received < bytes) return;
    stop();
    const all = Buffer.concat(chunks);
    done(all.subarray(0, bytes), all.subarray(bytes));
  };
  const onEnd = (): void => {
    stop();
    ended(received);
  };
  stream.on("data", onData);
  stream.on("end", onEnd);
}

/** What the owner's side of the handshake reports. */
export interface PeerHandlers {
  /** The peer proved it holds the key; `rest` is what it sent after its answer (the first request bytes). */
  onAuthenticated(rest: Buffer): void;
  /** The peer's answer was wrong or cut short; the handshake has answered it with a refusal and closes the connection. */
  onRefused(error: ProtocolError): void;
}

/**
 * The owner's side: challenges a peer that just connected, and calls
 * `onAuthenticated` only if it answers with proof of `key`. A peer that
 * closes before sending anything is let go without a report.
 */
export function authenticatePeer(stream: Duplex, key: Buffer, handlers: PeerHandlers): void {
  const ownerNonce = randomBytes(NONCE_BYTES);
  stream.write(Buffer.concat([CHALLENGE, ownerNonce]));
  readExactly(
    stream,
    ANSWER_BYTES,
    (answer, rest) => {
      if (!carries(answer, ANSWER, proof(key, "peer", ownerNonce))) {
        stream.write(Buffer.concat([FAILURE, Buffer.alloc(PROOF_BYTES)]), () => stream.destroy());
        handlers.onRefused(new ProtocolError("Manager: a connection did not present the manager's key first (its answer to the owner's random challenge was not the key's proof); it was closed."));
        return;
      }
      const peerNonce = answer.subarray(TAG_BYTES + PROOF_BYTES);
      stream.write(Buffer.concat([WELCOME, proof(key, "owner", ownerNonce, peerNonce)]));
      handlers.onAuthenticated(rest);
    },
    (received) => {
      stream.destroy();
      if (received > 0) {
        handlers.onRefused(new ProtocolError(`Manager: a connection ended in the middle of the key challenge (${received} of ${ANSWER_BYTES} bytes of its answer); it was closed.`));
      }
    },
  );
}

/** What the peer's side of the handshake reports. */
export interface OwnerHandlers {
  /** Both sides proved they hold the key; `rest` is what the owner sent after its welcome. */
  onReady(rest: Buffer): void;
  /** Why the connection cannot be used, as the end of a sentence starting "The manager at <address>". */
  onRefused(why: string): void;
}

/**
 * The peer's side: answers the owner's challenge with proof of `key`,
 * challenges the owner back, and calls `onReady` only once the owner has
 * proved it holds the same key. Nothing else should be written before that.
 */
export function authenticateToOwner(stream: Duplex, key: Buffer, handlers: OwnerHandlers): void {
  const refuse = (why: string): void => {
    stream.destroy();
    handlers.onRefused(why);
  };
  const ignoreEnd = (): void => undefined; // the caller's "close" handler reports a connection that ends
  readExactly(
    stream,
    CHALLENGE_BYTES,
    (challenge) => {
      if (!challenge.subarray(0, TAG_BYTES).equals(CHALLENGE)) {
        return refuse("did not answer as a kernel-helpers manager does (its first message was not a key challenge)");
      }
      const ownerNonce = challenge.subarray(TAG_BYTES);
      const peerNonce = randomBytes(NONCE_BYTES);
      stream.write(Buffer.concat([ANSWER, proof(key, "peer", ownerNonce), peerNonce]));
      readExactly(
        stream,
        VERDICT_BYTES,
        (verdict, rest) => {
          if (verdict.subarray(0, TAG_BYTES).equals(FAILURE)) {
            return refuse("refused this proxy: its key is not the manager's key (pass the manager itself, or its reference(), to the worker)");
          }
          if (!carries(verdict, WELCOME, proof(key, "owner", ownerNonce, peerNonce))) {
            return refuse("could not prove it holds the manager's key: it is not that manager, so nothing was sent to it");
          }
          handlers.onReady(rest);
        },
        ignoreEnd,
      );
    },
    ignoreEnd,
  );
}
