// Capture files: classic pcap and pcapng reading (reader.ts, one packet at a
// time), classic pcap writing (writer.ts), and what they share (format.ts).
export * from "./format.ts";
export * from "./reader.ts";
export * from "./writer.ts";
