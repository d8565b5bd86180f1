// Where a command writes. The real CLI uses the process's streams; tests pass
// buffers and run commands in-process.
export interface IO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

export const processIO: IO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
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
