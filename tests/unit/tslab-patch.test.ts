/**
 * tslab's kernel server as patched by patches/tslab+1.0.22.patch, on a recording stand-in for zeromq:
 * every socket is bound before any is read from or written to, a kernel that cannot bind exits, and
 * IPC addresses take Jupyter's form.
 *
 * Why: zeromq 6 refuses to receive or send on a socket whose bind has not completed (EBUSY).
 * Unpatched, tslab starts its receive loops first and binds afterwards; under load a CI run saw
 * a kernel_info request handled before the binds had completed: the status message failed, the shell
 * loop ended, and the kernel never answered ("Kernel didn't respond in 120 seconds"). The stand-in
 * makes each bind take a few milliseconds and records the order of calls; on unpatched tslab the first
 * test fails (its receives come before its binds).
 *
 * The runner's kernels listen on Unix socket files (scripts/lib/kernel_address.py), which Jupyter
 * names `<ip>-<port>`; unpatched tslab bound `ipc://<ip>:<port>`, where no client would look.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// What the stand-in sockets did, in order ("bind shell", "bound shell", "receive shell", ...).
const mockCalls: string[] = [];
const mockBind = { fail: null as string | null };
const mockAddresses: Record<string, string> = {};

jest.mock("zeromq", () => {
  class Socket {
    constructor(readonly kind: string) {}
    name = "";
    bind(address: string): Promise<void> {
      const name = this.name;
      mockCalls.push(`bind ${name}`);
      mockAddresses[name] = address;
      if (mockBind.fail === name) return Promise.reject(new Error(`cannot bind ${address}`));
      return new Promise((resolve) =>
        setTimeout(() => {
          mockCalls.push(`bound ${name}`);
          resolve();
        }, 5),
      );
    }
    send(): Promise<void> {
      mockCalls.push(`send ${this.name}`);
      return Promise.resolve();
    }
    [Symbol.asyncIterator]() {
      return {
        next: () => {
          mockCalls.push(`receive ${this.name}`);
          return new Promise(() => undefined); // no message ever arrives
        },
      };
    }
    close(): void {}
  }
  return {
    Publisher: class extends Socket {
      constructor() {
        super("pub");
      }
    },
    Router: class extends Socket {
      constructor() {
        super("router");
      }
    },
    Reply: class extends Socket {
      constructor() {
        super("rep");
      }
    },
  };
});

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ZmqServer } = require("tslab/dist/jupyter") as {
  ZmqServer: new (handler: unknown, configPath: string) => Record<string, unknown> & { init(): Promise<void> };
};

const PORTS = { iopub_port: 1, shell_port: 2, control_port: 3, stdin_port: 4, hb_port: 5 };
const SOCKETS = ["iopub", "shell", "control", "stdin", "hb"];

/** A server whose sockets carry their role as `name` once init() has created them. */
function serverWithConnectionFile(connection: Record<string, unknown> = {}): { server: Record<string, unknown> & { init(): Promise<void> }; init(): Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslab-patch-"));
  const configPath = path.join(dir, "connection.json");
  fs.writeFileSync(configPath, JSON.stringify({ transport: "tcp", ip: "127.0.0.1", key: "k", ...PORTS, ...connection }));
  const server = new ZmqServer({}, configPath);
  // Name each socket as init() assigns it (the stand-in cannot know which role it has).
  for (const role of SOCKETS) {
    let socket: { name: string } | undefined;
    Object.defineProperty(server, role, {
      get: () => socket,
      set: (s: { name: string }) => {
        s.name = role;
        socket = s;
      },
    });
  }
  return {
    server,
    init: async () => {
      try {
        await server.init();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

beforeEach(() => {
  mockCalls.length = 0;
  mockBind.fail = null;
  for (const name of Object.keys(mockAddresses)) delete mockAddresses[name];
});

test("all five sockets are bound before any receive loop starts", async () => {
  const { init } = serverWithConnectionFile();
  await init();
  await new Promise((resolve) => setImmediate(resolve)); // let the loops make their first call

  const lastBound = Math.max(...SOCKETS.map((s) => mockCalls.indexOf(`bound ${s}`)));
  const firstUse = mockCalls.findIndex((c) => c.startsWith("receive ") || c.startsWith("send "));
  expect(SOCKETS.every((s) => mockCalls.includes(`bound ${s}`))).toBe(true);
  // shell, control and hb each wait for a message; iopub and stdin are only written to
  expect(mockCalls.filter((c) => c.startsWith("receive ")).sort()).toEqual(["receive control", "receive hb", "receive shell"]);
  expect(firstUse).toBeGreaterThan(lastBound);
});

test("a socket that cannot be bound ends the kernel with exit status 1 and says why", async () => {
  mockBind.fail = "control";
  const exit = jest.spyOn(process, "exit").mockImplementation(((code?: number) => {
    throw new Error(`exit ${code}`);
  }) as never);
  const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    const { init } = serverWithConnectionFile();
    await expect(init()).rejects.toThrow("exit 1");
    expect(error).toHaveBeenCalledWith("tslab: could not bind the kernel's sockets:", expect.objectContaining({ message: "cannot bind tcp://127.0.0.1:3" }));
    expect(mockCalls.some((c) => c.startsWith("receive "))).toBe(false);
  } finally {
    exit.mockRestore();
    error.mockRestore();
  }
});

test("addresses as Jupyter writes them: tcp://ip:port, and ipc://ip-port for Unix socket files", async () => {
  await serverWithConnectionFile().init();
  expect(mockAddresses).toEqual({
    iopub: "tcp://127.0.0.1:1",
    shell: "tcp://127.0.0.1:2",
    control: "tcp://127.0.0.1:3",
    stdin: "tcp://127.0.0.1:4",
    hb: "tcp://127.0.0.1:5",
  });
  await serverWithConnectionFile({ transport: "ipc", ip: "/tmp/kernel-x/k" }).init();
  expect(mockAddresses).toEqual({
    iopub: "ipc:///tmp/kernel-x/k-1",
    shell: "ipc:///tmp/kernel-x/k-2",
    control: "ipc:///tmp/kernel-x/k-3",
    stdin: "ipc:///tmp/kernel-x/k-4",
    hb: "ipc:///tmp/kernel-x/k-5",
  });
});
