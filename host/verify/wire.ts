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

/** A command run between frames (after the frames before it have settled), e.g. loading other rules. */
export interface Command {
  command: string[];
}

export interface Received {
  sentBefore: number; // how many frames had been sent when it was read
  port: number;
  frame: Uint8Array;
}

/**
 * Send the frames in order (commands run where they stand) and return what
 * came out. `sentBefore` counts frames only, not commands.
 */
export async function transmit(ports: { netns: string; ifname: string }[], items: (Send | Command)[], drainMs = 300): Promise<Received[]> {
  const dir = mkdtempSync(join(tmpdir(), "pc-wire-"));
  try {
    const records = items.map((it) => ("command" in it
      ? { port: 0xffff, bytes: new Uint8Array(Buffer.from(JSON.stringify(it.command))) }
      : { port: it.port, bytes: it.frame }));
    const buf = Buffer.alloc(records.reduce((n, r) => n + 6 + r.bytes.length, 0));
    let o = 0;
    for (const r of records) {
      buf.writeUInt16LE(r.port, o);
      buf.writeUInt32LE(r.bytes.length, o + 2);
      buf.set(r.bytes, o + 6);
      o += 6 + r.bytes.length;
    }
    const spec = { ports, frames: join(dir, "frames"), out: join(dir, "out"), drainMs };
    writeFileSync(spec.frames, buf);
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
    // Bounded: a generous millisecond per frame, a second per command, plus the drain.
    const limitMs = 10_000 + items.reduce((n, it) => n + ("command" in it ? 1000 : 1), 0) + drainMs;
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn("python3", [WIRE_SCRIPT, join(dir, "spec.json")], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
      // If this process is interrupted (verify's signal handler exits), the wire and its files go too.
      const onExit = () => { child.kill("SIGKILL"); rmSync(dir, { recursive: true, force: true }); };
      process.once("exit", onExit);
      child.on("error", (e) => { clearTimeout(timer); process.off("exit", onExit); reject(e); });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        process.off("exit", onExit);
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

/**
 * Which sends came out: each received frame belongs to the latest send with
 * the same key that had been sent when it was read (wire.py reads after every
 * send, so that is the send that caused it). Returns a flag per send.
 */
export function attribute(sendKeys: string[], received: { sentBefore: number; key: string | null }[]): boolean[] {
  const byKey = new Map<string, number[]>();
  sendKeys.forEach((k, i) => {
    const l = byKey.get(k);
    if (l) l.push(i);
    else byKey.set(k, [i]);
  });
  const out = sendKeys.map(() => false);
  for (const r of received) {
    if (r.key === null) continue;
    const list = byKey.get(r.key);
    if (!list) continue;
    // The latest unclaimed send before the read.
    let best = -1;
    for (let j = list.length - 1; j >= 0; j--) {
      if (list[j] < r.sentBefore && !out[list[j]]) { best = list[j]; break; }
    }
    if (best >= 0) out[best] = true;
  }
  return out;
}
