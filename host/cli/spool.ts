// An append-only list of strings whose memory stays bounded: past `limit`
// characters it moves to a temporary file, read back in pieces by drain().
// `replay` uses it for what it prints after the per-packet stream (reasons,
// log lines), so a capture of any length needs no more than `limit` of them.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";

export class Spool {
  private parts: string[] = [];
  private chars = 0;
  private dir: string | null = null;
  private fd: number | null = null;
  count = 0;

  constructor(private limit = 1 << 20) {}

  push(s: string): void {
    this.parts.push(s);
    this.chars += s.length;
    this.count++;
    if (this.chars >= this.limit) this.spill();
  }

  private spill(): void {
    if (this.parts.length === 0) return;
    if (this.fd === null) {
      this.dir = mkdtempSync(join(tmpdir(), "portcullis-spool-"));
      this.fd = openSync(join(this.dir, "spool"), "w+", 0o600);
    }
    const b = Buffer.from(this.parts.join(""), "utf8");
    for (let off = 0; off < b.length;) off += writeSync(this.fd, b, off, b.length - off);
    this.parts = [];
    this.chars = 0;
  }

  /** Every string pushed, in order and concatenated, handed to `out` in pieces of bounded size. */
  drain(out: (s: string) => void): void {
    if (this.fd === null) {
      if (this.parts.length) out(this.parts.join(""));
      return;
    }
    this.spill();
    const dec = new StringDecoder("utf8");
    const chunk = Buffer.alloc(1 << 20);
    for (let pos = 0; ;) {
      const n = readSync(this.fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      pos += n;
      out(dec.write(chunk.subarray(0, n)));
    }
    const rest = dec.end();
    if (rest) out(rest);
  }

  /** Remove the temporary file, if any (call it in a finally). */
  dispose(): void {
    if (this.fd !== null) closeSync(this.fd);
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.fd = null;
    this.dir = null;
    this.parts = [];
  }
}
