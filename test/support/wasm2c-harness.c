/*
 * A native harness for the matcher translated to C by wabt's wasm2c
 * (test/wasm-outside-node.test.ts): no JavaScript engine at all.
 *   harness PROGRAM TUPLES  ->  one deciding-rule index per tuple on stdout
 * PROGRAM is a rule program as the host's encoder writes it; TUPLES are
 * header tuples of TUPLE_SIZE bytes (assembly/layout.ts). The layout values
 * come in as -D definitions from the test, read from layout.ts.
 * The module's one import, env.abort, traps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "matcher.h"
#include "wasm-rt-impl.h"

struct Z_env_instance_t { int unused; };

void Z_envZ_abort(struct Z_env_instance_t* env, u32 message, u32 file, u32 line, u32 column) {
  (void)env; (void)message; (void)file;
  fprintf(stderr, "harness: abort at line %u column %u\n", line, column);
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

static unsigned char* slurp(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char* buf = malloc(*len ? *len : 1);
  if (!buf || fread(buf, 1, *len, f) != *len) { fprintf(stderr, "harness: cannot read %s\n", path); exit(2); }
  fclose(f);
  return buf;
}

static int32_t load_i32(const u8* p) {
  return (int32_t)((u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24);
}

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: harness PROGRAM TUPLES\n"); return 2; }
  size_t plen, tlen;
  unsigned char* program = slurp(argv[1], &plen);
  unsigned char* tuples = slurp(argv[2], &tlen);
  if (tlen % TUPLE_SIZE) { fprintf(stderr, "harness: tuples are not a multiple of %d bytes\n", TUPLE_SIZE); return 2; }
  u32 count = (u32)(tlen / TUPLE_SIZE);

  wasm_rt_init();
  Z_matcher_init_module();
  static Z_matcher_instance_t m;
  struct Z_env_instance_t env;
  Z_matcher_instantiate(&m, &env);
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) { fprintf(stderr, "harness: trap: %s\n", wasm_rt_strerror(trap)); return 3; }

  u32 p = Z_matcherZ_stagingBuffer(&m, (u32)plen);
  if (p == 0) { fprintf(stderr, "harness: program too large\n"); return 3; }
  memcpy(Z_matcherZ_memory(&m)->data + p, program, plen); /* memory may have grown: ask for it after each call */
  u32 code = Z_matcherZ_loadProgram(&m, (u32)plen);
  if (code != LOAD_OK) { fprintf(stderr, "harness: program refused, code %u\n", code); return 3; }
  u32 t = Z_matcherZ_tupleBuffer(&m, count);
  memcpy(Z_matcherZ_memory(&m)->data + t, tuples, tlen);
  Z_matcherZ_classifyTuples(&m, count);
  u32 r = Z_matcherZ_resultsPtr(&m);
  const u8* mem = Z_matcherZ_memory(&m)->data;
  for (u32 i = 0; i < count; i++) printf("%d\n", load_i32(mem + r + (size_t)i * RESULT_SIZE + RES_RULE));

  Z_matcher_free(&m);
  wasm_rt_free();
  free(program);
  free(tuples);
  return 0;
}
