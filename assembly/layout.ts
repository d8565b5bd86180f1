// The one byte layout of Portcullis: the compiled rule program, the packet
// batch region, the parsed header tuple and the result records.
//
// This file is imported by BOTH the AssemblyScript matcher and the TypeScript
// host (encoder, disassembler, reference tooling), so it uses only syntax the
// two languages share: `export const NAME = <integer literal>;`. Nothing else
// may go in here. test/layout.test.ts checks that the compiled WebAssembly
// module reports the same values (it exports them through `layoutValue`).
//
// All multi-byte fields are little-endian (WebAssembly's native order).
// IP addresses are stored as 32-bit words in HOST order: an IPv4 address is
// word 0; an IPv6 address is words 0..3, most significant first. Prefixes are
// stored pre-masked together with their masks, so a test is `(a & m) == p`.
//
// ---------------------------------------------------------------------------
// Program (written by host/engine/encode.ts, validated by assembly/program/validate.ts)
//
//   +--------------------------------------------------------------+ 0
//   | header (PROGRAM_HEADER_SIZE bytes)                           |
//   +--------------------------------------------------------------+ RULESETS at hdr.rulesetsOffset
//   | ruleset table: rulesetCount x RULESET_SIZE                   |
//   +--------------------------------------------------------------+ BINDINGS at hdr.bindingsOffset
//   | binding table: ifaceCount x BINDING_SIZE                     |
//   +--------------------------------------------------------------+ RULES at hdr.rulesOffset
//   | rule records: ruleCount x RULE_SIZE (global rule index order)|
//   +--------------------------------------------------------------+ hdr.totalLength
//
// Header:
//   0  u32 magic            PROGRAM_MAGIC ("PCLP")
//   4  u16 version          PROGRAM_VERSION
//   6  u16 headerSize       PROGRAM_HEADER_SIZE
//   8  u32 ruleCount
//  12  u32 rulesetCount
//  16  u32 ruleSize         RULE_SIZE
//  20  u32 rulesetsOffset
//  24  u32 bindingsOffset
//  28  u32 rulesOffset
//  32  u32 totalLength      whole program, header included
//  36  u16 ifaceCount
//  38  u16 flags            (reserved, 0)
//  40  u32 checksum         FNV-1a 32 over bytes [PROGRAM_HEADER_SIZE, totalLength)
//  44  u16 monitorRuleset   NO_RULESET, or a ruleset whose first matching rule
//                           marks the packet for logging without deciding it
//                           (Windows CE's LOG rules)
//  46..63 reserved, 0
export const PROGRAM_MAGIC = 0x504c4350;
export const PROGRAM_VERSION = 1;
export const PROGRAM_HEADER_SIZE = 64;
export const HDR_MAGIC = 0;
export const HDR_VERSION = 4;
export const HDR_HEADER_SIZE = 6;
export const HDR_RULE_COUNT = 8;
export const HDR_RULESET_COUNT = 12;
export const HDR_RULE_SIZE = 16;
export const HDR_RULESETS_OFFSET = 20;
export const HDR_BINDINGS_OFFSET = 24;
export const HDR_RULES_OFFSET = 28;
export const HDR_TOTAL_LENGTH = 32;
export const HDR_IFACE_COUNT = 36;
export const HDR_FLAGS = 38;
export const HDR_CHECKSUM = 40;
export const HDR_MONITOR_RULESET = 44;
export const MAX_RULES = 4194304;
export const MAX_RULESETS = 65534;
export const MAX_IFACES = 254;

// Ruleset record: an ordered list of rules (a slice of the rule records) and
// the verdicts that apply when none matches, one per packet direction.
//   0  u32 firstRule
//   4  u32 ruleCount
//   8  u8  defaultInbound   VERDICT_*
//   9  u8  defaultOutbound
//  10  u8  defaultOther     (neither private->public nor public->private)
//  11  u8  flags            RS_STATEFUL
//  12  u32 reserved
export const RULESET_SIZE = 16;
export const RS_FIRST_RULE = 0;
export const RS_RULE_COUNT = 4;
export const RS_DEFAULT_INBOUND = 8;
export const RS_DEFAULT_OUTBOUND = 9;
export const RS_DEFAULT_OTHER = 10;
export const RS_FLAGS = 11;
export const RS_STATEFUL = 1;

// Binding record, one per interface (index = interface id): the ruleset a
// packet arriving on the interface passes (input) and the one a packet
// leaving by it passes (output). NO_RULESET: nothing bound, the stage permits.
//   0  u16 inputRuleset
//   2  u16 outputRuleset
export const BINDING_SIZE = 4;
export const BIND_INPUT = 0;
export const BIND_OUTPUT = 2;
export const NO_RULESET = 0xffff;

// Rule record, RULE_SIZE bytes. The first 32 bytes hold everything an IPv4
// 5-tuple rule needs, so the linear scan touches one half cache line for it.
//   0  u16 tests        TEST_* bits: which fields this rule tests
//   2  u8  action       ACTION_*
//   3  u8  marks        MARK_* bits
//   4  u8  family       4 or 6 (tested when TEST_FAMILY)
//   5  u8  proto
//   6  u8  srcLen       prefix length (for printing; the mask is what is used)
//   7  u8  dstLen
//   8  u32 src0         source prefix word 0, pre-masked
//  12  u32 srcMask0
//  16  u32 dst0
//  20  u32 dstMask0
//  24  u16 sportLo      inclusive range; op NEQ negates it
//  26  u16 sportHi
//  28  u16 dportLo
//  30  u16 dportHi
//  32  u8  ifIn         interface id (tested when TEST_IFIN)
//  33  u8  ifOut
//  34  u8  icmpType
//  35  u8  icmpCode
//  36  u8  flagsMask    TCP flags test
//  37  u8  flagsValue
//  38  u8  sportOp      PORT_OP_*
//  39  u8  dportOp
//  40  u8  flagsMode    FLAGS_ALL: (f & mask) == value; FLAGS_ANY: (f & mask) != 0
//  41  u8  reserved
//  42  u16 minuteFrom   time window, local minutes since midnight, inclusive
//  44  u16 minuteTo     inclusive; from > to wraps past midnight
//  46  u16 monthMask    bit m-1 for month m (1..12)
//  48  u32 dayMask      bit d-1 for day of month d (1..31)
//  52  u8  dowMask      bit 0 Sunday .. bit 6 Saturday
//  53..63 reserved
//  64  u32 src1, src2, src3        IPv6 words 1..3 (0 for IPv4)
//  76  u32 srcMask1, srcMask2, srcMask3
//  88  u32 dst1, dst2, dst3
// 100  u32 dstMask1, dstMask2, dstMask3
// 112  u32 ruleset      the ruleset this rule belongs to
// 116..127 reserved
export const RULE_SIZE = 128;
export const R_TESTS = 0;
export const R_ACTION = 2;
export const R_MARKS = 3;
export const R_FAMILY = 4;
export const R_PROTO = 5;
export const R_SRC_LEN = 6;
export const R_DST_LEN = 7;
export const R_SRC0 = 8;
export const R_SRC_MASK0 = 12;
export const R_DST0 = 16;
export const R_DST_MASK0 = 20;
export const R_SPORT_LO = 24;
export const R_SPORT_HI = 26;
export const R_DPORT_LO = 28;
export const R_DPORT_HI = 30;
export const R_IF_IN = 32;
export const R_IF_OUT = 33;
export const R_ICMP_TYPE = 34;
export const R_ICMP_CODE = 35;
export const R_FLAGS_MASK = 36;
export const R_FLAGS_VALUE = 37;
export const R_SPORT_OP = 38;
export const R_DPORT_OP = 39;
export const R_FLAGS_MODE = 40;
export const R_MINUTE_FROM = 42;
export const R_MINUTE_TO = 44;
export const R_MONTH_MASK = 46;
export const R_DAY_MASK = 48;
export const R_DOW_MASK = 52;
export const R_SRC1 = 64;
export const R_SRC_MASK1 = 76;
export const R_DST1 = 88;
export const R_DST_MASK1 = 100;
export const R_RULESET = 112;

export const TEST_FAMILY = 1;
export const TEST_PROTO = 2;
export const TEST_SRC = 4;
export const TEST_DST = 8;
export const TEST_SPORT = 16;
export const TEST_DPORT = 32;
export const TEST_ICMP_TYPE = 64;
export const TEST_ICMP_CODE = 128;
export const TEST_FLAGS = 256;
export const TEST_IFIN = 512;
export const TEST_IFOUT = 1024;
export const TEST_TIME = 2048;
export const TEST_ALL = 4095;
// The layer-4 tests: a non-first fragment cannot be tested on these.
export const TEST_L4 = 496;

export const ACTION_PERMIT = 0;
export const ACTION_DENY = 1;

export const MARK_LOG = 1;
export const MARK_NOTIFY = 2;
export const MARK_KEEP_STATE = 4;
export const MARK_SRC_NEG = 8;
export const MARK_DST_NEG = 16;
export const MARK_ALL = 31;

export const PORT_OP_ANY = 0;
export const PORT_OP_EQ = 1;
export const PORT_OP_NEQ = 2;
export const PORT_OP_LT = 3;
export const PORT_OP_GT = 4;
export const PORT_OP_RANGE = 5;

export const FLAGS_ALL = 0;
export const FLAGS_ANY = 1;

export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;
export const TCP_URG = 32;

// ---------------------------------------------------------------------------
// Packet batch. The host writes packet bytes into the data region and one
// descriptor per packet; the matcher writes one result per packet.
//
// Descriptor, DESC_SIZE bytes:
//   0  u32 offset        of the packet's first byte in the data region
//   4  u32 length
//   8  u8  ifIn          interface the packet arrived on
//   9  u8  ifOut         interface it leaves by
//  10  u8  dir           DIR_*
//  11  u8  linkType      LINK_ETHERNET or LINK_RAW_IP
//  12  u16 minuteOfDay   local time, for TEST_TIME
//  14  u8  dayOfWeek     0 = Sunday
//  15  u8  day           1..31
//  16  u8  month         1..12
//  17..23 reserved
//  24  u64 timeNs        packet timestamp (ns since the epoch)
export const DESC_SIZE = 32;
export const D_OFFSET = 0;
export const D_LENGTH = 4;
export const D_IF_IN = 8;
export const D_IF_OUT = 9;
export const D_DIR = 10;
export const D_LINK = 11;
export const D_MINUTE = 12;
export const D_DOW = 14;
export const D_DAY = 15;
export const D_MONTH = 16;
export const D_TIME_NS = 24;

export const DIR_INBOUND = 0;
export const DIR_OUTBOUND = 1;
export const DIR_OTHER = 2;

export const LINK_ETHERNET = 0;
export const LINK_RAW_IP = 1;

// Parsed header tuple, TUPLE_SIZE bytes: what the parser extracts from a
// packet and what the matcher tests. `classifyTuples` takes these directly
// (ClassBench traces are headers, not packets).
//   0  u8  family        4 or 6
//   1  u8  proto
//   2  u8  frag          FRAG_*
//   3  u8  has           HAS_* bits (HAS_ND: neighbour discovery, never filtered)
//   4  u16 sport
//   6  u16 dport
//   8  u8  icmpType
//   9  u8  icmpCode
//  10  u8  tcpFlags
//  11  u8  dir
//  12  u8  ifIn
//  13  u8  ifOut
//  14  u8  reason        REASON_OK or a malformed reason
//  15  u8  reserved     zero (so that equal packets give equal tuples)
//  16  u32 src[4]        host-order words (IPv4: word 0 only)
//  32  u32 dst[4]
//  48  u16 minuteOfDay
//  50  u8  dayOfWeek
//  51  u8  day
//  52  u8  month
//  53..55 reserved     zero
//  56  u32 length        bytes on the wire (for byte counters)
//  60  u32 l4Offset      offset of the layer-4 header within the packet
// The rest is what the connection table (assembly/conntrack/) reads; the
// rules never test it.
//  64  u64 timeNs        packet timestamp, copied from the descriptor: the
//                        table's clock, so replays and tests are deterministic
//  72  u32 tcpSeq        TCP sequence number (HAS_TCP_FLAGS)
//  76  u32 tcpAck
//  80  u16 tcpWindow     raw window field (scaling is not applied)
//  82  u16 l4Payload     TCP: segment data bytes (0 when the header is cut short)
//  84  u16 icmpId        ICMP/ICMPv6 echo identifier (HAS_ICMP_ID)
//  86  u8  innerProto    ICMP error: protocol of the embedded packet (HAS_INNER)
//  87  u8  innerFamily   4 or 6
//  88  u16 innerSport    embedded ports (embedded echo: its identifier in both)
//  90  u16 innerDport
//  92  u32 reserved
//  96  u32 innerSrc[4]   embedded packet's addresses, host-order words
// 112  u32 innerDst[4]
export const TUPLE_SIZE = 128;
export const T_FAMILY = 0;
export const T_PROTO = 1;
export const T_FRAG = 2;
export const T_HAS = 3;
export const T_SPORT = 4;
export const T_DPORT = 6;
export const T_ICMP_TYPE = 8;
export const T_ICMP_CODE = 9;
export const T_TCP_FLAGS = 10;
export const T_DIR = 11;
export const T_IF_IN = 12;
export const T_IF_OUT = 13;
export const T_REASON = 14;
export const T_SRC = 16;
export const T_DST = 32;
export const T_MINUTE = 48;
export const T_DOW = 50;
export const T_DAY = 51;
export const T_MONTH = 52;
export const T_LENGTH = 56;
/**
 * Bytes [0, T_RULE_INPUTS) of a tuple are all that any rule test, and the
 * pipeline's choice of ruleset, read: two tuples equal there have the same
 * first match in every ruleset (match.ts, sameRuleInputs).
 */
export const T_RULE_INPUTS = 56;
export const T_L4_OFFSET = 60;
export const T_TIME_NS = 64;
export const T_TCP_SEQ = 72;
export const T_TCP_ACK = 76;
export const T_TCP_WINDOW = 80;
export const T_L4_PAYLOAD = 82;
export const T_ICMP_ID = 84;
export const T_INNER_PROTO = 86;
export const T_INNER_FAMILY = 87;
export const T_INNER_SPORT = 88;
export const T_INNER_DPORT = 90;
export const T_INNER_SRC = 96;
export const T_INNER_DST = 112;

export const FRAG_NONE = 0;
export const FRAG_FIRST = 1;
export const FRAG_LATER = 2;

export const HAS_PORTS = 1;
export const HAS_ICMP = 2;
export const HAS_TCP_FLAGS = 4;
export const HAS_ICMP_ID = 8;
export const HAS_INNER = 16;
// HAS_ND: an IPv6 neighbour discovery message (RFC 4861): ICMPv6 type 133 to
// 137 directly after the IPv6 header (no extension header, no fragment) with
// hop limit 255. The bridge passes these without filtering, as it passes ARP;
// the matcher permits them before the connection table and the rules
// (REASON_NEIGHBOUR_DISCOVERY), so explain and replay say what the bridge does.
export const HAS_ND = 32;

// Result record, RESULT_SIZE bytes, one per packet:
//   0  i32 rule          global index of the deciding rule, -1 if a default decided
//   4  u8  verdict       VERDICT_*
//   5  u8  reason        REASON_*
//   6  u8  stage         STAGE_* of the deciding stage
//   7  u8  marks         MARK_* of the deciding rule
//   8  i32 inputRule     rule matched in the input stage, -1 if none
//  12  i32 outputRule    rule matched in the output stage, -1 if none
//  16  i32 monitorRule   first matching rule of the monitor ruleset, -1 if none
//  20  i32 flow          connection-table entry of the packet's flow, -1 if none
//  24  u32 flowGen       the entry's generation: (flow, flowGen) names a session
//  28  u8  ctFlags       CTR_* bits
//  29..31 reserved
// Answers (answersPtr): beside the results, one i32 per slot, the slot's
// RES_RULE, packed by classifyTupleRange for the host to copy in one go.
export const RESULT_SIZE = 32;
export const RES_RULE = 0;
export const RES_VERDICT = 4;
export const RES_REASON = 5;
export const RES_STAGE = 6;
export const RES_MARKS = 7;
export const RES_INPUT_RULE = 8;
export const RES_OUTPUT_RULE = 12;
export const RES_MONITOR_RULE = 16;
export const RES_FLOW = 20;
export const RES_FLOW_GEN = 24;
export const RES_CT_FLAGS = 28;

// CTR_NEW: this packet created the flow. CTR_SLOW_PATH: the flow must take
// the host's slow path (an expectation with NO_KERNEL_MODE made it).
export const CTR_NEW = 1;
export const CTR_SLOW_PATH = 2;

export const VERDICT_PERMIT = 0;
export const VERDICT_DENY = 1;

export const STAGE_INPUT = 0;
export const STAGE_OUTPUT = 1;
export const STAGE_NONE = 255;

// Why a verdict was reached. Malformed-packet reasons start at 16.
export const REASON_MATCHED = 0;
export const REASON_DEFAULT = 1;
export const REASON_NO_FILTER = 2;
export const REASON_STATE = 3;
export const REASON_EXPECTED = 4;
export const REASON_RELATED = 5;
export const REASON_NO_PROGRAM = 6;
export const REASON_NEIGHBOUR_DISCOVERY = 7;
export const REASON_OK = 0;
export const REASON_MALFORMED_FIRST = 16;
export const REASON_TRUNCATED_ETHERNET = 16;
export const REASON_NOT_IP = 17;
export const REASON_TRUNCATED_IPV4 = 18;
export const REASON_BAD_VERSION = 19;
export const REASON_BAD_IHL = 20;
export const REASON_BAD_TOTAL_LENGTH = 21;
export const REASON_TRUNCATED_IPV6 = 22;
export const REASON_BAD_PAYLOAD_LENGTH = 23;
export const REASON_BAD_EXTENSION_HEADER = 24;
export const REASON_TINY_FRAGMENT = 25;
export const REASON_FRAGMENT_OVERLAP = 26;
export const REASON_TRUNCATED_L4 = 27;
export const REASON_BAD_TCP_OFFSET = 28;
export const REASON_MALFORMED_LAST = 28;

// Program validation results (loadProgram's return value).
export const LOAD_OK = 0;
export const LOAD_TOO_SHORT = 1;
export const LOAD_BAD_MAGIC = 2;
export const LOAD_BAD_VERSION = 3;
export const LOAD_BAD_HEADER = 4;
export const LOAD_BAD_LENGTH = 5;
export const LOAD_BAD_CHECKSUM = 6;
export const LOAD_BAD_RULESET = 7;
export const LOAD_BAD_BINDING = 8;
export const LOAD_BAD_RULE = 9;
export const LOAD_TOO_LARGE = 10;

// Limits the parser enforces.
export const MAX_IPV6_EXTENSIONS = 8;

// loadProgram's return value: the LOAD_* code in bits 0..7 and, for
// LOAD_BAD_RULE, the refused rule record's index + 1 in bits 8..31 (so 0 is
// LOAD_OK; MAX_RULES fits). A return value, not a second call: nothing of
// one load waits in the module for the host to fetch.
export const LOAD_CODE_MASK = 255;
export const LOAD_RULE_SHIFT = 8;

// ---------------------------------------------------------------------------
// Counters (countersPtr: one per rule; defaultCountersPtr: one per ruleset,
// for the packets its default decided), COUNTER_SIZE bytes each:
//   0  u64 packets
//   8  u64 bytes         T_LENGTH of each packet
export const COUNTER_SIZE = 16;
export const COUNTER_PACKETS = 0;
export const COUNTER_BYTES = 8;

// ---------------------------------------------------------------------------
// The hot prefilter (assembly/match.ts), inside the module only: a dense
// array, HOT_SIZE bytes per rule, derived from the rule records at load
// time. It holds a NECESSARY condition on the fields of an IPv4 5-tuple.
//   0  u32 head        the record's first word: tests | action << 16 | marks << 24
//                      (so R_TESTS, R_ACTION and R_MARKS read it too)
//   4  u8  protoMask   0xff if the rule tests the protocol, else 0
//   5  u8  proto       (pre-masked)
//   8  u32 src0        word 0 of the source prefix; 0/0 if untested or negated
//  12  u32 srcMask0
//  16  u32 dst0
//  20  u32 dstMask0
//  24  u16 sportLo     0..65535 if untested or neq
//  26  u16 sportHi
//  28  u16 dportLo
//  30  u16 dportHi
export const HOT_SIZE = 32;
export const H_HEAD = 0;
export const H_PROTO_MASK = 4;
export const H_PROTO = 5;
export const H_SRC0 = 8;
export const H_SRC_MASK0 = 12;
export const H_DST0 = 16;
export const H_DST_MASK0 = 20;
export const H_SPORT_LO = 24;
export const H_SPORT_HI = 26;
export const H_DPORT_LO = 28;
export const H_DPORT_HI = 30;

// IP protocol numbers and ICMP message types the parser and the connection
// table act on.
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;
export const PROTO_SCTP = 132;
export const PROTO_UDPLITE = 136;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

// Bytes of an address field (tuple, flow and expectation records): four
// host-order words, IPv4 in word 0.
export const ADDR_BYTES = 16;
// The last minute of a day (R_MINUTE_FROM / R_MINUTE_TO, T_MINUTE).
export const MAX_MINUTE = 1439;
