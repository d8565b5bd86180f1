// Whether a text is a Windows Firewall port-exception list (plain or a
// regedit export). Kept apart from the front end so that picking a file's
// dialect imports no parser (host/dialects/all.ts).

// PORT:TRANSPORT:...:STATUS, loosely, so that a list with typos is still
// recognised and its typos reported rather than the whole file refused.
const DEFINITION_SHAPE = /^\s*\d+\s*:\s*[A-Za-z]+\s*:.*:\s*[A-Za-z]+\s*(:|$)/;

export function detectWinfw(text: string): number {
  if (/GloballyOpenPorts/i.test(text) && /^\s*\[-?HK/im.test(text)) return 0.95;
  const lines = text.split(/\r\n|\n|\r/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) return 0;
  const shaped = lines.filter((l) => DEFINITION_SHAPE.test(l)).length;
  if (shaped === 0) return 0;
  return shaped * 2 >= lines.length ? 0.9 : 0.3 * (shaped / lines.length);
}
