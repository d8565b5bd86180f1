// A raw control-socket client for the hostile-message tests: sends bytes as
// they are (at once, dripped, or without ever reading) and collects every
// answer line until the appliance closes the connection.
import net from "node:net";

export interface Exchange { lines: string[]; closed: boolean }

export function exchange(path: string, data: Buffer, mode: "send" | "drip" | "noread" = "send", timeoutMs = 30000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ path, allowHalfOpen: true });
    let buf = "";
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.destroy();
      resolve({ lines: buf.split("\n").filter((l) => l !== ""), closed });
    };
    const timer = setTimeout(() => {
      done = true;
      c.destroy();
      reject(new Error(`no end of the exchange within ${timeoutMs} ms (${buf.split("\n").length - 1} answers so far)`));
    }, timeoutMs);
    c.setEncoding("utf8");
    c.on("data", (d: string) => (buf += d));
    c.on("error", () => finish(true));
    c.on("close", () => finish(true));
    c.on("end", () => finish(true));
    c.once("connect", async () => {
      if (mode === "noread") {
        c.pause();
        c.write(data, () => {});
        setTimeout(() => finish(false), 1000);
      } else if (mode === "drip") {
        for (const b of data) {
          if (done) return;
          c.write(Buffer.from([b]));
          await new Promise((r) => setTimeout(r, 20));
        }
        c.end();
      } else {
        c.end(data);
      }
    });
  });
}

/** Problems with one answer line: it must be one JSON object with a boolean `ok`, an `error` string when not ok, and no raw control or bidi characters. */
export function answerProblems(line: string): string[] {
  const out: string[] = [];
  if (/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/.test(line)) out.push("raw control or bidi character");
  let a: any;
  try { a = JSON.parse(line); } catch { return [...out, `not JSON: ${line.slice(0, 80)}`]; }
  if (typeof a !== "object" || a === null || typeof a.ok !== "boolean") out.push("no boolean ok");
  else if (!a.ok && (typeof a.error !== "string" || a.error === "")) out.push("ok:false without an error");
  return out;
}
