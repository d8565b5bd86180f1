// Where a command writes. The real CLI uses the process's streams; tests pass
// buffers and run commands in-process.
import { cleanText } from "../log/sanitize.ts";

export interface IO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

// A reader that goes away (`portcullis show big.cfg | head -1`) closes the
// pipe: the next write fails with EPIPE, reported as an 'error' event that,
// unhandled, ends the process with a stack trace. Like cat and nft, the
// command then ends quietly with status 0: nobody is left to read its output.
// A closed stderr is only noted (a running appliance keeps running).
let guarded = false;
let stdoutClosed = false;
let stderrClosed = false;

function guardStreams(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    stdoutClosed = true;
    if (e.code === "EPIPE") process.exit(0);
    stderrWrite(`portcullis: cannot write to standard output: ${e.code ?? e.message}\n`);
    process.exit(1);
  });
  process.stderr.on("error", () => {
    stderrClosed = true;
  });
}

function stderrWrite(t: string): void {
  if (!stderrClosed) process.stderr.write(t);
}

/**
 * The process's streams. Every text is cleaned (sanitize.ts): control and
 * bidi characters from config files or packets reach no terminal raw.
 */
export const processIO: IO = {
  out: (t) => {
    guardStreams();
    if (!stdoutClosed) process.stdout.write(cleanText(t));
  },
  err: (t) => {
    guardStreams();
    stderrWrite(cleanText(t));
  },
  isTTY: Boolean(process.stderr.isTTY),
};

export function bufferIO(): IO & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY: false,
    out(t: string) { io.stdout += t; },
    err(t: string) { io.stderr += t; },
  };
  return io;
}
