// Whether a text is PortMaster filter commands. Kept apart from the front end
// so that picking a file's dialect imports no parser (host/dialects/all.ts).
export function detectPortmaster(text: string): number {
  if (/^[ \t]*(add|set|delete)[ \t]+filter[ \t]+\S+/im.test(text)) return 0.9;
  if (/^[ \t]*set[ \t]+\S+([ \t]+\S+)?[ \t]+[io]filter\b/im.test(text)) return 0.6;
  return 0;
}
