// winfw semantics (dialects.md section 3), decided by both engines: the
// seed's example, merging, disabled-overrides-enabled, localsubnet, the
// 445 / ping rule, dotted masks, IPv6, the appliance's own addresses,
// defaults, and the stateless behaviour until connection tracking lands.
import { describe, it, expect } from "vitest";
import { parseAppliance } from "../host/model/appliance.ts";
import { load, list, diags, decider, clean } from "./winfw-helpers.ts";

const SEED = "80:TCP:10.0.0.1,10.0.0.2,10.3.4.0/24:enabled:Web service";

describe("the seed's example", () => {
  it("admits TCP 80 from exactly the listed hosts and subnet", async () => {
    const d = await clean(list(SEED));
    for (const src of ["10.0.0.1", "10.0.0.2", "10.3.4.77", "10.3.4.0", "10.3.4.255"]) {
      expect(d(`tcp ${src}:40000 > 192.168.0.10:80 in=wan out=lan`), src).toBe("permit");
    }
    for (const src of ["10.0.0.3", "10.3.5.1", "10.3.3.255", "203.0.113.9"]) {
      expect(d(`tcp ${src}:40000 > 192.168.0.10:80 in=wan out=lan`), src).toBe("deny");
    }
  });
  it("denies UDP 80 and TCP 81 from everywhere, including the listed hosts", async () => {
    const d = await clean(list(SEED));
    for (const src of ["10.0.0.1", "10.0.0.2", "10.3.4.77", "10.0.0.3"]) {
      expect(d(`udp ${src}:40000 > 192.168.0.10:80 in=wan out=lan`)).toBe("deny");
      expect(d(`tcp ${src}:40000 > 192.168.0.10:81 in=wan out=lan`)).toBe("deny");
    }
  });
  it("names the entry that admitted the packet", () => {
    const r = load(list("# comment", "", SEED));
    const rules = r.policy!.rulesets[0].rules;
    expect(rules.map((x) => x.origin.label)).toEqual([
      '80/TCP "Web service" from 10.0.0.1 to hosts behind lan',
      "80/TCP \"Web service\" from 10.0.0.1 to the appliance's 10.0.0.1",
      '80/TCP "Web service" from 10.0.0.2 to hosts behind lan',
      "80/TCP \"Web service\" from 10.0.0.2 to the appliance's 10.0.0.1",
      '80/TCP "Web service" from 10.3.4.0/24 to hosts behind lan',
      "80/TCP \"Web service\" from 10.3.4.0/24 to the appliance's 10.0.0.1",
    ]);
    expect(rules.every((x) => x.origin.line === 3 && x.origin.text === SEED && x.origin.dialect === "winfw")).toBe(true);
  });
});

describe("destinations and defaults", () => {
  it("opens the port on the appliance's own public address, but not for transit to other public hosts", async () => {
    const d = await clean(list(SEED));
    expect(d("tcp 10.0.0.2:40000 > 10.0.0.1:80 in=wan out=wan")).toBe("permit");
    expect(d("tcp 10.0.0.3:40000 > 10.0.0.1:80 in=wan out=wan")).toBe("deny");
    expect(d("tcp 10.0.0.2:40000 > 10.0.0.99:80 in=wan out=wan")).toBe("deny");
  });
  it("allows outbound traffic and denies unsolicited inbound traffic", async () => {
    const d = await clean(list(SEED));
    expect(d("tcp 192.168.0.10:40000 > 203.0.113.9:443 in=lan out=wan")).toBe("permit");
    expect(d("udp 192.168.0.10:40000 > 203.0.113.9:53 in=lan out=wan")).toBe("permit");
    expect(d("icmp 192.168.0.10 > 203.0.113.9 in=lan out=wan")).toBe("permit");
    expect(d("tcp 203.0.113.9:40000 > 192.168.0.10:22 in=wan out=lan")).toBe("deny");
    expect(d("icmp 203.0.113.9 > 192.168.0.10 in=wan out=lan")).toBe("deny");
  });
  it("an empty list closes everything inbound and still allows outbound", async () => {
    const d = await clean(list("# nothing opened"));
    expect(d("tcp 10.0.0.1:40000 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
    expect(d("tcp 192.168.0.10:40000 > 10.0.0.1:80 in=lan out=wan")).toBe("permit");
  });
  it("marks both rulesets stateful with keep-state permits; without tracking a reply is not let in", async () => {
    const r = load(list(SEED));
    const p = r.policy!;
    expect(p.rulesets.map((rs) => rs.stateful)).toEqual([true, true]);
    expect(p.rulesets[0].rules.every((x) => x.keepState && x.action === "permit")).toBe(true);
    expect(p.input).toEqual([1, 0]); // lan -> outbound ruleset, wan -> inbound exceptions
    const d = await decider(p);
    // The outbound SYN passes; its SYN-ACK reply is unsolicited to a stateless matcher.
    expect(d("tcp 192.168.0.10:40000 > 203.0.113.9:443 in=lan out=wan")).toBe("permit");
    expect(d("tcp 203.0.113.9:443 > 192.168.0.10:40000 in=wan out=lan flags=SA")).toBe("deny");
  });
});

describe("several entries for one port and transport", () => {
  it("combines the scopes of enabled entries and says so", async () => {
    const r = load(list("80:TCP:10.0.0.1:enabled:a", "81:TCP:*:enabled:other", "80:TCP:10.3.4.0/24:enabled:b"));
    expect(diags(r)).toEqual(["3:1 warning[WF011] 80/TCP: the scopes of lines 1 and 3 are combined; the port is open to 10.0.0.1,10.3.4.0/24"]);
    const d = await decider(r.policy!);
    expect(d("tcp 10.0.0.1:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
    expect(d("tcp 10.3.4.9:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
    expect(d("tcp 10.0.0.2:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
  });
  it("a * entry widens the combined scope to everything", async () => {
    const r = load(list("80:TCP:10.0.0.1:enabled:a", "80:TCP:*:enabled:b"));
    expect(diags(r)).toEqual(["2:1 warning[WF011] 80/TCP: the scopes of lines 1 and 2 are combined; the port is open to *"]);
    const d = await decider(r.policy!);
    expect(d("tcp 198.51.100.7:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
  });
  it("reports an exact repeat, which changes nothing", async () => {
    const r = load(list("80:TCP:10.0.0.1:enabled:a", "80:tcp:10.0.0.1:Enabled:again"));
    expect(diags(r)).toEqual(["2:1 warning[WF013] 80/TCP: repeats line 1 (same status and scope)"]);
    expect(r.policy!.rulesets[0].rules).toHaveLength(2); // one source, two destinations
  });
  it("TCP and UDP entries of the same port are independent", async () => {
    const d = await clean(list("53:UDP:*:enabled:dns", "53:TCP:*:disabled:no zone transfers"));
    expect(d("udp 1.2.3.4:1 > 192.168.0.10:53 in=wan out=lan")).toBe("permit");
    expect(d("tcp 1.2.3.4:1 > 192.168.0.10:53 in=wan out=lan")).toBe("deny");
  });
});

describe("disabled overrides enabled", () => {
  const lines = ["80:TCP:10.0.0.1:enabled:a", "443:TCP:*:enabled:tls", "", "# x", "80:TCP:*:enabled:b", "", "80:TCP:*:disabled:closed"];
  it("closes the port whatever the enabled entries say, and explains it", async () => {
    const r = load(list(...lines));
    // Only the override is reported: a closed port's scopes are not combined.
    expect(diags(r)).toEqual(["7:1 warning[WF010] 80/TCP: disabled at line 7 overrides enabled at lines 1 and 5; the port is not opened"]);
    const d = await decider(r.policy!);
    expect(d("tcp 10.0.0.1:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
    expect(d("tcp 8.8.8.8:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
    expect(d("tcp 8.8.8.8:1 > 192.168.0.10:443 in=wan out=lan")).toBe("permit");
  });
  it("the disabled entry may come first, and its scope does not matter", async () => {
    const r = load(list("80:TCP:10.9.9.9:disabled:x", "80:TCP:*:enabled:y"));
    expect(diags(r)).toEqual(["1:1 warning[WF010] 80/TCP: disabled at line 1 overrides enabled at line 2; the port is not opened"]);
    const d = await decider(r.policy!);
    expect(d("tcp 8.8.8.8:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
  });
  it("a disabled entry alone is no conflict", async () => {
    const d = await clean(list("80:TCP:*:disabled:closed"));
    expect(d("tcp 8.8.8.8:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
  });
  it("--strict turns the conflicts into errors and nothing is loaded", () => {
    const r = load(list(...lines), { strict: true });
    expect(diags(r)).toEqual(["7:1 error[WF010] 80/TCP: disabled at line 7 overrides enabled at lines 1 and 5; the port is not opened"]);
    expect(r.policy).toBeNull();
    expect(load(list("80:TCP:10.0.0.1:enabled:a", "80:TCP:10.0.0.2:enabled:b"), { strict: true }).diagnostics.map((x) => [x.severity, x.code])).toEqual([["error", "WF011"]]);
  });
});

describe("scope forms", () => {
  it("keywords are case-insensitive", async () => {
    const d = await clean(list("80:tcp:LocalSubnet:ENABLED:a", "53:Udp:*:Enabled:b"));
    expect(d("tcp 10.0.0.77:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
    expect(d("udp 8.8.8.8:1 > 192.168.0.10:53 in=wan out=lan")).toBe("permit");
  });
  it("dotted masks mean the same subnet as /bits", async () => {
    const d = await clean(list("80:TCP:10.3.4.0/255.255.255.0,172.16.0.0/255.240.0.0:enabled:a"));
    expect(d("tcp 10.3.4.77:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
    expect(d("tcp 10.3.5.1:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
    expect(d("tcp 172.31.255.1:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
    expect(d("tcp 172.32.0.1:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
    const a = load(list("80:TCP:10.3.4.0/255.255.255.0:enabled:a")).policy!.rulesets[0].rules.map((r) => r.src);
    const b = load(list("80:TCP:10.3.4.0/24:enabled:a")).policy!.rulesets[0].rules.map((r) => r.src);
    expect(a).toEqual(b);
  });
  it("a subnet with host bits set is the subnet, with a warning", async () => {
    const r = load(list("80:TCP:10.3.4.7/24:enabled:a"));
    expect(diags(r)).toEqual(['1:8 warning[WF012] "10.3.4.7/24" has host bits set; it means the subnet 10.3.4.0/24']);
    const d = await decider(r.policy!);
    expect(d("tcp 10.3.4.200:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
  });

  const three = parseAppliance({
    interfaces: [
      { name: "lan", role: "private", addresses: ["192.168.0.1/24"] },
      { name: "dmz", role: "private", addresses: ["172.16.0.1/16", "2001:db8:1::1/64"] },
      { name: "wan", role: "public", addresses: ["203.0.113.1/24"] },
    ],
  }, "test");
  it("localsubnet is every subnet attached to the appliance, IPv4 and IPv6", async () => {
    const d = await clean(list("22:TCP:localsubnet:enabled:ssh"), { appliance: three });
    for (const out of ["lan", "dmz"]) {
      for (const src of ["192.168.0.55", "172.16.9.9", "203.0.113.200", "[2001:db8:1::99]"]) {
        const dst = src.startsWith("[") ? "[2001:db8:1::10]" : "192.168.0.10";
        expect(d(`tcp ${src}:1 > ${dst}:22 in=wan out=${out}`), `${src} to ${out}`).toBe("permit");
      }
      expect(d(`tcp 198.51.100.1:1 > 192.168.0.10:22 in=wan out=${out}`)).toBe("deny");
      expect(d(`tcp [2001:db8:2::1]:1 > [2001:db8:1::10]:22 in=wan out=${out}`)).toBe("deny");
    }
  });
  it("localsubnet with no interface addresses matches nothing, with a warning", async () => {
    const bare = parseAppliance({ interfaces: [{ name: "in", role: "private" }, { name: "out", role: "public" }] }, "bare");
    const r = load(list("22:TCP:localsubnet:enabled:ssh"), { appliance: bare });
    expect(diags(r)).toEqual(["1:1 warning[WF014] localsubnet matches nothing: the appliance's interfaces have no addresses"]);
    const d = await decider(r.policy!, bare);
    expect(d("tcp 10.0.0.5:1 > 192.168.0.10:22 in=out out=in")).toBe("deny");
  });
});

describe("IPv6", () => {
  it("* opens the port for IPv6 too", async () => {
    const d = await clean(list("80:TCP:*:enabled:web"));
    expect(d("tcp [2001:db8::5]:4000 > [2001:db8:1::10]:80 in=wan out=lan")).toBe("permit");
    expect(d("tcp [2001:db8::5]:4000 > [2001:db8:1::10]:81 in=wan out=lan")).toBe("deny");
  });
  it("an IPv4-only scope leaves the port closed to IPv6", async () => {
    const d = await clean(list("80:TCP:10.0.0.0/8:enabled:web"));
    expect(d("tcp [2001:db8::5]:4000 > [2001:db8:1::10]:80 in=wan out=lan")).toBe("deny");
  });
  it("the built-in appliance's localsubnet has no IPv6 subnet", async () => {
    const d = await clean(list("80:TCP:localsubnet:enabled:web"));
    expect(d("tcp [fe80::1]:4000 > [fe80::2]:80 in=wan out=lan")).toBe("deny");
  });
});

describe("TCP 445 admits ping", () => {
  it("from the scope of the 445 exception, and only echo requests", async () => {
    const d = await clean(list("445:TCP:10.0.0.0/24:enabled:files"));
    expect(d("icmp 10.0.0.5 > 192.168.0.10 in=wan out=lan type=8")).toBe("permit");
    expect(d("icmp 10.0.0.5 > 10.0.0.1 in=wan out=wan type=8")).toBe("permit");
    expect(d("icmp 10.9.9.9 > 192.168.0.10 in=wan out=lan type=8")).toBe("deny");
    expect(d("icmp 10.0.0.5 > 192.168.0.10 in=wan out=lan type=0")).toBe("deny");
    expect(d("icmp 10.0.0.5 > 192.168.0.10 in=wan out=lan type=13")).toBe("deny");
  });
  it("with scope *, for ICMPv6 echo requests too", async () => {
    const d = await clean(list("445:TCP:*:enabled:files"));
    expect(d("icmp 198.51.100.1 > 192.168.0.10 in=wan out=lan type=8")).toBe("permit");
    expect(d("icmp6 2001:db8::1 > 2001:db8:1::10 in=wan out=lan type=128")).toBe("permit");
    expect(d("icmp6 2001:db8::1 > 2001:db8:1::10 in=wan out=lan type=129")).toBe("deny");
  });
  it("not when 445 is closed, only UDP, or absent", async () => {
    for (const l of [["445:TCP:*:enabled:a", "445:TCP:*:disabled:b"], ["445:UDP:*:enabled:a"], ["139:TCP:*:enabled:a"]]) {
      const r = load(list(...l));
      const d = await decider(r.policy!);
      expect(d("icmp 198.51.100.1 > 192.168.0.10 in=wan out=lan type=8"), l.join(" ")).toBe("deny");
    }
  });
  it("names the 445 entry as the reason", () => {
    const rules = load(list("80:TCP:*:enabled:web", "445:TCP:*:enabled:files")).policy!.rulesets[0].rules;
    const ping = rules.filter((r) => r.proto === 1 || r.proto === 58);
    expect(ping.map((r) => [r.origin.line, r.icmpType, r.family])).toEqual([[2, 8, 4], [2, 8, 4], [2, 128, 6]]);
    expect(ping[0].origin.label).toBe("ICMP echo request (implied by 445/TCP) from anywhere to hosts behind lan");
  });
});

describe("profiles", () => {
  it("rejects an unknown profile", () => {
    expect(diags(load(list(SEED), { profile: "public" }))).toEqual(['1:1 error[WF020] unknown profile "public" (--profile standard or domain)']);
  });
});
