// For tests that ask the Linux kernel: can we (root, nft, ip, python3)? In CI
// (CI=true) a test that needs the kernel and cannot have it fails loudly
// instead of skipping. Also a frame builder for arbitrary headers (any
// protocol, fragments) with a valid IPv4 header checksum, as routers check it.
import { execFileSync } from "node:child_process";
import type { PacketHeader } from "../../host/engine/header.ts";
import { internetChecksum } from "../../host/packet/build.ts";

function has(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const kernelWhyNot: string | null =
  process.platform !== "linux" ? "not Linux"
    : process.getuid?.() !== 0 ? "not root"
      : !has("nft") ? "no nft (Debian package nftables)"
        : !has("ip") ? "no ip (iproute2)"
          : !has("python3") ? "no python3" : null;

if (kernelWhyNot && process.env.CI === "true") {
  throw new Error(`the kernel-as-oracle tests need root, nft, ip and python3 in CI: ${kernelWhyNot}`);
}

/** Skip (outside CI) when the kernel cannot be asked. */
export const noKernel = kernelWhyNot !== null;

const ETH_HEAD = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];

/** One frame for a header: Ethernet, IPv4 or IPv6 (with a fragment header when fragmented), then a transport header. */
export function frameFor(h: PacketHeader, opts: { ttl?: number; seq?: number } = {}): Uint8Array {
  const later = h.frag === "later";
  const l4 = later ? new Uint8Array(16).fill(0xa5) : transport(h, opts.seq ?? 0);
  const fragOffset = later ? 3 : 0; // in 8-byte units; never 1 (RFC 1858 overlap, refused)
  const more = h.frag === "first" || (later && (h.length & 1) === 1);
  let ip: Uint8Array;
  if (h.family === 4) {
    ip = new Uint8Array(20 + l4.length);
    const dv = new DataView(ip.buffer);
    dv.setUint8(0, 0x45);
    dv.setUint16(2, ip.length);
    dv.setUint16(4, 0x1234);
    dv.setUint16(6, (more ? 0x2000 : 0) | fragOffset);
    dv.setUint8(8, opts.ttl ?? 64);
    dv.setUint8(9, h.proto);
    dv.setUint32(12, h.src[0] >>> 0);
    dv.setUint32(16, h.dst[0] >>> 0);
    dv.setUint16(10, internetChecksum(ip.subarray(0, 20)));
    ip.set(l4, 20);
  } else {
    const frag = h.frag !== "none";
    ip = new Uint8Array(40 + (frag ? 8 : 0) + l4.length);
    const dv = new DataView(ip.buffer);
    dv.setUint32(0, 0x60000000);
    dv.setUint16(4, ip.length - 40);
    dv.setUint8(6, frag ? 44 : h.proto);
    dv.setUint8(7, opts.ttl ?? 64);
    h.src.forEach((w, i) => dv.setUint32(8 + 4 * i, w >>> 0));
    h.dst.forEach((w, i) => dv.setUint32(24 + 4 * i, w >>> 0));
    if (frag) {
      dv.setUint8(40, h.proto);
      dv.setUint16(42, (fragOffset << 3) | (more ? 1 : 0));
      dv.setUint32(44, 0xabcd);
    }
    ip.set(l4, 40 + (frag ? 8 : 0));
  }
  const f = new Uint8Array(14 + ip.length);
  f.set(ETH_HEAD, 0);
  f[12] = h.family === 4 ? 0x08 : 0x86;
  f[13] = h.family === 4 ? 0x00 : 0xdd;
  f.set(ip, 14);
  return f;
}

function transport(h: PacketHeader, seq: number): Uint8Array {
  const b = new Uint8Array(h.proto === 6 ? 20 : h.proto === 132 ? 12 : 8);
  const dv = new DataView(b.buffer);
  if (h.proto === 1 || h.proto === 58) {
    dv.setUint8(0, h.icmpType ?? 8);
    dv.setUint8(1, h.icmpCode ?? 0);
    dv.setUint32(4, seq >>> 0);
    return b;
  }
  dv.setUint16(0, h.sport ?? 1024);
  dv.setUint16(2, h.dport ?? 80);
  dv.setUint32(4, seq >>> 0);
  if (h.proto === 6) {
    dv.setUint8(12, 0x50);
    dv.setUint8(13, h.tcpFlags ?? 0x02);
    dv.setUint16(14, 8192);
  }
  return b;
}
