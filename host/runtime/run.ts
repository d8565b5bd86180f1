// `portcullis run CONFIG... --port NAME=LISTEN_HOST:PORT/PEER_HOST:PORT ...`:
// the live appliance (cli.md). Runs until SIGTERM or SIGINT; SIGHUP reloads.
import type { IO } from "../cli/io.ts";
import { parse, UsageError } from "../cli/args.ts";
import { parseHostPort } from "../model/appliance.ts";
import { parsePortSpec, PortSpecError } from "./ports.ts";
import { defaultSocketPath } from "./control.ts";
import { LiveAppliance, StartError } from "./live.ts";

export async function runCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {
    port: { type: "string", multiple: true },
    socket: { type: "string" },
    "no-socket": { type: "boolean", default: false },
    loghost: { type: "string" },
    "syslog-format": { type: "string", default: "rfc5424" },
    "send-notify": { type: "boolean", default: false },
    "notify-port": { type: "string", default: "514" },
    "unreachable-rate": { type: "string", default: "10" },
    "mac-ageing": { type: "string", default: "300" },
    watch: { type: "string", default: "1" },
    "no-ftp-helper": { type: "boolean", default: false },
  });
  if (positionals.length === 0) throw new UsageError("no configuration files given");
  let ports;
  try {
    ports = ((values.port ?? []) as string[]).map(parsePortSpec);
  } catch (e) {
    if (e instanceof PortSpecError) throw new UsageError(e.message);
    throw e;
  }
  const format = values["syslog-format"];
  if (format !== "rfc5424" && format !== "rfc3164") throw new UsageError("--syslog-format is rfc5424 or rfc3164");
  const num = (name: string, min: number, max: number) => {
    const v = Number(values[name]);
    if (!(v >= min && v <= max)) throw new UsageError(`--${name} wants a number from ${min} to ${max}`);
    return v;
  };
  let loghost: { host: string; port: number } | null | undefined;
  if (values.loghost !== undefined) {
    loghost = values.loghost === "none" ? null : parseHostPort(values.loghost, 514);
    if (loghost === undefined || (values.loghost !== "none" && !loghost)) throw new UsageError(`bad --loghost "${values.loghost}" (HOST:PORT or none)`);
  }
  const socketPath = values["no-socket"] ? null : (values.socket ?? defaultSocketPath());
  let live: LiveAppliance;
  try {
    live = await LiveAppliance.start({
      configs: positionals, values, ports, socketPath, loghost, syslogFormat: format,
      sendNotify: values["send-notify"], notifyPort: num("notify-port", 1, 65535),
      unreachableRate: num("unreachable-rate", 0, 100000), macAgeingMs: num("mac-ageing", 1, 1e6) * 1000,
      watchMs: num("watch", 0, 3600) * 1000, ftpHelper: !values["no-ftp-helper"],
      stderr: (line) => io.err(line + "\n"),
    });
  } catch (e) {
    if (e instanceof StartError) {
      io.err(`portcullis run: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  return await new Promise<number>((resolve) => {
    const onHup = () => void live.reload("SIGHUP");
    const onStop = (sig: string) => {
      process.off("SIGHUP", onHup);
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      live.stop(sig).then(() => resolve(0), () => resolve(1));
    };
    const onTerm = () => onStop("SIGTERM");
    const onInt = () => onStop("SIGINT");
    process.on("SIGHUP", onHup);
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
}
