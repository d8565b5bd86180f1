// Generates the FTP captures the conntrack replay tests run: a passive
// session (PASV/227 split across two segments, then EPSV/229), an active one
// (PORT split across two segments, then EPRT), and a passive session with
// misuse (unannounced port and address, a second connection on a single-use
// pinhole, a third-party 227, a connection after the timeout).
//
//     npx tsx test/captures/make-ftp.ts     # rewrites test/captures/ftp-*.pcap
//
// Every packet carries a label; the tests read the labels from here and check
// that the committed .pcap files are byte-for-byte what this produces.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tcpPacket } from "../../host/packet/build.ts";
import { PcapWriter, LINKTYPE_ETHERNET } from "../../host/pcap/pcap.ts";

export const CLIENT = "192.168.0.10"; // on the lan (private) side of the built-in appliance
export const SERVER = "10.0.0.20"; // on the wan (public) side
const START = 1_700_000_000n * 1_000_000_000n;
const STEP = 10_000_000n; // 10 ms between packets

export interface Labelled {
  tsNs: bigint;
  data: Uint8Array;
  label: string; // "ctl", or the data connection's name
}

class Capture {
  readonly packets: Labelled[] = [];
  t = START;
  add(label: string, data: Uint8Array, gapNs = STEP): void {
    this.t += gapNs;
    this.packets.push({ tsNs: this.t, data, label });
  }
}

// One TCP connection between a and b (a opens it), with real sequence numbers.
class Tcp {
  private aSeq: number;
  private bSeq: number;
  constructor(private cap: Capture, readonly label: string, private a: string, private ap: number, private b: string, private bp: number, isn = 1000) {
    this.aSeq = isn;
    this.bSeq = isn * 7 + 13;
  }
  private seg(fromA: boolean, flags: string, payload = "", gap?: bigint): void {
    const bytes = new TextEncoder().encode(payload);
    const [src, sport, dst, dport] = fromA ? [this.a, this.ap, this.b, this.bp] : [this.b, this.bp, this.a, this.ap];
    const seq = fromA ? this.aSeq : this.bSeq;
    const ack = flags.includes("A") ? (fromA ? this.bSeq : this.aSeq) : 0;
    this.cap.add(this.label, tcpPacket({ src, dst, sport, dport, flags, seq, ack, payload: bytes.length ? bytes : undefined }), gap);
    const used = bytes.length + (flags.includes("S") ? 1 : 0) + (flags.includes("F") ? 1 : 0);
    if (fromA) this.aSeq = (this.aSeq + used) >>> 0;
    else this.bSeq = (this.bSeq + used) >>> 0;
  }
  open(gap?: bigint): this {
    this.seg(true, "S", "", gap);
    this.seg(false, "SA");
    this.seg(true, "A");
    return this;
  }
  /** Only the opening SYN (for connections the firewall should drop). */
  synOnly(gap?: bigint): void {
    this.seg(true, "S", "", gap);
  }
  a2b(text: string): this {
    this.seg(true, "PA", text);
    this.seg(false, "A");
    return this;
  }
  b2a(text: string): this {
    this.seg(false, "PA", text);
    this.seg(true, "A");
    return this;
  }
  close(): void {
    this.seg(true, "FA");
    this.seg(false, "FA");
    this.seg(true, "A");
  }
}

function login(ctl: Tcp): void {
  ctl.open();
  ctl.b2a("220 Portcullis test FTP server\r\n");
  ctl.a2b("USER anonymous\r\n");
  ctl.b2a("331 Guest login ok, send your e-mail address as password\r\n");
  ctl.a2b("PASS guest@example.org\r\n");
  ctl.b2a("230 Guest login ok\r\n");
}

export function passive(): Labelled[] {
  const cap = new Capture();
  const ctl = new Tcp(cap, "ctl", CLIENT, 40000, SERVER, 21);
  login(ctl);
  ctl.a2b("PASV\r\n");
  // 195 * 256 + 80 = 50000, the reply split in the middle of a word.
  ctl.b2a("227 Entering Pass");
  ctl.b2a("ive Mode (10,0,0,20,195,80).\r\n");
  ctl.a2b("RETR readme.txt\r\n");
  const d1 = new Tcp(cap, "data1", CLIENT, 40001, SERVER, 50000, 3000).open();
  ctl.b2a("150 Opening BINARY mode data connection\r\n");
  d1.b2a("hello from the data connection\n");
  d1.close();
  ctl.b2a("226 Transfer complete\r\n");
  ctl.a2b("EPSV\r\n");
  ctl.b2a("229 Entering Extended Passive Mode (|||50001|)\r\n");
  ctl.a2b("LIST\r\n");
  const d2 = new Tcp(cap, "data2", CLIENT, 40002, SERVER, 50001, 4000).open();
  d2.b2a("-rw-r--r-- 1 ftp ftp 31 readme.txt\r\n");
  d2.close();
  ctl.b2a("226 Transfer complete\r\n");
  ctl.a2b("QUIT\r\n");
  ctl.b2a("221 Goodbye\r\n");
  ctl.close();
  return cap.packets;
}

export function active(): Labelled[] {
  const cap = new Capture();
  const ctl = new Tcp(cap, "ctl", CLIENT, 40000, SERVER, 21);
  login(ctl);
  // 175 * 256 + 200 = 45000; the command split inside the numbers.
  ctl.a2b("PORT 192,168,0,10,1");
  ctl.a2b("75,200\r\n");
  ctl.b2a("200 PORT command successful\r\n");
  ctl.a2b("RETR readme.txt\r\n");
  const d1 = new Tcp(cap, "data1", SERVER, 20, CLIENT, 45000, 5000).open();
  d1.a2b("hello from the active data connection\n");
  d1.close();
  ctl.b2a("226 Transfer complete\r\n");
  ctl.a2b("EPRT |1|192.168.0.10|45001|\r\n");
  ctl.b2a("200 EPRT command successful\r\n");
  ctl.a2b("LIST\r\n");
  const d2 = new Tcp(cap, "data2", SERVER, 20, CLIENT, 45001, 6000).open();
  d2.a2b("-rw-r--r-- 1 ftp ftp 31 readme.txt\r\n");
  d2.close();
  ctl.b2a("226 Transfer complete\r\n");
  ctl.a2b("QUIT\r\n");
  ctl.b2a("221 Goodbye\r\n");
  ctl.close();
  return cap.packets;
}

/** Labels: "wrong-port", "wrong-addr", "second", "third-party", "late" must all be dropped; "data" passes. */
export function passiveMisuse(): Labelled[] {
  const cap = new Capture();
  const ctl = new Tcp(cap, "ctl", CLIENT, 40000, SERVER, 21);
  login(ctl);
  ctl.a2b("PASV\r\n");
  ctl.b2a("227 Entering Passive Mode (10,0,0,20,195,80)\r\n");
  new Tcp(cap, "wrong-port", CLIENT, 40010, SERVER, 50001).synOnly();
  new Tcp(cap, "wrong-addr", CLIENT, 40011, "10.0.0.21", 50000).synOnly();
  const d = new Tcp(cap, "data", CLIENT, 40012, SERVER, 50000, 7000).open();
  d.b2a("data\n");
  d.close();
  new Tcp(cap, "second", CLIENT, 40013, SERVER, 50000).synOnly();
  ctl.a2b("PASV\r\n");
  ctl.b2a("227 Entering Passive Mode (10,0,0,99,195,82)\r\n"); // not the server's own address
  new Tcp(cap, "third-party", CLIENT, 40014, "10.0.0.99", 50002).synOnly();
  ctl.a2b("PASV\r\n");
  ctl.b2a("227 Entering Passive Mode (10,0,0,20,195,83)\r\n");
  new Tcp(cap, "late", CLIENT, 40015, SERVER, 50003).synOnly(61_000_000_000n);
  ctl.a2b("QUIT\r\n");
  ctl.b2a("221 Goodbye\r\n");
  ctl.close();
  return cap.packets;
}

export const CAPTURES: Record<string, () => Labelled[]> = {
  "ftp-passive.pcap": passive,
  "ftp-active.pcap": active,
  "ftp-passive-misuse.pcap": passiveMisuse,
};

export function pcapBytes(packets: Labelled[]): Uint8Array {
  const w = new PcapWriter(LINKTYPE_ETHERNET, { nanos: true });
  for (const p of packets) w.add(p.tsNs, p.data);
  return w.toBuffer();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  for (const [name, make] of Object.entries(CAPTURES)) {
    const packets = make();
    writeFileSync(join(dir, name), pcapBytes(packets));
    console.log(`${name}: ${packets.length} packets`);
  }
}
