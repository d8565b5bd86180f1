// Time masks, evaluated against the packet's timestamp in the appliance's
// time zone (Europe/Berlin here, across both DST changes of 2026).
import { describe, it, expect } from "vitest";
import { loadOk, verdict, key, appliance, ANY4 } from "./wince-helpers.ts";

const berlin = appliance({
  interfaces: [
    { name: "lan", role: "private", addresses: ["192.168.0.1/24"] },
    { name: "wan", role: "public", addresses: ["10.0.0.1/24"] },
  ],
  timezone: "Europe/Berlin",
});
const pkt = (time: string) => `udp 192.168.0.5:1025 > 198.51.100.1:53 time=${time}`;
const block = (name: string, mask: number, values: Record<string, string>) =>
  key(name, { Flags: "dword:11", Mask: `dword:${mask.toString(16)}`, PrivateHost: ANY4, ...values });

describe("FWM_TIME_OF_DAY", () => {
  it("Microsoft's example: outbound allowed from 9 PM to 8 AM only (window across midnight)", async () => {
    const p = loadOk(
      key("BlockOutbound", { Mask: "dword:0", Flags: "dword:11", PrivateHost: ANY4 }) +
      key("AllowOutbound9p8a", { Mask: "dword:80", Flags: "dword:12", PrivateHost: ANY4, HourStart: "dword:15", HourEnd: "dword:8" }),
      berlin,
    );
    for (const [local, want] of [
      ["2026-01-07T20:59", "deny"], ["2026-01-07T21:00", "permit"], ["2026-01-07T23:59", "permit"],
      ["2026-01-08T00:00", "permit"], ["2026-01-08T07:59", "permit"], ["2026-01-08T08:00", "deny"], ["2026-01-08T12:00", "deny"],
    ] as const) {
      expect(await verdict(p, berlin, pkt(local)), local).toBe(want);
    }
  });

  it("is local time: the same UTC instant is in or out of 08:00-17:00 across the spring DST change", async () => {
    const p = loadOk(block("Office", 0x80, { HourStart: "dword:8", HourEnd: "dword:11" }), berlin);
    expect(await verdict(p, berlin, pkt("2026-03-28T06:30Z"))).toBe("permit"); // 07:30 CET
    expect(await verdict(p, berlin, pkt("2026-03-29T06:30Z"))).toBe("deny"); // 08:30 CEST
    expect(await verdict(p, berlin, pkt("2026-03-29T15:30Z"))).toBe("permit"); // 17:30 CEST
    expect(await verdict(p, berlin, pkt("2026-03-28T15:30Z"))).toBe("deny"); // 16:30 CET
  });

  it("and across the autumn DST change", async () => {
    const p = loadOk(block("Office", 0x80, { HourStart: "dword:8", HourEnd: "dword:11" }), berlin);
    expect(await verdict(p, berlin, pkt("2026-10-24T06:30Z"))).toBe("deny"); // 08:30 CEST
    expect(await verdict(p, berlin, pkt("2026-10-25T06:30Z"))).toBe("permit"); // 07:30 CET
    expect(await verdict(p, berlin, pkt("2026-10-25T07:30Z"))).toBe("deny"); // 08:30 CET
  });

  it("HourStart == HourEnd is the whole day", async () => {
    const p = loadOk(block("AllDay", 0x80, { HourStart: "dword:5", HourEnd: "dword:5" }), berlin);
    for (const t of ["2026-01-07T00:00", "2026-01-07T04:59", "2026-01-07T05:00", "2026-01-07T23:59"]) {
      expect(await verdict(p, berlin, pkt(t)), t).toBe("deny");
    }
  });
});

describe("FWM_DAY_OF_WEEK, FWM_DAY, FWM_MONTH", () => {
  it("DayOfWeek is a mask, bit 0 Sunday: Monday to Friday", async () => {
    const p = loadOk(block("Weekdays", 0x100, { DayOfWeek: "dword:3e" }), berlin);
    expect(await verdict(p, berlin, pkt("2026-01-07T12:00"))).toBe("deny"); // Wednesday
    expect(await verdict(p, berlin, pkt("2026-01-09T12:00"))).toBe("deny"); // Friday
    expect(await verdict(p, berlin, pkt("2026-01-10T12:00"))).toBe("permit"); // Saturday
    expect(await verdict(p, berlin, pkt("2026-01-11T12:00"))).toBe("permit"); // Sunday
    // Friday 23:30 UTC is already Saturday in Berlin.
    expect(await verdict(p, berlin, pkt("2026-01-09T23:30Z"))).toBe("permit");
  });

  it("Day is one day of the month", async () => {
    const p = loadOk(block("Ides", 0x200, { Day: "dword:f" }), berlin);
    expect(await verdict(p, berlin, pkt("2026-03-15T12:00"))).toBe("deny");
    expect(await verdict(p, berlin, pkt("2026-03-14T23:59"))).toBe("permit");
    expect(await verdict(p, berlin, pkt("2026-03-16T00:00"))).toBe("permit");
  });

  it("Month is one month of the year", async () => {
    const p = loadOk(block("December", 0x400, { Month: "dword:c" }), berlin);
    expect(await verdict(p, berlin, pkt("2026-12-01T00:00"))).toBe("deny");
    expect(await verdict(p, berlin, pkt("2026-11-30T23:59"))).toBe("permit");
    // 23:30 UTC on 30 November is already December in Berlin.
    expect(await verdict(p, berlin, pkt("2026-11-30T23:30Z"))).toBe("deny");
  });

  it("all the time masks together must all hold", async () => {
    const p = loadOk(block("Xmas", 0x780, { HourStart: "dword:9", HourEnd: "dword:c", DayOfWeek: "dword:10", Day: "dword:18", Month: "dword:c" }), berlin);
    expect(await verdict(p, berlin, pkt("2026-12-24T10:00"))).toBe("deny"); // Thursday 24 December
    expect(await verdict(p, berlin, pkt("2026-12-24T12:00"))).toBe("permit");
    expect(await verdict(p, berlin, pkt("2026-12-17T10:00"))).toBe("permit");
    expect(await verdict(p, berlin, pkt("2027-12-24T10:00"))).toBe("permit"); // a Friday
  });
});
