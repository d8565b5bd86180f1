// Every flag, mask bit and address form of the Windows CE rules, and the
// device's evaluation: ALLOW over BLOCK, per-direction defaults, local
// traffic, several interfaces per role.
import { describe, it, expect } from "vitest";
import { load, loadOk, classify, verdict, key, appliance, BUILTIN, HOST2, ANY4, ANY6 } from "./wince-helpers.ts";

const OUT = (spec: string) => `${spec} in=lan out=wan`;
const IN = (spec: string) => `${spec} in=wan out=lan`;

describe("flags", () => {
  it("FWF_BLOCK | FWF_OUTBOUND blocks outbound only", async () => {
    const p = loadOk(key("B", { Flags: "dword:11", Mask: "dword:1", PrivateHost: HOST2 }));
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.101:1025 > 198.51.100.1:80"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.102:1025 > 198.51.100.1:80"))).toBe("permit");
  });

  it("FWF_ALLOW | FWF_INBOUND opens an inbound port to one private host", async () => {
    const p = loadOk(key("Web", { Flags: "dword:0a", Mask: "dword:25", PrivateHost: HOST2, Protocol: "dword:6", Port: "dword:50" }));
    const o = await classify(p, BUILTIN, IN("tcp 198.51.100.1:40000 > 192.168.0.101:80"));
    expect(o).toMatchObject({ verdict: "permit", rule: "Web" });
    expect(await verdict(p, BUILTIN, IN("tcp 198.51.100.1:40000 > 192.168.0.102:80"))).toBe("deny");
    expect(await verdict(p, BUILTIN, IN("tcp 198.51.100.1:40000 > 192.168.0.101:81"))).toBe("deny");
  });

  it("an inbound rule does not apply to outbound packets, nor an outbound rule to inbound ones", async () => {
    const p = loadOk(
      key("BlockIn", { Flags: "dword:09", Mask: "dword:0", PrivateHost: ANY4 }) +
      key("AllowOutFromWeb", { Flags: "dword:12", Mask: "dword:4", PrivateHost: ANY4, Port: "dword:50" }) +
      key("BlockOut", { Flags: "dword:11", Mask: "dword:4", PrivateHost: ANY4, Port: "dword:17" }),
    );
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.9:1025 > 198.51.100.1:80"))).toBe("permit");
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.9:1025 > 198.51.100.1:23"))).toBe("deny");
    // BlockOut (port 23) is outbound: an inbound packet to port 23 meets only the inbound default.
    expect((await classify(p, BUILTIN, IN("tcp 198.51.100.1:1025 > 192.168.0.9:23"))).rule).toBe("BlockIn");
    // AllowOutFromWeb (port 80) is outbound: it opens nothing inbound.
    expect(await verdict(p, BUILTIN, IN("tcp 198.51.100.1:1025 > 192.168.0.9:80"))).toBe("deny");
  });

  it("FWF_LOG marks matching packets for logging and decides nothing", async () => {
    const p = loadOk(
      key("LogSmtp", { Flags: "dword:14", Mask: "dword:24", PrivateHost: ANY4, Protocol: "dword:6", Port: "dword:19" }) +
      key("B", { Flags: "dword:11", Mask: "dword:1", PrivateHost: HOST2 }),
    );
    expect(await classify(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.1:25"))).toEqual({ verdict: "permit", rule: null, logged: true });
    expect(await classify(p, BUILTIN, OUT("tcp 192.168.0.101:1025 > 198.51.100.1:25"))).toEqual({ verdict: "deny", rule: "B", logged: true });
    expect((await classify(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.1:26"))).logged).toBe(false);
    // An outbound LOG rule does not log inbound packets.
    expect((await classify(p, BUILTIN, IN("tcp 198.51.100.1:1025 > 192.168.0.5:25"))).logged).toBe(false);
  });

  it("FWF_DISABLED rules have no effect, whatever their action", async () => {
    const p = loadOk(
      key("B", { Flags: "dword:31", Mask: "dword:1", PrivateHost: HOST2 }) +
      key("A", { Flags: "dword:2a", Mask: "dword:0", PrivateHost: ANY4 }) +
      key("L", { Flags: "dword:34", Mask: "dword:0", PrivateHost: ANY4 }),
    );
    expect(await classify(p, BUILTIN, OUT("tcp 192.168.0.101:1025 > 198.51.100.1:80"))).toEqual({ verdict: "permit", rule: null, logged: false });
    expect(await verdict(p, BUILTIN, IN("tcp 198.51.100.1:1025 > 192.168.0.101:80"))).toBe("deny");
  });
});

describe("evaluation", () => {
  it("an ALLOW that matches wins over a BLOCK that matches, whatever the order of the keys", async () => {
    const block = key("BlockOutboundICMP", { Flags: "dword:11", Mask: "dword:20", PrivateHost: ANY4, Protocol: "dword:1" });
    const allow = key("AllowICMP_ECHO_REQUEST", { Flags: "dword:12", Mask: "dword:28", PrivateHost: ANY4, Protocol: "dword:1", Type: "dword:8" });
    for (const text of [block + allow, allow + block]) {
      const p = loadOk(text);
      expect(await classify(p, BUILTIN, OUT("icmp 192.168.0.5 > 198.51.100.1 type=8"))).toMatchObject({ verdict: "permit", rule: "AllowICMP_ECHO_REQUEST" });
      expect(await classify(p, BUILTIN, OUT("icmp 192.168.0.5 > 198.51.100.1 type=3 code=3"))).toMatchObject({ verdict: "deny", rule: "BlockOutboundICMP" });
    }
  });

  it("inbound is blocked and outbound allowed by default", async () => {
    const p = loadOk(key("Nothing", { Flags: "dword:31", Mask: "dword:0", PrivateHost: ANY4 }));
    expect(await verdict(p, BUILTIN, OUT("udp 192.168.0.5:1025 > 198.51.100.1:53"))).toBe("permit");
    expect(await verdict(p, BUILTIN, IN("udp 198.51.100.1:53 > 192.168.0.5:1025"))).toBe("deny");
  });

  it("only the appliance's traffic to itself always passes; other hosts' traffic to its addresses follows the rules (issue 12, item 16)", async () => {
    const p = loadOk(
      key("BlockAllOut", { Flags: "dword:11", Mask: "dword:0", PrivateHost: ANY4 }) +
      key("BlockAllIn", { Flags: "dword:09", Mask: "dword:0", PrivateHost: ANY4 }),
    );
    // Device to itself (its LAN address to its WAN address).
    expect(await classify(p, BUILTIN, OUT("tcp 192.168.0.1:1025 > 10.0.0.1:22"))).toMatchObject({ verdict: "permit", rule: "local traffic (lan to wan)" });
    // Other hosts to the appliance's addresses: the rules decide.
    expect(await classify(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 192.168.0.1:22"))).toMatchObject({ verdict: "deny", rule: "BlockAllOut" });
    expect(await classify(p, BUILTIN, IN("tcp 198.51.100.1:1025 > 10.0.0.1:22"))).toMatchObject({ verdict: "deny", rule: "BlockAllIn" });
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.1:22"))).toBe("deny");
    // A forged "device to itself" packet from the Internet is inbound traffic like any other.
    expect(await verdict(p, BUILTIN, IN("tcp 10.0.0.1:1025 > 10.0.0.1:22"))).toBe("deny");
  });

  it("check warns (CE032) about a rule that can never act: it matches only the appliance's traffic to itself", () => {
    const r = load(
      key("BlockBoxToItself", { Flags: "dword:11", Mask: "dword:3", PrivateHost: "hex:02,00,00,00,c0,a8,00,01", PublicHost: "hex:02,00,00,00,0a,00,00,01" }) +
      key("BlockBoxFromLan", { Flags: "dword:09", Mask: "dword:1", PrivateHost: "hex:02,00,00,00,c0,a8,00,01" }),
    );
    const never = r.diagnostics.filter((d) => d.code === "CE032");
    expect(never).toHaveLength(1);
    expect(never[0]).toMatchObject({ severity: "warning", line: 1 });
    expect(never[0].message).toMatch(/BlockBoxToItself.*can never act/);
  });

  it("the seed's case: tcp 10.0.0.9 > 192.168.0.1:23 in=wan meets the inbound default and an explicit BLOCK", async () => {
    // No rule at all: the inbound default blocks it (it was "local traffic", permitted).
    const none = loadOk(key("Nothing", { Flags: "dword:31", Mask: "dword:0", PrivateHost: ANY4 }));
    expect(await classify(none, BUILTIN, IN("tcp 10.0.0.9:1025 > 192.168.0.1:23"))).toMatchObject({ verdict: "deny", rule: null });
    // An ALLOW for the appliance's LAN address opens it; an explicit BLOCK then has an effect again once the ALLOW goes.
    const allow = loadOk(key("AllowTelnetToBox", { Flags: "dword:0a", Mask: "dword:25", PrivateHost: "hex:02,00,00,00,c0,a8,00,01", Protocol: "dword:6", Port: "dword:17" }));
    expect(await classify(allow, BUILTIN, IN("tcp 10.0.0.9:1025 > 192.168.0.1:23"))).toMatchObject({ verdict: "permit", rule: "AllowTelnetToBox" });
    const block = loadOk(
      key("BlockBox", { Flags: "dword:09", Mask: "dword:1", PrivateHost: "hex:02,00,00,00,c0,a8,00,01" }) +
      key("AllowAllIn", { Flags: "dword:0a", Mask: "dword:20", PrivateHost: ANY4, Protocol: "dword:11" }),
    );
    expect(await classify(block, BUILTIN, IN("tcp 10.0.0.9:1025 > 192.168.0.1:23"))).toMatchObject({ verdict: "deny", rule: "BlockBox" });
  });

  describe("several private and public interfaces", () => {
    const app = appliance({
      interfaces: [
        { name: "lan1", role: "private", addresses: ["192.168.0.1/24"] },
        { name: "lan2", role: "private", addresses: ["192.168.1.1/24"] },
        { name: "wan1", role: "public", addresses: ["203.0.113.1/24"] },
        { name: "wan2", role: "public", addresses: ["198.18.0.1/24"] },
      ],
      timezone: "UTC",
    });
    const text =
      key("BlockHost2", { Flags: "dword:11", Mask: "dword:1", PrivateHost: HOST2 }) +
      key("AllowWeb", { Flags: "dword:0a", Mask: "dword:24", PrivateHost: ANY4, Protocol: "dword:6", Port: "dword:50" });

    it("an outbound rule applies whichever public interface the packet leaves by", async () => {
      const p = loadOk(text, app);
      for (const w of ["wan1", "wan2"]) {
        expect(await verdict(p, app, `tcp 192.168.0.101:1025 > 198.51.100.1:80 in=lan1 out=${w}`)).toBe("deny");
        expect(await verdict(p, app, `tcp 192.168.0.102:1025 > 198.51.100.1:80 in=lan1 out=${w}`)).toBe("permit");
      }
    });

    it("an inbound rule applies whichever private interface the packet goes to", async () => {
      const p = loadOk(text, app);
      for (const [w, l] of [["wan1", "lan1"], ["wan2", "lan2"]]) {
        expect(await verdict(p, app, `tcp 198.51.100.1:1025 > 192.168.1.5:80 in=${w} out=${l}`)).toBe("permit");
        expect(await verdict(p, app, `tcp 198.51.100.1:1025 > 192.168.1.5:81 in=${w} out=${l}`)).toBe("deny");
      }
    });

    it("private-to-private traffic does not cross the firewall; public-to-public is denied", async () => {
      const p = loadOk(text, app);
      expect(await verdict(p, app, "tcp 192.168.0.101:1025 > 192.168.1.5:80 in=lan1 out=lan2")).toBe("permit");
      expect(await verdict(p, app, "tcp 198.51.100.1:1025 > 198.18.0.9:80 in=wan1 out=wan2")).toBe("deny");
    });
  });
});

describe("mask bits", () => {
  it("FWM_PRIVATE_HOST unset: the rule applies to every host of PrivateHost's family only", async () => {
    const p = loadOk(key("Block4", { Flags: "dword:11", Mask: "dword:0", PrivateHost: ANY4 }));
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.77:1025 > 198.51.100.1:80"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("tcp [fd00::5]:1025 > [2001:db8::1]:80"))).toBe("permit");
  });

  it("an IPv6 rule (17,00 family) never matches IPv4 packets", async () => {
    const p = loadOk(key("Block6", { Flags: "dword:11", Mask: "dword:0", PrivateHost: ANY6 }));
    expect(await verdict(p, BUILTIN, OUT("tcp [fd00::5]:1025 > [2001:db8::1]:80"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.77:1025 > 198.51.100.1:80"))).toBe("permit");
  });

  it("FW_IP_ADDRESS of an IPv6 private host (20 bytes)", async () => {
    const fd00_5 = "hex:17,00,00,00,fd,00,00,00,00,00,00,00,00,00,00,00,00,00,00,05";
    const p = loadOk(key("B6", { Flags: "dword:11", Mask: "dword:1", PrivateHost: fd00_5 }));
    expect(await verdict(p, BUILTIN, OUT("udp [fd00::5]:1025 > [2001:db8::1]:53"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("udp [fd00::6]:1025 > [2001:db8::1]:53"))).toBe("permit");
  });

  it("the 20-byte FW_IP_ADDRESS also carries an IPv4 address", async () => {
    const p = loadOk(key("B", { Flags: "dword:11", Mask: "dword:1", PrivateHost: HOST2 + ",00,00,00,00,00,00,00,00,00,00,00,00" }));
    expect(await verdict(p, BUILTIN, OUT("udp 192.168.0.101:1025 > 198.51.100.1:53"))).toBe("deny");
  });

  it("FWM_PUBLIC_HOST: one public host (the destination outbound, the source inbound)", async () => {
    const pub = "hex:02,00,00,00,c6,33,64,07"; // 198.51.100.7
    const p = loadOk(
      key("NoOut", { Flags: "dword:11", Mask: "dword:2", PrivateHost: ANY4, PublicHost: pub }) +
      key("In", { Flags: "dword:0a", Mask: "dword:2", PrivateHost: ANY4, PublicHost: pub }),
    );
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.7:80"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.8:80"))).toBe("permit");
    expect(await verdict(p, BUILTIN, IN("tcp 198.51.100.7:1025 > 192.168.0.5:80"))).toBe("permit");
    expect(await verdict(p, BUILTIN, IN("tcp 198.51.100.8:1025 > 192.168.0.5:80"))).toBe("deny");
  });

  it("FWM_PUBLIC_HOST_MASK: a public subnet by dotted mask", async () => {
    const p = loadOk(key("Net", { Flags: "dword:11", Mask: "dword:802", PrivateHost: ANY4, PublicHost: "hex:02,00,00,00,c6,33,64,07", PublicHostMask: "hex:ff,ff,ff,00" }));
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.200:80"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.101.1:80"))).toBe("permit");
  });

  it("FWM_PUBLIC_HOST_PREFIX: a public subnet by prefix length, IPv4 and IPv6", async () => {
    const p = loadOk(
      key("Net4", { Flags: "dword:11", Mask: "dword:1002", PrivateHost: ANY4, PublicHost: "hex:02,00,00,00,c6,33,00,00", PublicHostPrefixLength: "dword:10" }) +
      key("Net6", { Flags: "dword:11", Mask: "dword:1002", PrivateHost: ANY6, PublicHost: "hex:17,00,00,00,20,01,0d,b8,00,00,00,00,00,00,00,00,00,00,00,00", PublicHostPrefixLength: "dword:20" }),
    );
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.255.1:80"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.52.0.1:80"))).toBe("permit");
    expect(await verdict(p, BUILTIN, OUT("tcp [fd00::5]:1025 > [2001:db8:ffff::1]:80"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("tcp [fd00::5]:1025 > [2001:db9::1]:80"))).toBe("permit");
  });

  it("FWM_PORT: PortMin..PortMax is the destination port range, inclusive", async () => {
    const p = loadOk(key("Range", { Flags: "dword:11", Mask: "dword:4", PrivateHost: ANY4, PortMin: "dword:3e8", PortMax: "dword:7d0" }));
    for (const [port, want] of [[999, "permit"], [1000, "deny"], [1500, "deny"], [2000, "deny"], [2001, "permit"]] as const) {
      expect(await verdict(p, BUILTIN, OUT(`udp 192.168.0.5:40000 > 198.51.100.1:${port}`))).toBe(want);
    }
    expect(await verdict(p, BUILTIN, OUT("udp 192.168.0.5:1500 > 198.51.100.1:53"))).toBe("permit");
    // Without FWM_PROTOCOL a port rule applies to TCP and UDP, and not to ICMP (no ports).
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:40000 > 198.51.100.1:1500"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("icmp 192.168.0.5 > 198.51.100.1"))).toBe("permit");
  });

  it("FWM_PROTOCOL: one IP protocol", async () => {
    const p = loadOk(key("NoUdp", { Flags: "dword:11", Mask: "dword:20", PrivateHost: ANY4, Protocol: "dword:11" }));
    expect(await verdict(p, BUILTIN, OUT("udp 192.168.0.5:1025 > 198.51.100.1:53"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.1:53"))).toBe("permit");
    expect(await verdict(p, BUILTIN, OUT("47 192.168.0.5 > 198.51.100.1"))).toBe("permit");
  });

  it("FWM_TYPE and FWM_CODE: the ICMP type and code", async () => {
    const p = loadOk(
      key("NoUnreach", { Flags: "dword:11", Mask: "dword:38", PrivateHost: ANY4, Protocol: "dword:1", Type: "dword:3", Code: "dword:3" }) +
      key("NoEcho", { Flags: "dword:11", Mask: "dword:28", PrivateHost: ANY4, Protocol: "dword:1", Type: "dword:8" }),
    );
    expect(await verdict(p, BUILTIN, OUT("icmp 192.168.0.5 > 198.51.100.1 type=3 code=3"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("icmp 192.168.0.5 > 198.51.100.1 type=3 code=1"))).toBe("permit");
    expect(await verdict(p, BUILTIN, OUT("icmp 192.168.0.5 > 198.51.100.1 type=8 code=0"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("icmp 192.168.0.5 > 198.51.100.1 type=0 code=0"))).toBe("permit");
  });

  it("FWM_TYPE without FWM_PROTOCOL is taken as ICMP (ICMPv6 for an IPv6 rule)", async () => {
    const p = loadOk(
      key("Echo4", { Flags: "dword:11", Mask: "dword:8", PrivateHost: ANY4, Type: "dword:8" }) +
      key("Echo6", { Flags: "dword:11", Mask: "dword:8", PrivateHost: ANY6, Type: "dword:80" }),
    );
    expect(await verdict(p, BUILTIN, OUT("icmp 192.168.0.5 > 198.51.100.1 type=8"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("icmp6 fd00::5 > 2001:db8::1 type=128"))).toBe("deny");
    expect(await verdict(p, BUILTIN, OUT("icmp6 fd00::5 > 2001:db8::1 type=129"))).toBe("permit");
    expect(await verdict(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.1:8"))).toBe("permit");
  });

  describe("FWM_ACTION: a logging rule that logs only what is blocked, or only what is allowed", () => {
    const text =
      key("AllowWeb", { Flags: "dword:12", Mask: "dword:24", PrivateHost: ANY4, Protocol: "dword:6", PortMin: "dword:50", PortMax: "dword:51" }) +
      key("BlockHost2", { Flags: "dword:11", Mask: "dword:1", PrivateHost: HOST2 }) +
      key("AllowSsh", { Flags: "dword:0a", Mask: "dword:24", PrivateHost: ANY4, Protocol: "dword:6", Port: "dword:16" }) +
      key("LogBlocked", { Flags: "dword:14", Mask: "dword:40", PrivateHost: ANY4, Action: "dword:1" }) +
      key("LogAllowedIn", { Flags: "dword:0c", Mask: "dword:40", PrivateHost: ANY4, Action: "dword:2" });

    it("Action=FWA_BLOCK logs blocked packets and not allowed ones", async () => {
      const p = loadOk(text);
      expect(await classify(p, BUILTIN, OUT("tcp 192.168.0.101:1025 > 198.51.100.1:22"))).toEqual({ verdict: "deny", rule: "BlockHost2 (logged by LogBlocked)", logged: true });
      expect(await classify(p, BUILTIN, OUT("tcp 192.168.0.101:1025 > 198.51.100.1:80"))).toEqual({ verdict: "permit", rule: "AllowWeb", logged: false });
      expect(await classify(p, BUILTIN, OUT("tcp 192.168.0.5:1025 > 198.51.100.1:22"))).toEqual({ verdict: "permit", rule: null, logged: false });
    });

    it("Action=FWA_ALLOW logs allowed packets; inbound, the default block is not logged by it", async () => {
      const p = loadOk(text);
      expect(await classify(p, BUILTIN, IN("tcp 198.51.100.1:1025 > 192.168.0.5:22"))).toEqual({ verdict: "permit", rule: "AllowSsh (logged by LogAllowedIn)", logged: true });
      expect(await classify(p, BUILTIN, IN("tcp 198.51.100.1:1025 > 192.168.0.5:23"))).toEqual({ verdict: "deny", rule: null, logged: false });
    });

    it("an inbound FWA_BLOCK logging rule also logs the default block", async () => {
      const p = loadOk(key("LogIn", { Flags: "dword:0c", Mask: "dword:60", PrivateHost: ANY4, Action: "dword:1", Protocol: "dword:11" }));
      expect(await classify(p, BUILTIN, IN("udp 198.51.100.1:1025 > 192.168.0.5:53"))).toEqual({ verdict: "deny", rule: "default block (logged by LogIn)", logged: true });
      expect(await classify(p, BUILTIN, IN("tcp 198.51.100.1:1025 > 192.168.0.5:53"))).toEqual({ verdict: "deny", rule: null, logged: false });
    });
  });
});
