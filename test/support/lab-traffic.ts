// A capture for the lab's configurations (built-in appliance: lan
// 192.168.0.0/24 private, wan public): whole TCP conversations with correct
// sequence numbers (so the kernel's connection tracking follows them), in
// both directions and on the ports the lab's rules name, DNS, pings both
// ways, and an FTP session whose passive-mode data connection needs the FTP
// helper. Stateful and stateless configurations alike see every case.
import { tcpPacket, udpPacket, icmpPacket } from "../../host/packet/build.ts";

const enc = (s: string) => new Uint8Array(Buffer.from(s));

function conversation(c: string, s: string, sport: number, dport: number, serverSays = "220 hello\r\n"): Uint8Array[] {
  const a = { src: c, dst: s }, b = { src: s, dst: c };
  const ci = 1000, si = 5000;
  const hello = enc(serverSays), req = enc("HELO x\r\n");
  return [
    tcpPacket({ ...a, sport, dport, flags: "S", seq: ci }),
    tcpPacket({ ...b, sport: dport, dport: sport, flags: "SA", seq: si, ack: ci + 1 }),
    tcpPacket({ ...a, sport, dport, flags: "A", seq: ci + 1, ack: si + 1 }),
    tcpPacket({ ...b, sport: dport, dport: sport, flags: "PA", seq: si + 1, ack: ci + 1, payload: hello }),
    tcpPacket({ ...a, sport, dport, flags: "PA", seq: ci + 1, ack: si + 1 + hello.length, payload: req }),
    tcpPacket({ ...b, sport: dport, dport: sport, flags: "A", seq: si + 1 + hello.length, ack: ci + 1 + req.length }),
    tcpPacket({ ...a, sport, dport, flags: "FA", seq: ci + 1 + req.length, ack: si + 1 + hello.length }),
    tcpPacket({ ...b, sport: dport, dport: sport, flags: "FA", seq: si + 1 + hello.length, ack: ci + 2 + req.length }),
    tcpPacket({ ...a, sport, dport, flags: "A", seq: ci + 2 + req.length, ack: si + 2 + hello.length }),
  ];
}

/**
 * An FTP session, client on the WAN: banner, PASV, the server's 227 with a
 * data port, the data connection, then the control connection closes. (The
 * kernel's helper, like a real server's client, reads a reply only after a
 * line it has seen end: the banner comes first.)
 */
function ftpSession(c: string, s: string): Uint8Array[] {
  const a = { src: c, dst: s }, b = { src: s, dst: c };
  const sport = 40021, dport = 21;
  const banner = enc("220 ready\r\n"), pasv = enc("PASV\r\n");
  const reply = enc("227 Entering Passive Mode (" + s.replace(/\./g, ",") + ",19,137)\r\n");
  let cs = 1001, ss = 5001;
  const out = [
    tcpPacket({ ...a, sport, dport, flags: "S", seq: 1000 }),
    tcpPacket({ ...b, sport: dport, dport: sport, flags: "SA", seq: 5000, ack: cs }),
    tcpPacket({ ...a, sport, dport, flags: "A", seq: cs, ack: ss }),
    tcpPacket({ ...b, sport: dport, dport: sport, flags: "PA", seq: ss, ack: cs, payload: banner }),
  ];
  ss += banner.length;
  out.push(tcpPacket({ ...a, sport, dport, flags: "PA", seq: cs, ack: ss, payload: pasv }));
  cs += pasv.length;
  out.push(tcpPacket({ ...b, sport: dport, dport: sport, flags: "PA", seq: ss, ack: cs, payload: reply }));
  ss += reply.length;
  out.push(tcpPacket({ ...a, sport, dport, flags: "A", seq: cs, ack: ss }));
  out.push(...conversation(c, s, 40022, 19 * 256 + 137));
  out.push(
    tcpPacket({ ...a, sport, dport, flags: "FA", seq: cs, ack: ss }),
    tcpPacket({ ...b, sport: dport, dport: sport, flags: "FA", seq: ss, ack: cs + 1 }),
    tcpPacket({ ...a, sport, dport, flags: "A", seq: cs + 1, ack: ss + 1 }),
  );
  return out;
}

export function labTraffic(): { tsNs: bigint; data: Uint8Array }[] {
  const lan = ["192.168.0.10", "192.168.0.25", "192.168.0.101"];
  const wan = "198.51.100.7";
  const frames: Uint8Array[] = [];
  let port = 41000;
  for (const h of lan) {
    for (const d of [25, 110, 80, 23, 5001, 5002]) frames.push(...conversation(h, wan, port++, d));
    frames.push(udpPacket({ src: h, dst: "198.51.100.53", sport: port, dport: 53, payload: enc("q") }));
    frames.push(udpPacket({ src: "198.51.100.53", dst: h, sport: 53, dport: port++, payload: enc("a") }));
    frames.push(icmpPacket({ src: h, dst: wan, type: 8, code: 0, id: port, seq: 1 }));
    frames.push(icmpPacket({ src: wan, dst: h, type: 0, code: 0, id: port++, seq: 1 }));
  }
  for (const [h, d] of [["192.168.0.25", 25], ["192.168.0.10", 80], ["192.168.0.10", 445]] as const) {
    frames.push(...conversation(wan, h, port++, d));
  }
  frames.push(udpPacket({ src: wan, dst: "192.168.0.10", sport: 4444, dport: 4444, payload: enc("unsolicited") }));
  frames.push(icmpPacket({ src: wan, dst: "192.168.0.10", type: 8, code: 0, id: 7, seq: 1 }));
  frames.push(...ftpSession(wan, "192.168.0.10"));
  const t0 = BigInt(Date.UTC(2026, 10, 23, 9, 0, 0)) * 1_000_000n;
  return frames.map((data, i) => ({ tsNs: t0 + BigInt(i) * 10_000_000n, data }));
}
