// A POSIX ustar archive of a few plain files, as the appliance image's flash
// disk holds its configuration (the image's init unpacks it with busybox tar).
// Only what the flash needs: regular files with short names, no directories,
// no links; the archive ends with the two zero blocks tar expects.

const BLOCK = 512;

export interface TarEntry {
  name: string; // a plain file name (no "/"), at most 100 bytes
  data: Uint8Array;
}

function octal(value: number, width: number): string {
  // width includes the terminating NUL
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, mtimeS: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length === 0 || nameBytes.length > 100 || name.includes("/")) throw new Error(`tar: bad file name ${JSON.stringify(name)}`);
  nameBytes.copy(h, 0);
  h.write(octal(0o644, 8), 100, "ascii"); // mode
  h.write(octal(0, 8), 108, "ascii"); // uid
  h.write(octal(0, 8), 116, "ascii"); // gid
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(mtimeS, 12), 136, "ascii");
  h.write("        ", 148, "ascii"); // the checksum counts its own field as spaces
  h.write("0", 156, "ascii"); // a regular file
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}

/** The archive's bytes: each file's header and data (padded to 512), then two zero blocks. */
export function tarArchive(entries: TarEntry[], mtimeS = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e.name, e.data.length, mtimeS), Buffer.from(e.data));
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
