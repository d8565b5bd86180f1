// `portcullis`: the command line (../shared/notes/cli.md is the contract).
import { type IO, processIO } from "./io.ts";
import { UsageError } from "./args.ts";

export const USAGE = `usage: portcullis COMMAND ...

  check    CONFIG... [--strict] [--json]                 parse and lint the rules
  show     CONFIG... [-v] [--pcap IN]                    the rules in canonical form, with provenance
  explain  CONFIG... --packet 'SPEC' [--json]            which rule decides one packet
  replay   CONFIG... --pcap IN [--pass OUT] [--drop OUT] [--in IF] [--out IF] [--loghost H:P] [--json]
  classify --classbench RULES TRACE [--engine wasm|linear|reference] [--repeat N] [--batch N] [--warmup MS] [--quiet]
  disasm   CONFIG...                                     the compiled rule program, decoded
  run      CONFIG... --port NAME=LISTEN_HOST:PORT/PEER_HOST:PORT ... [--socket PATH] [--loghost H:P] [--http H:P [--http-token FILE]]
           (or --flash DIR [--flash-device DEV] instead of CONFIG...: the configuration is the flash's, and push replaces it; --control-serial DEV)
  status   [--socket PATH] [--json] [--reload]               a running appliance's rules, counters, connections, ports
  status   --reload --dry-run [--verdict-only] [--json]      what a reload would change (as diff prints it); changes nothing
  status   --reload --confirm SECONDS | --confirm           reload, rolled back unless confirmed within SECONDS; confirm it
  push     CONFIG... [--appliance FILE] [--to SOCKET]    send a configuration to a running appliance: checked, applied, then written to its flash
  push     CONFIG... --dry-run [--verdict-only] [--json] | --confirm SECONDS   what it would change; or on trial, written to the flash once confirmed
  export   --to nft CONFIG... [--map NAME=IFNAME ...] [--lossy] [-o FILE]   an nftables script with the same verdicts
  verify   --nft FILE CONFIG... --pcap IN [--json]       the Linux kernel with FILE against Portcullis, packet by packet (root)
  diff     OLD NEW [--old MORE...] [--new MORE...] [--verdict-only] [--json]   the packets two configurations judge differently

common options: --appliance FILE  --dialect portmaster|wince|winfw|instagate  --profile NAME  --set KEY=VALUE  --allow-empty
packet SPEC: PROTO SRC[:PORT] > DST[:PORT] [in=IF] [out=IF] [flags=SA] [type=8] [code=0] [frag=none|first|later] [time=...]
`;

type Command = (argv: string[], io: IO) => Promise<number> | number;

// Each command's module is imported only when that command runs, so `--help`
// or `explain` never loads the pcap writer or the live runtime
// (test/lazy-load.test.ts).
const commands: Record<string, () => Promise<Command>> = {
  check: async () => (await import("./check.ts")).checkCommand,
  show: async () => (await import("./show.ts")).showCommand,
  explain: async () => (await import("./explain.ts")).explainCommand,
  classify: async () => (await import("./classify.ts")).classifyCommand,
  disasm: async () => (await import("./disasm.ts")).disasmCommand,
  replay: async () => (await import("./replay.ts")).replayCommand,
  run: async () => (await import("./run.ts")).runCommand,
  status: async () => (await import("./status.ts")).statusCommand,
  push: async () => (await import("./push.ts")).pushCommand,
  export: async () => (await import("./export.ts")).exportCommand,
  verify: async () => (await import("./verify.ts")).verifyCommand,
  diff: async () => (await import("./diff.ts")).diffCommand,
};

export async function main(argv: string[], io: IO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    io.out(USAGE);
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined; // "constructor" is not a command
  if (!load) {
    io.err(`portcullis: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`portcullis ${name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
