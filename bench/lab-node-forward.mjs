// The ceiling of a Node.js bridge: a plain UDP forwarder with no firewall at
// all, on the same sockets as the appliance's ports (host/runtime/ports.ts:
// node:dgram, 4 MiB buffers, one Ethernet frame per datagram, frames only
// from the configured peer), each datagram sent on to the other port's peer
// as it arrives. bench/lab-forwarding.sh and bench/lab-throughput.sh run it
// in the lab in place of `portcullis run`, so the appliance's figures can be
// read against what Node itself allows on the same machine.
//   node bench/lab-node-forward.mjs LISTEN_HOST:PORT/PEER_HOST:PORT LISTEN_HOST:PORT/PEER_HOST:PORT
// Prints "ready" when both ports are bound, and "frames=N" when it ends (SIGTERM).
// Plain JavaScript, so it runs without tsx, as the compiled appliance does.
import dgram from "node:dgram";

const specs = process.argv.slice(2).map((s) => {
  const m = /^([\d.]+):(\d+)\/([\d.]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`want LISTEN_HOST:PORT/PEER_HOST:PORT, got "${s}"`);
  return { host: m[1], port: Number(m[2]), peerHost: m[3], peerPort: Number(m[4]) };
});
if (specs.length !== 2) {
  console.error("usage: lab-node-forward.mjs LISTEN/PEER LISTEN/PEER");
  process.exit(2);
}

let frames = 0;
const sockets = specs.map(() => dgram.createSocket({ type: "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 }));
specs.forEach((spec, k) => {
  const out = sockets[1 - k], to = specs[1 - k];
  sockets[k].on("message", (msg, rinfo) => {
    if (rinfo.port !== spec.peerPort || rinfo.address !== spec.peerHost) return;
    frames++;
    out.send(msg, to.peerPort, to.peerHost);
  });
  sockets[k].on("error", () => {}); // the peer not there yet (ICMP port unreachable): ignored, as the appliance counts it
});
await Promise.all(sockets.map((s, k) => new Promise((resolve) => s.bind(specs[k].port, specs[k].host, resolve))));
console.log("ready");
process.on("SIGTERM", () => {
  console.log(`frames=${frames}`);
  for (const s of sockets) s.close();
});
