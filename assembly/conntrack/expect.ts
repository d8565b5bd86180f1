// Expectations (pinholes): connections a session said would come
// (AllowFutureConnect, conntrack-layout.ts "Expectation record"). Live ones
// sit packed in a table of MAX_EXPECTATIONS; the host writes a request into
// the staging record. A pinhole ends when its time runs out, when its
// session ends (unless address-based), or when it is used (unless it allows
// several connections).
import { T_PROTO, T_FAMILY, T_SPORT, T_DPORT, T_IF_OUT, T_SRC, T_DST, R_ACTION, R_TESTS, ACTION_DENY, TEST_SPORT, TEST_DPORT, PROTO_TCP, PROTO_UDP } from "../layout";
import {
  EXP_SIZE, E_FAMILY, E_PROTO, E_FLAGS, E_DPORT, E_SPORT, E_CLIENT, E_DST, E_CREATED, E_EXPIRES, E_IF_OUT,
  E_MASTER, E_MASTER_GEN, E_USES, E_ID, MAX_EXPECTATIONS, ANY_IFACE, NO_FLOW, TO_EXPECT,
  AFC_ADDRESS_BASED, AFC_ALLOW_MULTIPLE, AFC_TIMEOUT, AFC_BIDIRECTIONAL, AFC_ALL, AFC_GRANTED, AFC_INVALID_ARGS,
  ST_EXPECT_GRANTED, ST_EXPECT_EXPIRED, ST_EXPECT_DROPPED,
} from "../conntrack-layout";
import { clock, advanceClock, bump, ensureTable, sessionAlive, timeoutNs } from "./table";
import { sameAddr } from "./key";
import { ruleAt } from "../program/access";

const exps: usize = heap.alloc(MAX_EXPECTATIONS * EXP_SIZE);
/** Live expectations (some may have lapsed since the last packet). */
export let expCount: u32 = 0;
let expSerial: u32 = 0;
const expStaging: usize = heap.alloc(EXP_SIZE);

export function ctExpectPtr(): usize {
  return exps;
}

export function ctExpectCount(): u32 {
  return expCount;
}

/** The staging record: the host writes an AllowFutureConnect request here; a grant writes E_ID back. */
export function ctExpectStaging(): usize {
  return expStaging;
}

/** Expectation `i` of the table. */
// @ts-ignore: decorator
@inline export function expectationAt(i: u32): usize {
  return exps + <usize>i * EXP_SIZE;
}

export function clearExpectations(): void {
  expCount = 0;
}

function expectAlive(e: usize, now: u64): bool {
  let exp = load<u64>(e, E_EXPIRES);
  if (exp != 0 && now > exp) {
    bump(ST_EXPECT_EXPIRED);
    return false;
  }
  if ((load<u8>(e, E_FLAGS) & AFC_ADDRESS_BASED) == 0 && !sessionAlive(load<u32>(e, E_MASTER), load<u32>(e, E_MASTER_GEN), now)) {
    bump(ST_EXPECT_DROPPED);
    return false;
  }
  return true;
}

export function removeExpectation(i: u32): void {
  expCount--;
  if (i != expCount) memory.copy(exps + <usize>i * EXP_SIZE, exps + <usize>expCount * EXP_SIZE, EXP_SIZE);
}

/** Remove every expectation dead at `now`. */
export function sweepExpectations(now: u64): void {
  let i: u32 = 0;
  while (i < expCount) {
    if (!expectAlive(exps + <usize>i * EXP_SIZE, now)) removeExpectation(i);
    else i++;
  }
}

/** The index of the live expectation the packet of tuple `t` fulfils, or -1 (dead ones met are removed). */
export function matchExpectation(t: usize, now: u64): i32 {
  let proto = <u32>load<u8>(t, T_PROTO);
  let family = <u32>load<u8>(t, T_FAMILY);
  let sport = <u32>load<u16>(t, T_SPORT);
  let dport = <u32>load<u16>(t, T_DPORT);
  let ifOut = <u32>load<u8>(t, T_IF_OUT);
  let i: u32 = 0;
  while (i < expCount) {
    let e = exps + <usize>i * EXP_SIZE;
    if (!expectAlive(e, now)) {
      removeExpectation(i);
      continue;
    }
    if (<u32>load<u8>(e, E_PROTO) == proto && <u32>load<u8>(e, E_FAMILY) == family
      && <u32>load<u16>(e, E_DPORT) == dport
      && (load<u16>(e, E_SPORT) == 0 || <u32>load<u16>(e, E_SPORT) == sport)
      && (<u32>load<u8>(e, E_IF_OUT) == <u32>ANY_IFACE || <u32>load<u8>(e, E_IF_OUT) == ifOut)
      && sameAddr(e + E_CLIENT, t + T_SRC) && sameAddr(e + E_DST, t + T_DST)) {
      return <i32>i;
    }
    i++;
  }
  return -1;
}

/**
 * Does deny rule `idx` name a service (test a port)? Only such a rule
 * conflicts with a pinhole ("conflicts with the protocol rules"): a catch-all
 * "deny everything else" rule plays the part of a default, which a pinhole
 * exists to open.
 */
export function denyNamesService(p: usize, idx: i32): bool {
  if (idx < 0) return false;
  let r = ruleAt(p, <u32>idx);
  return load<u8>(r, R_ACTION) == ACTION_DENY && (<u32>load<u16>(r, R_TESTS) & (TEST_SPORT | TEST_DPORT)) != 0;
}

/**
 * Check the staged expectation's arguments (the part of AllowFutureConnect
 * that needs no rules): AFC_GRANTED if they are valid.
 */
export function expectValidate(nowNs: u64): u32 {
  advanceClock(nowNs);
  let e = expStaging;
  let flags = <u32>load<u8>(e, E_FLAGS);
  let proto = <u32>load<u8>(e, E_PROTO);
  let family = <u32>load<u8>(e, E_FAMILY);
  if ((flags & ~AFC_ALL) != 0) return AFC_INVALID_ARGS;
  if ((flags & AFC_TIMEOUT) != 0 && (flags & AFC_ALLOW_MULTIPLE) != 0) return AFC_INVALID_ARGS;
  if (proto != PROTO_TCP && proto != PROTO_UDP) return AFC_INVALID_ARGS;
  if ((flags & AFC_BIDIRECTIONAL) != 0 && proto != PROTO_UDP) return AFC_INVALID_ARGS;
  if (family != 4 && family != 6) return AFC_INVALID_ARGS;
  if (load<u16>(e, E_DPORT) == 0) return AFC_INVALID_ARGS;
  if ((flags & AFC_ADDRESS_BASED) == 0 && !sessionAlive(load<u32>(e, E_MASTER), load<u32>(e, E_MASTER_GEN), clock)) return AFC_INVALID_ARGS;
  return AFC_GRANTED;
}

/**
 * Add the staged (validated) expectation; a full table drops its oldest one.
 * Its serial is written back to the staging record's E_ID and returned.
 */
export function expectInsert(): u32 {
  ensureTable();
  if (expCount >= <u32>MAX_EXPECTATIONS) {
    let oldest: u32 = 0;
    for (let i: u32 = 1; i < expCount; i++) {
      if (load<u64>(exps + <usize>i * EXP_SIZE, E_CREATED) < load<u64>(exps + <usize>oldest * EXP_SIZE, E_CREATED)) oldest = i;
    }
    removeExpectation(oldest);
    bump(ST_EXPECT_DROPPED);
  }
  let e = exps + <usize>expCount * EXP_SIZE;
  memory.copy(e, expStaging, EXP_SIZE);
  let flags = <u32>load<u8>(e, E_FLAGS);
  store<u64>(e, clock, E_CREATED);
  store<u64>(e, (flags & AFC_TIMEOUT) != 0 ? clock + timeoutNs(TO_EXPECT) : 0, E_EXPIRES);
  if (flags & AFC_ADDRESS_BASED) store<u32>(e, NO_FLOW, E_MASTER);
  store<u32>(e, 0, E_USES);
  store<u32>(e, ++expSerial, E_ID);
  store<u32>(expStaging, expSerial, E_ID);
  expCount++;
  bump(ST_EXPECT_GRANTED);
  return expSerial;
}

/** Remove the expectation with serial `id`; false if there is none. */
export function ctExpectCancel(id: u32): bool {
  for (let i: u32 = 0; i < expCount; i++) {
    if (load<u32>(exps + <usize>i * EXP_SIZE, E_ID) == id) {
      removeExpectation(i);
      return true;
    }
  }
  return false;
}
