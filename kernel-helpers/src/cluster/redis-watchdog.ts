/**
 * Runs one `redis-server` for {@link startRedis} and stops it when the
 * process that started it goes away, even by SIGKILL (a killed kernel or
 * test runner): Redis cannot watch its parent itself, so this small process
 * sits between them and notices its IPC channel closing.
 *
 * Usage (internal): node redis-watchdog.js <redis-server> <config file>
 */
import { spawn } from "node:child_process";

const [binary, config] = process.argv.slice(2);
if (!binary || !config || !process.send) {
  console.error("usage: node redis-watchdog.js <redis-server> <config file> (started with an IPC channel)");
  process.exit(2);
}

const redis = spawn(binary, [config], { stdio: ["ignore", "inherit", "inherit"] });
redis.on("spawn", () => process.send?.({ kind: "pid", pid: redis.pid }));
redis.on("error", (error) => {
  console.error(`cannot start ${binary}: ${error.message}`);
  process.exit(1);
});
redis.on("exit", (code, signal) => {
  if (!process.connected) process.exit(0);
  process.send?.({ kind: "exit", code, signal }, () => process.exit(0));
});

process.on("disconnect", () => {
  // the owner is gone: take Redis down with it, then leave
  redis.kill("SIGTERM");
  setTimeout(() => redis.kill("SIGKILL"), 3_000).unref();
});
process.on("SIGTERM", () => redis.kill("SIGTERM"));
process.on("SIGINT", () => redis.kill("SIGTERM"));
