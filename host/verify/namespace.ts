// A scratch router shaped like the appliance: one network namespace (the
// router) with one veth per appliance interface, named as the export names
// it, and one peer namespace per interface holding the other end ("p").
// The router's only addresses are one 169.254.K.1/30 per link (so its IPv4
// next hop, .2, is on-link) and IPv6 link-local ones: nearly every IP packet
// is forwarded, none answered; `ip rule iif` tables route each ingress interface
// the way `replay` decides a packet's way out (host/engine/direction.ts), and
// permanent neighbour entries stand in for ARP and neighbour discovery.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Appliance } from "../model/appliance.ts";
import { formatPrefix } from "../model/addr.ts";

export interface Port {
  netns: string; // the peer namespace
  ifname: string; // "p" in the peer namespace
  routerIf: string; // the interface in the router namespace
  routerMac: string;
  peerMac: string;
}

export interface Router {
  netns: string;
  ports: Port[]; // one per appliance interface, in its order
  all: string[]; // every namespace made, for teardown
}

const live = new Set<Router>();

function run(args: string[]): void {
  execFileSync(args[0], args.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
}

function mac(kind: number, k: number): string {
  return `02:70:63:00:${kind.toString(16).padStart(2, "0")}:${k.toString(16).padStart(2, "0")}`;
}

export function makeRouter(a: Appliance, ifnames: string[]): Router {
  // PORTCULLIS_NETNS_TAG: a fixed prefix, so a test can look for what a run left behind.
  const tag = `${process.env.PORTCULLIS_NETNS_TAG ?? "pcv"}${randomBytes(3).toString("hex")}`;
  const r: Router = { netns: `${tag}r`, ports: [], all: [] };
  live.add(r);
  try {
    run(["ip", "netns", "add", r.netns]);
    r.all.push(r.netns);
    const sys = (ns: string, ...kv: string[]) => run(["ip", "netns", "exec", ns, "sysctl", "-qw", ...kv]);
    sys(r.netns, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", "net.ipv4.conf.all.rp_filter=0",
      "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0",
      "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0");
    a.interfaces.forEach((_, k) => {
      const peer = `${tag}p${k}`;
      run(["ip", "netns", "add", peer]);
      r.all.push(peer);
      sys(peer, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
      const port: Port = { netns: peer, ifname: "p", routerIf: ifnames[k], routerMac: mac(1, k), peerMac: mac(2, k) };
      run(["ip", "-n", r.netns, "link", "add", port.routerIf, "mtu", "9000", "address", port.routerMac, "type", "veth", "peer", "name", "p", "netns", peer, "mtu", "9000", "address", port.peerMac]);
      run(["ip", "-n", peer, "link", "set", "p", "up"]);
      run(["ip", "-n", r.netns, "link", "set", port.routerIf, "up"]);
      sys(r.netns, `net.ipv4.conf.${port.routerIf.replace(/\./g, "/")}.rp_filter=0`);
      // A /30 of the link-local range per link, only so the IPv4 next hop is on-link.
      run(["ip", "-n", r.netns, "addr", "add", `169.254.${k + 1}.1/30`, "dev", port.routerIf]);
      run(["ip", "-n", r.netns, "neigh", "replace", gw4(k), "lladdr", port.peerMac, "dev", port.routerIf, "nud", "permanent"]);
      run(["ip", "-n", r.netns, "-6", "neigh", "replace", gw6(k), "lladdr", port.peerMac, "dev", port.routerIf, "nud", "permanent"]);
      r.ports.push(port);
    });
    routes(r, a);
    return r;
  } catch (e) {
    teardown(r);
    throw e;
  }
}

const gw4 = (k: number) => `169.254.${k + 1}.2`;
const gw6 = (k: number) => `fe80::70:${k + 1}`;

function routes(r: Router, a: Appliance): void {
  const firstPrivate = a.interfaces.findIndex((i) => i.role === "private");
  const firstPublic = a.interfaces.findIndex((i) => i.role === "public");
  a.interfaces.forEach((iface, k) => {
    const table = String(100 + k);
    const via = (j: number, fam: 4 | 6, dest: string) => {
      const dev = r.ports[j].routerIf;
      run(["ip", "-n", r.netns, fam === 4 ? "-4" : "-6", "route", "replace", dest, "via", fam === 4 ? gw4(j) : gw6(j), "dev", dev, "table", table]);
    };
    if (iface.role === "private") {
      const out = firstPublic >= 0 ? firstPublic : k;
      via(out, 4, "default");
      via(out, 6, "default");
    } else {
      a.interfaces.forEach((p, j) => {
        if (p.role !== "private") return;
        for (const x of p.addresses) via(j, x.prefix.family, formatPrefix(x.prefix));
      });
      const out = firstPrivate >= 0 ? firstPrivate : k;
      via(out, 4, "default");
      via(out, 6, "default");
    }
    for (const fam of ["-4", "-6"]) run(["ip", "-n", r.netns, fam, "rule", "add", "iif", r.ports[k].routerIf, "lookup", table, "pref", String(1000 + k)]);
  });
}

/** Remove every namespace of the router (their interfaces go with them). Safe to call twice. */
export function teardown(r: Router): void {
  for (const ns of r.all.splice(0).reverse()) {
    try {
      run(["ip", "netns", "del", ns]);
    } catch {
      // already gone
    }
  }
  live.delete(r);
}

/** Tear down whatever is still up: for signal handlers and process exit. */
export function teardownAll(): void {
  for (const r of [...live]) teardown(r);
}

let hooked = false;
/** Remove the namespaces also when the process is interrupted or exits early. */
export function teardownOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", teardownAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      teardownAll();
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

/** Load an nft file into the router namespace; null when it loaded, else nft's message. */
export function loadNft(r: Router, file: string, tz: string): string | null {
  try {
    execFileSync("ip", ["netns", "exec", r.netns, "nft", "-f", file], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TZ: tz } });
    return null;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return (err.stderr?.toString() || err.message).trim();
  }
}
