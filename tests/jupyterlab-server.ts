/**
 * A Jupyter Notebook server for the front-end tests (JupyterLab, the classic UI): Debian's classic
 * `jupyter notebook` 6.4, run by Jupyter's own Python, on 127.0.0.1 with a
 * random token and a free port of its own, finding the project's tslab
 * kernelspec through JUPYTER_PATH. Its state (runtime files, the notary's
 * signature database) stays in the test's folder, so the user's Jupyter is
 * not touched. It serves the bundled JupyterLab page from `extra_static_paths`
 * (/static/...), same-origin with its REST API and kernel WebSockets.
 *
 * The port: the server is offered one that was free a moment before, and may move on to
 * the next ones if that was taken meanwhile (`--port-retries`); the port it bound is read
 * from the runtime file it writes once it listens (nbserver-<pid>.json). Its kernels use
 * Unix socket files, not ports ({@link kernelTransportArgs}).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { jupyterPath, jupyterPython } from "./notebook-helpers";

/** Options of {@link startNotebookServer}. */
export interface NotebookServerOptions {
  /** The folder the server shows (its notebooks). */
  notebookDir: string;
  /** A folder of the test's own for the server's runtime files and JUPYTER_DATA_DIR (signatures). */
  stateDir: string;
  /** Folders served under /static/ before the server's own files. */
  staticDirs: string[];
  /** More environment for the server and so for its kernels (SCALE, CORES, a process marker...). */
  env: Record<string, string>;
}

/** A running server; {@link NotebookServer.stop} it in a `finally`/`afterAll`. */
export interface NotebookServer {
  /** The port it listens on (bound by the server itself). */
  readonly port: number;
  readonly token: string;
  readonly pid: number;
  /** The environment that Jupyter commands must share with the server (same data folder, same kernelspecs). */
  readonly jupyterEnv: NodeJS.ProcessEnv;
  /** `http://127.0.0.1:<port><route>` with the token appended. */
  url(route: string): string;
  /** A REST call with the token; throws on an HTTP error status. */
  api<T>(route: string, init?: RequestInit): Promise<T>;
  running(): boolean;
  /** The end of what the server printed, for failure messages. */
  log(): string;
  /**
   * SIGTERM to its process group (Notebook 6 then shuts its kernels down), SIGKILL after `graceMs`.
   * Resolves to "exited" when it ended within `graceMs` (or had ended), "killed" when it had to be killed.
   */
  stop(graceMs?: number): Promise<"exited" | "killed">;
}

/** A TCP port nobody listens on right now (someone may take it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The server options that give its kernels Unix socket files in `runtimeDir` instead of TCP ports
 * (as scripts/lib/kernel_address.py does for the runner's kernels): a port that Jupyter picked
 * can be taken by another process before the kernel binds it (CI saw "Address already in use"
 * with two test files starting kernels at once). None when the socket paths would be too long for
 * a Unix socket (a long $TMPDIR): the kernels then use TCP, as a user's server does.
 */
export function kernelTransportArgs(runtimeDir: string): string[] {
  // Jupyter names them <runtime>/kernel-<36-character id>-ipc-<1 to 5>; a socket path holds
  // 107 bytes on Linux, 103 on macOS
  const longest = path.join(runtimeDir, `kernel-${"0".repeat(36)}-ipc-5`);
  const room = process.platform === "linux" ? 107 : 103;
  return process.platform !== "win32" && Buffer.byteLength(longest) <= room ? ["--KernelManager.transport=ipc"] : [];
}

/** The port in a Notebook server's runtime file, 0 while the file is not there (or not whole) yet. */
function boundPort(runtimeFile: string): number {
  try {
    const port = (JSON.parse(fs.readFileSync(runtimeFile, "utf8")) as { port?: unknown }).port;
    return typeof port === "number" && Number.isInteger(port) && port > 0 ? port : 0;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone already
  }
}

/** Starts the server and resolves once its REST API answers. */
export async function startNotebookServer(options: NotebookServerOptions): Promise<NotebookServer> {
  const offered = await freePort();
  const token = randomBytes(24).toString("hex");
  const python = jupyterPython();
  const jupyterEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    JUPYTER_PATH: jupyterPath(),
    JUPYTER_DATA_DIR: `${options.stateDir}/data`,
    JUPYTER_RUNTIME_DIR: `${options.stateDir}/runtime`,
  };
  const child = spawn(
    python,
    [
      "-m", "notebook",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${offered}`,
      "--port-retries=20",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${options.notebookDir}`,
      `--NotebookApp.extra_static_paths=${JSON.stringify(options.staticDirs)}`,
      ...kernelTransportArgs(jupyterEnv.JUPYTER_RUNTIME_DIR!),
      // notebook 6 refuses to start as root without it (CI runs as root)
      ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
    ],
    // its own process group, so that stopping it reaches whatever it started
    { cwd: options.stateDir, detached: true, stdio: ["ignore", "pipe", "pipe"], env: jupyterEnv },
  );
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const log = () => `\n--- Notebook server output (last 4000 characters)\n${output.slice(-4000)}`;
  // the port it bound: known once its runtime file is there
  let port = 0;
  const runtimeFile = path.join(jupyterEnv.JUPYTER_RUNTIME_DIR!, `nbserver-${child.pid}.json`);
  const url = (route: string) => `http://127.0.0.1:${port}${route}${route.includes("?") ? "&" : "?"}token=${token}`;

  const server: NotebookServer = {
    get port() {
      return port;
    },
    token,
    pid: child.pid!,
    jupyterEnv,
    url,
    running,
    log,
    async api<T>(route: string, init?: RequestInit): Promise<T> {
      const response = await fetch(url(route), { ...init, signal: AbortSignal.timeout(20_000) });
      if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${route}: HTTP ${response.status}${log()}`);
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    async stop(graceMs = 20_000) {
      if (!running()) return "exited";
      signalGroup(child, "SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), graceMs)));
      const killed = (await Promise.race([exited, late])) === "late";
      if (killed) {
        signalGroup(child, "SIGKILL");
        await exited;
      }
      clearTimeout(timer);
      return killed ? "killed" : "exited";
    },
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!running()) throw new Error(`the Notebook server (${python} -m notebook) exited with ${child.exitCode ?? child.signalCode}${log()}`);
    try {
      port ||= boundPort(runtimeFile);
      if (port) {
        await server.api("/api");
        return server;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`the Notebook server did not answer within 30 s (offered port ${offered}, bound ${port || "none yet"})${log()}`);
    }
    await sleep(250);
  }
}
