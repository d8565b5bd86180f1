// The byte layout of the connection table (assembly/conntrack/): flow
// records, expectation records, timeouts, counters and result codes. Like
// layout.ts it is imported by BOTH the AssemblyScript table and the TypeScript
// host (host/engine/wasm.ts, host/conntrack/), so it holds only
// `export const NAME = <integer literal>;`.
//
// ---------------------------------------------------------------------------
// Flow record, FLOW_SIZE bytes, `capacity` of them. A flow is keyed by its
// originator's 5-tuple; the hash index holds one entry per flow, under the
// canonical (direction-free) form of the key, so both directions find it.
//   0  u8  family
//   1  u8  proto
//   2  u8  state       CT_*
//   3  u8  flags       CTF_*
//   4  u16 sport       originator's source port (ICMP echo: the identifier)
//   6  u16 dport       (ICMP echo: the identifier again)
//   8  u32 src[4]      originator's address, host-order words
//  24  u32 dst[4]
//  40  u64 lastSeen    ns, timestamp of the last packet that refreshed it
//  48  u32 hash        of the canonical key (the index slot it started from)
//  52  u32 gen         bumped whenever the record is freed: (id, gen) is a session
//  56  u32 end0        TCP: highest sequence number + length sent by the originator
//  60  u32 end1        ... by the responder
//  64  u32 win0        TCP: largest raw window advertised by the originator
//  68  u32 win1
//  72  i32 rule        the rule whose permit created the flow, -1 if none did
//  76  u32 next        free-list link (record index + 1, 0 = end)
//  80  u64 packets     packets seen in both directions
//  88  u8  ifIn        where the originator's packets arrive
//  89  u8  ifOut
//  90  u8  dir         DIR_* of the originator's packets
//  91..95 reserved
//  96  u64 bytes       bytes seen in both directions (T_LENGTH of each packet)
// 104  u64 created     ns, timestamp of the packet that opened the flow
export const FLOW_SIZE = 112;
export const F_FAMILY = 0;
export const F_PROTO = 1;
export const F_STATE = 2;
export const F_FLAGS = 3;
export const F_SPORT = 4;
export const F_DPORT = 6;
export const F_SRC = 8;
export const F_DST = 24;
export const F_LAST_SEEN = 40;
export const F_HASH = 48;
export const F_GEN = 52;
export const F_END0 = 56;
export const F_END1 = 60;
export const F_WIN0 = 64;
export const F_WIN1 = 68;
export const F_RULE = 72;
export const F_NEXT = 76;
export const F_PACKETS = 80;
export const F_IF_IN = 88;
export const F_IF_OUT = 89;
export const F_DIR = 90;
export const F_BYTES = 96;
export const F_CREATED = 104;

// Flow states. CT_NONE is every non-TCP flow (UDP, ICMP echo, others).
export const CT_FREE = 0;
export const CT_NONE = 1;
export const CT_SYN_SENT = 2;
export const CT_SYN_RECV = 3;
export const CT_ESTABLISHED = 4;
export const CT_FIN_WAIT = 5;
export const CT_CLOSING = 6;
export const CT_CLOSED = 7;

// Flow flags.
export const CTF_REPLIED = 1;
export const CTF_FIN0 = 2;
export const CTF_FIN1 = 4;
export const CTF_SLOW_PATH = 8;
export const CTF_EXPECTED = 16;
export const CTF_ONE_WAY = 32;

// Idle timeouts, one per class, in seconds (ctSetTimeout / ctTimeout).
export const TO_TCP_OPENING = 0;
export const TO_TCP_ESTABLISHED = 1;
export const TO_TCP_CLOSING = 2;
export const TO_TCP_CLOSED = 3;
export const TO_UDP = 4;
export const TO_ICMP = 5;
export const TO_OTHER = 6;
export const TO_EXPECT = 7;
export const TO_COUNT = 8;
export const DEFAULT_TO_TCP_OPENING = 60;
export const DEFAULT_TO_TCP_ESTABLISHED = 86400;
export const DEFAULT_TO_TCP_CLOSING = 120;
export const DEFAULT_TO_TCP_CLOSED = 10;
export const DEFAULT_TO_UDP = 60;
export const DEFAULT_TO_ICMP = 30;
export const DEFAULT_TO_OTHER = 60;
export const DEFAULT_TO_EXPECT = 60;

export const DEFAULT_CAPACITY = 65536;
export const MAX_CAPACITY = 4194304;
// Eviction looks at EVICT_SCAN records from its cursor and takes the oldest
// evictable one; finding none there, it goes on up to EVICT_SCAN_MAX records
// before giving up on the new flow (which then passes untracked).
export const EVICT_SCAN = 16;
export const EVICT_SCAN_MAX = 1024;

// ---------------------------------------------------------------------------
// Expectation record (a pinhole, AllowFutureConnect), EXP_SIZE bytes. The host
// writes one into the staging record (ctExpectStaging) and calls
// ctAllowFutureConnect, which writes the granted expectation's serial back
// into the staging record's `id`; live ones sit packed in a table of
// MAX_EXPECTATIONS.
//   0  u8  family
//   1  u8  proto       6 or 17
//   2  u8  flags       AFC_* flags
//   3  u8  ifOut       egress interface the connection must use (the
//                      external address's interface), ANY_IFACE = any
//   4  u16 dport       destination port
//   6  u16 sport       source port the connection must use, 0 = any
//   8  u32 client[4]   source address of the expected connection
//  24  u32 dst[4]      destination address
//  40  u64 created     ns
//  48  u64 expires     ns, 0 = no timeout
//  56  u32 master      flow id of the session, NO_FLOW for none
//  60  u32 masterGen
//  64  u32 uses
//  68  u32 id          serial number (for the host's listing)
//  72  u8  ifIn        where the connection's first packet arrives (for the rules check)
//  73  u8  dir         its DIR_*
//  74  u8  viaOut      its egress interface (for the rules check)
//  75..79 reserved
export const EXP_SIZE = 80;
export const E_FAMILY = 0;
export const E_PROTO = 1;
export const E_FLAGS = 2;
export const E_IF_OUT = 3;
export const E_DPORT = 4;
export const E_SPORT = 6;
export const E_CLIENT = 8;
export const E_DST = 24;
export const E_CREATED = 40;
export const E_EXPIRES = 48;
export const E_MASTER = 56;
export const E_MASTER_GEN = 60;
export const E_USES = 64;
export const E_ID = 68;
export const E_IF_IN = 72;
export const E_DIR = 73;
export const E_VIA_OUT = 74;
export const MAX_EXPECTATIONS = 1024;
export const ANY_IFACE = 255;
export const NO_FLOW = 4294967295;

// AllowFutureConnect flags (FWX_FLAG_*).
export const AFC_ADDRESS_BASED = 1;
export const AFC_ALLOW_MULTIPLE = 2;
export const AFC_TIMEOUT = 4;
export const AFC_NO_KERNEL_MODE = 8;
export const AFC_BIDIRECTIONAL = 16;
export const AFC_ALL = 31;

// AllowFutureConnect results.
export const AFC_GRANTED = 0;
export const AFC_CONFLICT_PROTOCOL_RULES = 1;
export const AFC_CONFLICT_SITE_CONTENT = 2;
export const AFC_INVALID_ARGS = 3;

// ---------------------------------------------------------------------------
// Counters, u64 each, at ctStatsPtr().
export const ST_FLOWS = 0;
export const ST_CAPACITY = 1;
export const ST_CREATED = 2;
export const ST_EVICTED = 3;
export const ST_UNTRACKED = 4;
export const ST_EXPIRED = 5;
export const ST_INVALID = 6;
export const ST_STATE_HITS = 7;
export const ST_RELATED = 8;
export const ST_EXPECT_GRANTED = 9;
export const ST_EXPECT_USED = 10;
export const ST_EXPECT_EXPIRED = 11;
export const ST_EXPECT_LIVE = 12;
export const ST_EXPECT_DROPPED = 13;
export const ST_COUNT = 14;

// ctClassify outcomes (pipeline/classify.ts acts on them).
export const CT_MISS = 0;
export const CT_DECIDED = 1;
export const CT_EXPECTED = 2;

// ctClassify's answer, which the pipeline hands back to ctAfterDecide (a
// return value, not module state): the CT_* outcome in bits 0..1;
// CT_NO_CREATE (bit 2): whatever the rules say, no flow may be created (an
// ICMP error, a packet that failed its flow's checks); for CT_EXPECTED, the
// matching expectation's index in the table in bits 8..31 (CT_EXP_SHIFT).
export const CT_OUTCOME_MASK = 3;
export const CT_NO_CREATE = 4;
export const CT_EXP_SHIFT = 8;

// The flow table's lookup answer inside the module: the record index << 1,
// with bit 0 set when the packet goes the responder's way (a reply); -1 for
// no flow.
export const FOUND_REPLY = 1;

// The source port AllowFutureConnect's rules check assumes when the caller
// names none: the first of the dynamic ports (RFC 6335).
export const AFC_PROBE_SPORT = 49152;
