/**
 * A local address that only this user can reach, for an owner's server.
 *
 * On Unix it is a socket file in a fresh folder of its own: `mkdtemp` makes
 * the folder with an unguessable name and mode 0700, so nothing can be
 * planted at the path in advance, and no other user can enter it. The mode is
 * checked after creation (and set again: the umask can take bits away, never
 * add them, but the check does not rely on that), as is the folder being a
 * real folder owned by this user. `bind` never follows a symlink: if anything
 * appeared at the socket's path before the socket (only this user or root
 * could have put it there), listening fails and the owner refuses to start,
 * without following or removing it. The socket file itself is made 0600.
 * On closing, only what was made here is removed: the socket, then the folder
 * if it is empty.
 *
 * On Windows it is a named pipe with an unguessable name; there is no folder
 * to lock, so the key challenge (manager-channel.ts) is what keeps others out.
 * That path is not tested here (no Windows machine); it is kept as it was.
 */
import fs from "node:fs";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";

/** The owner could not make a private address to listen on: something at its path was not what it made. */
export class UnsafeAddressError extends Error {
  override name = "UnsafeAddressError";
}

const SOCKET_NAME = "manager.sock";
const isWindows = process.platform === "win32";

/** What is wrong with `stat` as this user's private folder, or undefined. */
function folderProblem(stat: fs.Stats): string | undefined {
  if (!stat.isDirectory()) return stat.isSymbolicLink() ? "is a symbolic link, not a folder" : "is not a folder";
  if (stat.uid !== process.getuid!()) return `belongs to user ${stat.uid}, not to this user (${process.getuid!()})`;
  if ((stat.mode & 0o777) !== 0o700) return `has mode ${(stat.mode & 0o777).toString(8)}, not 700`;
  return undefined;
}

/** Which file `stat` describes (device and inode), to notice a file replaced by another. */
const identity = (stat: fs.Stats): string => `${stat.dev}:${stat.ino}`;

/** A private address: create it, listen on it, remove it. */
export class PrivateSocket {
  readonly #folderIdentity: string | undefined;

  private constructor(
    /** Where clients connect: the socket's path, or the pipe's name on Windows. */
    readonly address: string,
    /** The private folder holding the socket (Unix only). */
    readonly folder: string | undefined,
    folderIdentity: string | undefined,
  ) {
    this.#folderIdentity = folderIdentity;
  }

  /**
   * Makes a fresh private folder named `<prefix>-XXXXXX` in the temporary
   * directory (on Windows, a pipe name `<prefix>-<random>`).
   * @throws UnsafeAddressError if the new folder is not private after all.
   */
  static create(prefix: string): PrivateSocket {
    if (isWindows) return new PrivateSocket(`\\\\.\\pipe\\${prefix}-${randomBytes(8).toString("hex")}`, undefined, undefined);
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    const made = fs.lstatSync(folder);
    // mkdtemp asked for 0700 and a umask only removes bits; set it anyway (a umask of 0777 leaves 000), then check what is there
    if (made.isDirectory() && !made.isSymbolicLink()) fs.chmodSync(folder, 0o700);
    const stat = fs.lstatSync(folder);
    const problem = folderProblem(stat) ?? (identity(stat) === identity(made) ? undefined : "was replaced while it was being made private");
    if (problem) throw new UnsafeAddressError(`The new private folder ${folder} ${problem}; the owner did not start (nothing there was followed or removed).`);
    return new PrivateSocket(path.join(folder, SOCKET_NAME), folder, identity(stat));
  }

  /**
   * Starts `server` listening here, then checks that what it listens on is
   * its own socket in the unchanged private folder, and makes it 0600.
   * @throws UnsafeAddressError if something was already at the path, or the folder changed.
   */
  async listen(server: net.Server): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException): void => {
        if (error.code !== "EADDRINUSE") return reject(error);
        reject(
          new UnsafeAddressError(
            `Something was already at ${this.address}, in the owner's new private folder, before its socket was made: a program running as this user (or root) put it there. ` +
              "It was not followed or removed; the owner did not start.",
          ),
        );
      };
      server.once("error", failed);
      server.listen(this.address, () => {
        server.off("error", failed);
        resolve();
      });
    });
    if (this.folder === undefined) return;
    const socket = fs.lstatSync(this.address);
    const folder = fs.lstatSync(this.folder);
    const problem =
      folderProblem(folder) ??
      (identity(folder) !== this.#folderIdentity ? "was replaced after it was made" : undefined) ??
      (socket.isSocket() && socket.uid === process.getuid!() ? undefined : "holds something other than the owner's socket");
    if (problem) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw new UnsafeAddressError(`The private folder ${this.folder} ${problem}; the owner stopped listening (nothing there was followed or removed).`);
    }
    fs.chmodSync(this.address, 0o600); // the folder already keeps others out; the socket does too
  }

  /** Removes the socket (if it is still a socket) and the folder (if it is empty); never anything else. */
  remove(): void {
    if (this.folder === undefined) return;
    try {
      // through anything else at the folder's path (a link to elsewhere), nothing is removed
      const folder = fs.lstatSync(this.folder);
      if (!folder.isDirectory() || identity(folder) !== this.#folderIdentity) return;
    } catch {
      return;
    }
    try {
      if (fs.lstatSync(this.address).isSocket()) fs.unlinkSync(this.address);
    } catch {
      // already gone (closing the server removes it)
    }
    try {
      fs.rmdirSync(this.folder);
    } catch {
      // not empty, or not a folder: what is there was not made here, so it stays
    }
  }
}
