// Frames in, frames out: runs wire.py (python3, AF_PACKET) over a router's
// ports. Sends in order; returns every frame that came out of any port.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const WIRE_SCRIPT = fileURLToPath(new URL("./wire.py", import.meta.url));

export interface Send {
  port: number;
  frame: Uint8Array;
}

export interface Received {
  sentBefore: number; // how many frames had been sent when it was read
  port: number;
  frame: Uint8Array;
}

export async function transmit(ports: { netns: string; ifname: string }[], sends: Send[], drainMs = 300): Promise<Received[]> {
  const dir = mkdtempSync(join(tmpdir(), "pc-wire-"));
  try {
    const total = sends.reduce((n, s) => n + 6 + s.frame.length, 0);
    const buf = Buffer.alloc(total);
    let o = 0;
    for (const s of sends) {
      buf.writeUInt16LE(s.port, o);
      buf.writeUInt32LE(s.frame.length, o + 2);
      buf.set(s.frame, o + 6);
      o += 6 + s.frame.length;
    }
    const spec = { ports, frames: join(dir, "frames"), out: join(dir, "out"), drainMs };
    writeFileSync(spec.frames, buf);
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
    // Bounded: a generous second per thousand frames, plus the drain.
    const limitMs = 10_000 + sends.length + drainMs;
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn("python3", [WIRE_SCRIPT, join(dir, "spec.json")], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
      child.on("error", (e) => { clearTimeout(timer); reject(e); });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(err);
        else reject(new Error(`wire.py ${signal ? `killed by ${signal} after ${limitMs} ms` : `exit ${code}`}: ${err.trim()}`));
      });
    });
    if (stderr.trim()) process.stderr.write(stderr);
    const out = readFileSync(spec.out);
    const got: Received[] = [];
    for (let p = 0; p + 10 <= out.length;) {
      const sentBefore = out.readUInt32LE(p);
      const port = out.readUInt16LE(p + 4);
      const n = out.readUInt32LE(p + 6);
      got.push({ sentBefore, port, frame: new Uint8Array(out.subarray(p + 10, p + 10 + n)) });
      p += 10 + n;
    }
    return got;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
