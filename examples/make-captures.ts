// Writes the bundled example captures (run: node --import tsx examples/make-captures.ts).
// examples/portmaster/office.pcap: a small office's traffic through the
// PortMaster filters of office.cfg: web, DNS and ping from the LAN with their
// replies, inbound mail, blocked telnet and POP3 probes, a PC trying to send
// mail directly, NetBIOS leaking out, a fragmented DNS reply,
// an IPv6 ping, and two malformed packets.
import { writeCaptureFile } from "../host/pcap/pcap.ts";
import { tcpPacket, udpPacket, icmpPacket, fragmentIpv4 } from "../host/packet/build.ts";

const LAN_MAC = "02:00:00:00:01:01";
const WAN_MAC = "02:00:00:00:02:01";
const out = (o: { src: string; dst: string }) => ({ ...o, macSrc: LAN_MAC, macDst: WAN_MAC });
const inn = (o: { src: string; dst: string }) => ({ ...o, macSrc: WAN_MAC, macDst: LAN_MAC });

export function officePackets(): { tsNs: bigint; data: Uint8Array }[] {
  const t0 = BigInt(Date.UTC(2026, 10, 23, 8, 30, 0)) * 1000000n;
  const frames: Uint8Array[] = [];
  const pc = "192.168.1.10", mail = "192.168.1.25", web = "198.51.100.80", dns = "198.51.100.53";
  // A web connection: handshake, request, response, close.
  frames.push(tcpPacket({ ...out({ src: pc, dst: web }), sport: 40001, dport: 80, flags: "S", seq: 1000 }));
  frames.push(tcpPacket({ ...inn({ src: web, dst: pc }), sport: 80, dport: 40001, flags: "SA", seq: 5000, ack: 1001 }));
  frames.push(tcpPacket({ ...out({ src: pc, dst: web }), sport: 40001, dport: 80, flags: "A", seq: 1001, ack: 5001 }));
  frames.push(tcpPacket({ ...out({ src: pc, dst: web }), sport: 40001, dport: 80, flags: "PA", seq: 1001, ack: 5001, payload: new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n") }));
  frames.push(tcpPacket({ ...inn({ src: web, dst: pc }), sport: 80, dport: 40001, flags: "PA", seq: 5001, ack: 1019, payload: new TextEncoder().encode("HTTP/1.0 200 OK\r\n\r\nhello") }));
  frames.push(tcpPacket({ ...out({ src: pc, dst: web }), sport: 40001, dport: 80, flags: "FA", seq: 1019, ack: 5025 }));
  // DNS query and reply; ping and its reply.
  frames.push(udpPacket({ ...out({ src: pc, dst: dns }), sport: 5353, dport: 53, payload: new Uint8Array(30) }));
  frames.push(udpPacket({ ...inn({ src: dns, dst: pc }), sport: 53, dport: 5353, payload: new Uint8Array(60) }));
  frames.push(icmpPacket({ ...out({ src: pc, dst: web }), type: 8, code: 0, id: 7, seq: 1 }));
  frames.push(icmpPacket({ ...inn({ src: web, dst: pc }), type: 0, code: 0, id: 7, seq: 1 }));
  // Inbound mail to the mail server; a telnet probe to a PC (denied, logged, unreachable).
  frames.push(tcpPacket({ ...inn({ src: "198.51.100.7", dst: mail }), sport: 41000, dport: 25, flags: "S" }));
  frames.push(tcpPacket({ ...inn({ src: "198.51.100.66", dst: pc }), sport: 41001, dport: 23, flags: "S" }));
  // The mail server sends mail out; a PC tries to (denied, logged, its user notified).
  frames.push(tcpPacket({ ...out({ src: mail, dst: "198.51.100.25" }), sport: 42000, dport: 25, flags: "S" }));
  frames.push(tcpPacket({ ...out({ src: pc, dst: "198.51.100.25" }), sport: 42001, dport: 25, flags: "S" }));
  // NetBIOS name service leaking out; a probe of the mail server's POP3 port.
  frames.push(udpPacket({ ...out({ src: pc, dst: "198.51.100.255" }), sport: 137, dport: 137, payload: new Uint8Array(50) }));
  frames.push(tcpPacket({ ...inn({ src: "198.51.100.66", dst: mail }), sport: 43000, dport: 110, flags: "S" }));
  // A large DNS reply in two fragments: the first has the ports, the second only addresses.
  frames.push(...fragmentIpv4(udpPacket({ ...inn({ src: dns, dst: pc }), sport: 53, dport: 5353, payload: new Uint8Array(1800) }), 1480));
  // An IPv6 ping from the Internet: PortMaster filters are IPv4 only, so the
  // non-empty inbound filter denies it by its default.
  frames.push(icmpPacket({ ...inn({ src: "2001:db8:2::80", dst: "2001:db8:1::10" }), type: 128, code: 0, id: 9, seq: 1 }));
  // Malformed: a truncated TCP segment, and an inbound tiny first fragment (RFC 1858).
  frames.push(tcpPacket({ ...inn({ src: web, dst: pc }), sport: 80, dport: 40001, flags: "A" }).slice(0, 14 + 20 + 10));
  const tiny = fragmentIpv4(tcpPacket({ ...inn({ src: "198.51.100.66", dst: pc }), sport: 41002, dport: 23, flags: "S", payload: new Uint8Array(40) }), 8);
  frames.push(tiny[0]);
  return frames.map((data, i) => ({ tsNs: t0 + BigInt(i) * 250_000_000n, data }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeCaptureFile(new URL("./portmaster/office.pcap", import.meta.url).pathname, officePackets());
  console.log("wrote examples/portmaster/office.pcap");
}
