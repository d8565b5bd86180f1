// The appliance's ports: one UDP socket each, one Ethernet frame per datagram
// (the framing of a socat TAP relay and of QEMU's dgram netdev). Frames are
// accepted only from the configured peer, so nothing else on the host can
// inject traffic behind the firewall's back.
import dgram from "node:dgram";
import { isIP } from "node:net";
import { parseHostPort } from "../model/appliance.ts";

export interface PortSpec {
  name: string;
  listen: { host: string; port: number };
  peer: { host: string; port: number };
}

export class PortSpecError extends Error {}

/** `NAME=LISTEN_HOST:PORT/PEER_HOST:PORT` (IPv6 hosts in brackets). */
export function parsePortSpec(text: string): PortSpec {
  const m = /^([A-Za-z0-9_.-]{1,15})=([^/]+)\/(.+)$/.exec(text);
  if (!m) throw new PortSpecError(`--port wants NAME=LISTEN_HOST:PORT/PEER_HOST:PORT, got "${text}"`);
  const endpoint = (s: string, what: string) => {
    const hp = /:\d+$/.test(s) ? parseHostPort(s, 0) : null;
    if (!hp || hp.port === 0 || !isIP(hp.host)) throw new PortSpecError(`--port ${m[1]}: ${what} "${s}" must be IP:PORT (a literal address, port 1..65535)`);
    return hp;
  };
  return { name: m[1], listen: endpoint(m[2], "listen address"), peer: endpoint(m[3], "peer address") };
}

export interface PortCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  txErrors: number;
  rxForeign: number; // datagrams from someone other than the peer, dropped
}

/**
 * dgram resolves a send's address through dns.lookup, which answers even an
 * address literal on the next tick: a deferred call, a closure and a regular
 * expression per frame. A port's peer is always a literal (parsePortSpec), so
 * its answer is known once and given at once.
 */
type LookupCallback = (err: Error | null, address: string, family: number) => void;
function literalLookup(peer: string): (host: string, opts: unknown, cb: LookupCallback) => void {
  const peerFamily = isIP(peer);
  return (host, _opts, cb) => {
    if (host === peer) return cb(null, peer, peerFamily);
    const family = isIP(host);
    if (family) cb(null, host, family);
    else cb(Object.assign(new Error(`not an address literal: ${host}`), { code: "EINVAL" }), host, 0);
  };
}

export class UdpPort {
  readonly counters: PortCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, txErrors: 0, rxForeign: 0 };
  private socket: dgram.Socket;
  private closed = false;

  private constructor(readonly index: number, readonly spec: PortSpec, socket: dgram.Socket) {
    this.socket = socket;
  }

  /** Bind the port; `onFrame` gets every datagram from the peer. */
  static open(index: number, spec: PortSpec, onFrame: (port: number, data: Uint8Array) => void): Promise<UdpPort> {
    const socket = dgram.createSocket({
      type: isIP(spec.listen.host) === 6 ? "udp6" : "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: literalLookup(spec.peer.host),
    });
    const port = new UdpPort(index, spec, socket);
    const peerHost = spec.peer.host;
    socket.on("message", (msg, rinfo) => {
      if (rinfo.port !== spec.peer.port || rinfo.address !== peerHost) {
        port.counters.rxForeign++;
        return;
      }
      port.counters.rxPackets++;
      port.counters.rxBytes += msg.length;
      onFrame(index, msg); // a Buffer is a Uint8Array: no view made per frame
    });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(spec.listen.port, spec.listen.host, () => {
        socket.off("error", reject);
        // A send error (peer not there yet: ICMP port unreachable on loopback) is counted, never fatal.
        socket.on("error", () => port.counters.txErrors++);
        resolve(port);
      });
    });
  }

  send(data: Uint8Array): void {
    if (this.closed) return;
    this.counters.txPackets++;
    this.counters.txBytes += data.length;
    this.socket.send(data, this.spec.peer.port, this.spec.peer.host, this.afterSend);
  }

  /** One callback for every send of this port (no closure per frame). */
  private afterSend = (err: Error | null) => {
    if (err) this.counters.txErrors++;
  };

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
