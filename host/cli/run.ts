// `portcullis run CONFIG... --port NAME=LISTEN_HOST:PORT/PEER_HOST:PORT ...`:
// the live appliance (cli.md). Runs until SIGTERM or SIGINT; SIGHUP reloads.
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { parseHostPort } from "../model/appliance.ts";
import { parsePortSpec, PortSpecError } from "../runtime/ports.ts";
import { defaultSocketPath } from "../runtime/control.ts";
import { LiveAppliance, StartError } from "../runtime/live.ts";
import { loadSettings } from "./common.ts";
import { flashConfiguration } from "./flash-run.ts";

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
    "fail-closed": { type: "boolean", default: false },
    http: { type: "string" },
    "http-token": { type: "string" },
    flash: { type: "string" },
    "control-serial": { type: "string" },
    "flash-device": { type: "string" },
  });
  // --flash DIR: the configuration is the flash's, and `portcullis push` replaces it (flash-run.ts).
  const flash = await flashConfiguration(values, positionals);
  if (flash) positionals.push(...flash.configs);
  else if (positionals.length === 0) throw new UsageError("no configuration files given (or --flash DIR)");
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
  let http: { host: string; port: number } | null = null;
  if (values.http !== undefined) {
    http = parseHostPort(values.http, 0);
    if (!http || http.port === 0) throw new UsageError(`bad --http "${values.http}" (HOST:PORT, e.g. 127.0.0.1:8080)`);
  } else if (values["http-token"] !== undefined) {
    throw new UsageError("--http-token goes with --http HOST:PORT");
  }
  let token: string | null = null;
  let consoleModule: typeof import("../console/server.ts") | null = null;
  if (http) {
    // The console is loaded only when asked for; its access rules are checked before anything starts.
    consoleModule = await import("../console/server.ts");
    const access = await import("../console/access.ts");
    try {
      token = values["http-token"] !== undefined ? access.readToken(values["http-token"]) : null;
      access.checkBind(http.host, token);
    } catch (e) {
      if (e instanceof access.AccessError) { io.err(`portcullis run: ${e.message}\n`); return 1; }
      throw e;
    }
  }
  const socketPath = values["no-socket"] ? null : (values.socket ?? defaultSocketPath());
  let live: LiveAppliance;
  try {
    live = await LiveAppliance.start({
      configs: positionals, load: flash ? { ...loadSettings(values), appliance: flash.appliance } : loadSettings(values), ports, socketPath, loghost, syslogFormat: format,
      sendNotify: values["send-notify"], notifyPort: num("notify-port", 1, 65535),
      unreachableRate: num("unreachable-rate", 0, 100000), macAgeingMs: num("mac-ageing", 1, 1e6) * 1000,
      watchMs: num("watch", 0, 3600) * 1000, ftpHelper: !values["no-ftp-helper"], failClosed: values["fail-closed"],
      keepPolicy: http !== null, // the console's packet tester runs the reference matcher on the full model
      stderr: (line) => io.err(line + "\n"),
    });
  } catch (e) {
    if (e instanceof StartError) {
      io.err(`portcullis run: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (flash) flash.attach(live);
  // --control-serial DEV: control requests also on a serial port (the image's virtio-serial port).
  let serial: import("../runtime/serial-control.ts").SerialControl | null = null;
  if (values["control-serial"] !== undefined) {
    try {
      serial = await (await import("../runtime/serial-control.ts")).serveSerial(values["control-serial"], (req) => live.command(req), (m) => live.log(4, m));
    } catch (e) {
      await live.stop("control port failed");
      io.err(`portcullis run: --control-serial ${values["control-serial"]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
  }
  let web: import("../console/server.ts").ConsoleServer | null = null;
  if (http && consoleModule) {
    try {
      web = await consoleModule.ConsoleServer.start(live, { host: http.host, port: http.port, token });
      live.log(6, `console on http://${http.host.includes(":") ? `[${http.host}]` : http.host}:${web.address.port}/ (read-only${token ? ", token required" : ""})`);
    } catch (e) {
      await live.stop("console failed");
      io.err(`portcullis run: --http ${values.http}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  return await new Promise<number>((resolve) => {
    const onHup = () => void live.reload("SIGHUP");
    const onStop = (sig: string) => {
      process.off("SIGHUP", onHup);
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      Promise.resolve(web?.close()).then(() => serial?.close()).then(() => live.stop(sig)).then(() => resolve(0), () => resolve(1));
      // A read blocked on the serial port would keep the process alive: leave once stopped.
      if (serial) setTimeout(() => process.exit(), 2000).unref();
    };
    const onTerm = () => onStop("SIGTERM");
    const onInt = () => onStop("SIGINT");
    process.on("SIGHUP", onHup);
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
}
