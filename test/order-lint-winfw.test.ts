// `check`'s exact order lint in Windows Firewall's words
// (host/dialects/winfw/order-exact.ts): a scope item the items lowered
// before it cover (alone or together) is WF030, naming them; one the other
// items cover, some after it, is WF031 ("alone"). Removing every WF030 item
// together changes no verdict, shown by `portcullis diff`.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-wf-order-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** The warnings of `check`, each as "LINE:COL: warning[CODE]: message". */
async function check(f: string): Promise<string[]> {
  const io = bufferIO();
  await main(["check", f], io);
  return io.stdout.split("\n").filter((l) => l.includes("warning[")).map((l) => l.slice(f.length + 1));
}

describe("exact order lint: Windows Firewall port exceptions", () => {
  it("WF030: a subnet inside another item of the same exception, at the item's column", async () => {
    const f = file("a.txt", "  80:TCP:10.0.0.0/8,10.1.0.0/16:enabled:web\n");
    expect(await check(f)).toEqual([
      '1:21: warning[WF030]: scope item 10.1.0.0/16 of exception 80/TCP "web" never decides a packet: 10.0.0.0/8 (line 1) already opens the port to every address in it; removing the item changes no verdict',
    ]);
  });

  it("WF030 names every item that covers it together; WF031 for an item the items after it cover", async () => {
    const f = file("b.txt", "443:TCP:10.2.0.0/16,10.0.0.0/9,10.128.0.0/9,10.200.0.5:enabled:tls\n");
    expect(await check(f)).toEqual([
      '1:9: warning[WF031]: scope item 10.2.0.0/16 of exception 443/TCP "tls" changes nothing: the exception\'s other scope items open the port to every address in it (the order of a Windows Firewall list does not matter); removing this item alone changes no verdict',
      '1:45: warning[WF030]: scope item 10.200.0.5 of exception 443/TCP "tls" never decides a packet: 10.128.0.0/9 (line 1) already opens the port to every address in it; removing the item changes no verdict',
    ]);
    const g = file("c.txt", "443:TCP:10.0.0.0/9,10.128.0.0/9,10.1.2.0/24:enabled:tls\n443:TCP:10.99.0.0/16:enabled:tls2\n");
    const w = await check(g);
    // Entries of one PORT:TRANSPORT merge (WF011); an item of the second entry is covered by the first one's.
    expect(w).toContain('2:9: warning[WF030]: scope item 10.99.0.0/16 of exception 443/TCP "tls" never decides a packet: 10.0.0.0/9 (line 1) already opens the port to every address in it; removing the item changes no verdict');
    expect(w.filter((l) => l.includes("WF030"))).toHaveLength(2);
  });

  it("a union of two items covering a third is named as both; each of the two alone is WF031", async () => {
    const f = file("d.txt", "25:TCP:10.0.0.0/25,10.0.0.128/25,10.0.0.0/24:enabled:mail\n");
    const alone = (item: string) => `scope item ${item} of exception 25/TCP "mail" changes nothing: the exception's other scope items open the port to every address in it (the order of a Windows Firewall list does not matter); removing this item alone changes no verdict`;
    expect(await check(f)).toEqual([
      `1:8: warning[WF031]: ${alone("10.0.0.0/25")}`,
      `1:20: warning[WF031]: ${alone("10.0.0.128/25")}`,
      '1:34: warning[WF030]: scope item 10.0.0.0/24 of exception 25/TCP "mail" never decides a packet: 10.0.0.0/25 (line 1) and 10.0.0.128/25 (line 1) together already open the port to every address in it; removing the item changes no verdict',
    ]);
  });

  it("never names another exception's items (a later fragment meets every exception's rules)", async () => {
    const f = file("e.txt", "80:TCP:10.0.0.0/8:enabled:web\n443:TCP:10.0.0.0/9,10.3.0.5:enabled:tls\n");
    expect(await check(f)).toEqual([
      '2:20: warning[WF030]: scope item 10.3.0.5 of exception 443/TCP "tls" never decides a packet: 10.0.0.0/9 (line 2) already opens the port to every address in it; removing the item changes no verdict',
    ]);
  });

  it("an address inside localsubnet", async () => {
    const f = file("f.txt", "8080:TCP:localsubnet,192.168.0.7:enabled:alt\n");
    const w = await check(f);
    expect(w).toEqual([
      '1:22: warning[WF031]: scope item 192.168.0.7 of exception 8080/TCP "alt" changes nothing: the exception\'s other scope items open the port to every address in it (the order of a Windows Firewall list does not matter); removing this item alone changes no verdict',
    ]);
  });

  it("in a regedit export, at the start of the definition string", async () => {
    const f = file("g.reg", 'REGEDIT4\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\StandardProfile\\GloballyOpenPorts\\List]\n"80:TCP"="80:TCP:10.0.0.0/8,10.1.0.0/16:enabled:web"\n');
    expect(await check(f)).toEqual([
      '3:11: warning[WF030]: scope item 10.1.0.0/16 of exception 80/TCP "web" never decides a packet: 10.0.0.0/8 (line 3) already opens the port to every address in it; removing the item changes no verdict',
    ]);
  });

  it("no warning for items that each open something; removing every WF030 item together changes no verdict", async () => {
    expect(await check(file("h.txt", "80:TCP:10.0.0.0/9,10.128.0.0/9:enabled:web\n445:TCP:192.168.1.0/24:enabled:smb\n"))).toEqual([]);
    const full = file("i.txt", "80:TCP:10.0.0.0/8,10.1.0.0/16,10.2.3.4:enabled:web\n445:TCP:192.168.0.0/16,192.168.5.0/24:enabled:smb\n");
    const w = await check(full);
    expect(w.map((l) => l.match(/WF03\d/)![0])).toEqual(["WF030", "WF030", "WF030"]);
    const pruned = file("j.txt", "80:TCP:10.0.0.0/8:enabled:web\n445:TCP:192.168.0.0/16:enabled:smb\n");
    const io = bufferIO();
    expect(await main(["diff", full, pruned, "--verdict-only"], io)).toBe(0);
    expect(io.stdout).toMatch(/^equivalent/m);
  });
});
