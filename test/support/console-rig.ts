// A live appliance on loopback UDP with its web console on 127.0.0.1, for the
// console's tests: Windows Firewall exceptions (one rule name holds markup),
// two relays standing in for the LAN and WAN hosts, and a way to send traffic.
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveAppliance } from "../../host/runtime/live.ts";
import { parsePortSpec } from "../../host/runtime/ports.ts";
import { ConsoleServer } from "../../host/console/server.ts";
import { tcpPacket } from "../../host/packet/build.ts";

export const HOSTILE_NAME = `<script>document.title="owned"</script><img src=x onerror=alert(1)>`;
export const CONFIG = [
  "80:TCP:*:enabled:Web server",
  `443:TCP:10.0.0.0/24:enabled:${HOSTILE_NAME}`,
  "25:TCP:10.0.0.7:enabled:Mail from the relay only",
  "",
].join("\n");

const MAC_L = "02:00:00:00:01:01", MAC_W = "02:00:00:00:02:02";

export interface Rig {
  dir: string;
  live: LiveAppliance;
  web: ConsoleServer;
  base: string;
  /** A SYN from the WAN host 10.0.0.2 to the LAN host 192.168.0.10 on `dport`. */
  synFromWan(dport: number, sport?: number): Promise<void>;
  /** Frames the LAN relay has received so far. */
  lanGot(): number;
  close(): Promise<void>;
}

let nextPort = 20000 + Math.floor(Math.random() * 30000);

async function udp(): Promise<{ sock: dgram.Socket; port: number; got: number }> {
  const sock = dgram.createSocket("udp4");
  const r = { sock, port: 0, got: 0 };
  sock.on("message", () => r.got++);
  await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
  r.port = sock.address().port;
  return r;
}

export async function startRig(opts: { token?: string | null; config?: string } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), "pc-console-"));
  const lan = await udp(), wan = await udp();
  let live: LiveAppliance | null = null;
  let web: ConsoleServer | null = null;
  const cleanup = async () => {
    await web?.close();
    await live?.stop("test done");
    await new Promise<void>((r) => lan.sock.close(() => r()));
    await new Promise<void>((r) => wan.sock.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const config = join(dir, "exceptions.txt");
    writeFileSync(config, opts.config ?? CONFIG);
    const listenL = nextPort++, listenW = nextPort++;
    live = await LiveAppliance.start({
      keepPolicy: true, // as `run --http` does: the packet tester cross-checks with the reference matcher
      configs: [config], load: {}, socketPath: null, watchMs: 0, unreachableRate: 0,
      ports: [parsePortSpec(`lan=127.0.0.1:${listenL}/127.0.0.1:${lan.port}`), parsePortSpec(`wan=127.0.0.1:${listenW}/127.0.0.1:${wan.port}`)],
    });
    web = await ConsoleServer.start(live, { host: "127.0.0.1", port: 0, token: opts.token ?? null });
    const base = `http://127.0.0.1:${web.address.port}`;
    const l = live, w = web;
    return {
      dir, live: l, web: w, base,
      async synFromWan(dport: number, sport = 40000) {
        const frame = tcpPacket({ src: "10.0.0.2", dst: "192.168.0.10", sport, dport, flags: "S", macSrc: MAC_W, macDst: MAC_L });
        await new Promise<void>((r) => wan.sock.send(frame, listenW, "127.0.0.1", () => r()));
      },
      lanGot: () => lan.got,
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
