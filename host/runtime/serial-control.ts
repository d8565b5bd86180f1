// The control channel over a serial port (the firmware image's virtio-serial
// port `portcullis.ctl`, which QEMU exposes on the host as a Unix socket):
// the same JSON lines as the control socket (control.ts), read from and
// answered on the port by the appliance itself.
//
// Why not relay the port to the control socket with socat: a byte stream has
// no connections, so the relay's one connection sits idle between host
// clients, the control socket closes it after IDLE_MS, and a request that
// arrives while the relay reconnects is lost (seen: a push's first request
// unanswered). Read here, a request is never dropped by a timeout.
//
// A virtio-serial port reads 0 bytes while no host client is connected: the
// reader then waits a moment and reads again, and forgets any partial line
// (a client that left mid-request must not prefix the next one's).
import { open, type FileHandle } from "node:fs/promises";
import { answerLine, MAX_REQUEST_CHARS, type Handler } from "./control.ts";

/** How long to wait before reading again while no host client is connected. */
const POLL_MS = 200;

export interface SerialControl {
  close(): Promise<void>;
}

export async function serveSerial(path: string, handler: Handler, onError: (message: string) => void = () => {}): Promise<SerialControl> {
  const fh: FileHandle = await open(path, "r+");
  let stopped = false;
  const loop = async () => {
    const buf = Buffer.alloc(65536);
    let pending = "";
    let discarding = false; // inside a line longer than the limit: drop it to its end
    while (!stopped) {
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, 0, buf.length, null));
      } catch (e) {
        if (stopped) return;
        onError(`control port ${path}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (n === 0) {
        pending = "";
        discarding = false;
        await new Promise((r) => setTimeout(r, POLL_MS));
        continue;
      }
      pending += buf.toString("utf8", 0, n);
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, "");
        pending = pending.slice(nl + 1);
        if (discarding) { discarding = false; continue; }
        if (line.trim() === "") continue;
        await write(await answerLine(line, handler));
      }
      if (pending.length > MAX_REQUEST_CHARS) {
        pending = "";
        if (!discarding) await write(JSON.stringify({ ok: false, error: `request longer than ${MAX_REQUEST_CHARS} characters` }) + "\n");
        discarding = true;
      }
    }
  };
  const write = async (text: string) => {
    // A port takes at most 32 KiB per write (virtio_console): write until all of it is gone.
    const data = Buffer.from(text, "utf8");
    try {
      for (let at = 0; at < data.length; ) at += (await fh.write(data, at, data.length - at, null)).bytesWritten;
    } catch {
      // The host client left before its answer: nobody is there to read it.
    }
  };
  const done = loop();
  return {
    async close() {
      stopped = true;
      // A read may be blocked in the thread pool until the host writes: do not wait for it.
      void fh.close().catch(() => {});
      await Promise.race([done, new Promise((r) => setTimeout(r, 500))]);
    },
  };
}
