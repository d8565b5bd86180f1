// Splits PortMaster config text into lines of words, each word with its
// 1-based column, so every diagnostic can point at the word it is about.
// `#` or `;` starts a comment (neither can occur in a valid word).

export interface Token {
  text: string;
  lower: string; // keywords are case-insensitive, as on the ComOS command line
  column: number;
}

export interface SourceLine {
  line: number;
  tokens: Token[];
  text: string; // the command without surrounding blanks or comment
  column: number; // of its first word
}

export function lexLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const cut = raw.search(/[#;]/);
    const body = cut < 0 ? raw : raw.slice(0, cut);
    const tokens: Token[] = [];
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(body)) !== null) tokens.push({ text: m[0], lower: m[0].toLowerCase(), column: m.index + 1 });
    if (tokens.length === 0) continue;
    out.push({ line: i + 1, tokens, text: body.trim(), column: tokens[0].column });
  }
  return out;
}
