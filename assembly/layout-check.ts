// Values of the layout as compiled into this module, checked against what
// the host imports by test/layout.test.ts (ids are that test's).
import {
  PROGRAM_MAGIC, PROGRAM_VERSION, PROGRAM_HEADER_SIZE, RULE_SIZE, RULESET_SIZE, BINDING_SIZE, DESC_SIZE,
  TUPLE_SIZE, RESULT_SIZE, R_SRC1, R_DST_MASK1, T_SRC, T_DST, T_SPORT, HAS_TCP_FLAGS, REASON_BAD_TCP_OFFSET,
  TEST_L4, MARK_DST_NEG, RES_OUTPUT_RULE, D_MONTH,
} from "./layout";

export function layoutValue(id: i32): i32 {
  switch (id) {
    case 0: return PROGRAM_MAGIC;
    case 1: return PROGRAM_VERSION;
    case 2: return PROGRAM_HEADER_SIZE;
    case 3: return RULE_SIZE;
    case 4: return RULESET_SIZE;
    case 5: return BINDING_SIZE;
    case 6: return DESC_SIZE;
    case 7: return TUPLE_SIZE;
    case 8: return RESULT_SIZE;
    case 9: return R_SRC1;
    case 10: return R_DST_MASK1;
    case 11: return T_SRC;
    case 12: return T_DST;
    case 13: return T_SPORT;
    case 14: return HAS_TCP_FLAGS;
    case 15: return REASON_BAD_TCP_OFFSET;
    case 16: return TEST_L4;
    case 17: return MARK_DST_NEG;
    case 18: return RES_OUTPUT_RULE;
    case 19: return D_MONTH;
    default: return -1;
  }
}
