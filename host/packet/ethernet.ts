// The one Ethernet/VLAN walker of the TypeScript side: the bridge, the
// reference parser, the FTP helper's batch cutter, the ICMP unreachable
// builder and the packet builder all find a frame's layer-3 header here.
// assembly/parse.ts (ethernetL3) is its AssemblyScript twin: WebAssembly
// cannot import host code, so test/ethernet-walkers.test.ts runs both on one
// table of frames and requires the same answer.
//
// The rule (README, "Packet parsing"): an Ethernet II frame carries IP when
// its EtherType is IPv4 (0x0800) or IPv6 (0x86dd), either directly (bytes
// 12-13) or behind exactly one 802.1Q tag (0x8100, bytes 12-15). Nothing
// else is unwrapped: an 802.1ad service tag (0x88a8), a second 802.1Q tag
// (QinQ) or any deeper stack leaves a tag's EtherType as the frame's, so the
// frame is not IP anywhere -- the parser refuses it (not-ip) and the bridge
// drops it -- rather than IP to one part of the appliance and not to another.
// A frame shorter than its header, or than its one tag, is truncated.

export const ETHERTYPE_8021Q = 0x8100;

export type EthernetWalk =
  | { truncated: true }
  | {
      truncated: false;
      ethertype: number; // after the one 802.1Q tag, if there is one
      l3: number; // offset of the layer-3 header (14, or 18 behind a tag)
      vlan: number | null; // the 802.1Q tag's VLAN id (12 bits), if any
      tci: number | null; // the whole tag control information (priority, DEI, VLAN id)
    };

export function walkEthernet(frame: Uint8Array): EthernetWalk {
  if (frame.length < 14) return { truncated: true };
  const et = (frame[12] << 8) | frame[13];
  if (et !== ETHERTYPE_8021Q) return { truncated: false, ethertype: et, l3: 14, vlan: null, tci: null };
  if (frame.length < 18) return { truncated: true };
  const tci = (frame[14] << 8) | frame[15];
  return { truncated: false, ethertype: (frame[16] << 8) | frame[17], l3: 18, vlan: tci & 0x0fff, tci };
}

/** The IP version a frame carries under the rule above: 4, 6, or 0 (not IP, or truncated). */
export function ipVersionOf(w: EthernetWalk): 0 | 4 | 6 {
  if (w.truncated) return 0;
  return w.ethertype === 0x0800 ? 4 : w.ethertype === 0x86dd ? 6 : 0;
}
