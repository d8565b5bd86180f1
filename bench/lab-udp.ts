// UDP packets-per-second probe for bench/lab-throughput.sh:
//   recv HOST PORT SECONDS      count datagrams for SECONDS after the first, print "received=N seconds=S pps=P"
//   send SRC HOST PORT SECONDS  send 64-byte datagrams as fast as the socket takes them, print "sent=N"
// Paced in bursts so the sender measures the path, not its own send queue.
import dgram from "node:dgram";

const [mode, ...a] = process.argv.slice(2);
if (mode === "recv") {
  const [host, port, secs] = [a[0], Number(a[1]), Number(a[2])];
  const s = dgram.createSocket({ type: "udp4", recvBufferSize: 8 << 20 });
  let n = 0, first = 0, last = 0;
  s.on("message", () => {
    const now = performance.now();
    if (n === 0) {
      first = now;
      setTimeout(() => {
        console.log(`received=${n} seconds=${((last - first) / 1000).toFixed(3)} pps=${Math.round(n / ((last - first) / 1000))}`);
        s.close();
      }, secs * 1000 + 500);
    }
    if (now - first <= secs * 1000) { n++; last = now; }
  });
  s.bind(port, host, () => console.error("listening"));
  setTimeout(() => { if (n === 0) { console.log("received=0 seconds=0 pps=0"); process.exit(1); } }, (secs + 20) * 1000);
} else if (mode === "send") {
  const [src, host, port, secs] = [a[0], a[1], Number(a[2]), Number(a[3])];
  const s = dgram.createSocket({ type: "udp4", sendBufferSize: 1 << 20 });
  const payload = Buffer.alloc(64, 0x5a);
  let sent = 0;
  const end = performance.now() + secs * 1000;
  s.bind(0, src, () => {
    const burst = () => {
      if (performance.now() > end) { console.log(`sent=${sent}`); s.close(); return; }
      let pending = 64;
      for (let i = 0; i < 64; i++) s.send(payload, port, host, () => { sent++; if (--pending === 0) setImmediate(burst); });
    };
    burst();
  });
} else {
  console.error("usage: lab-udp.ts recv HOST PORT SECONDS | send SRC HOST PORT SECONDS");
  process.exit(2);
}
