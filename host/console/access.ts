// Who may use the console. It shows the whole policy, so it is never open by
// default: on a loopback address it needs nothing more than the machine's own
// users (and a Host header naming a loopback name, against DNS rebinding);
// on any other address it needs `--http-token FILE`, presented as a bearer
// token or as the cookie the login form sets, compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { IncomingMessage } from "node:http";

export const COOKIE_NAME = "portcullis_token";
const MIN_TOKEN_LENGTH = 16;

export class AccessError extends Error {}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^::ffff:127\./i.test(h);
  return false;
}

/** The token of `--http-token FILE`: its first line, at least MIN_TOKEN_LENGTH characters. */
export function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new AccessError(`--http-token ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const token = text.split(/\r?\n/)[0].trim();
  if (token.length < MIN_TOKEN_LENGTH) throw new AccessError(`--http-token ${file}: the token must be at least ${MIN_TOKEN_LENGTH} characters on its first line`);
  if (/[^\x21-\x7e]/.test(token)) throw new AccessError(`--http-token ${file}: the token must be printable ASCII without spaces`);
  return token;
}

/** Refuse a listening address that would expose the console without a token. */
export function checkBind(host: string, token: string | null): void {
  if (!token && !isLoopback(host)) {
    throw new AccessError(`--http ${host}: the console shows the whole policy; on an address other than loopback it needs --http-token FILE`);
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();

export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  // Hashing first gives both sides one length, so the comparison's time says nothing about the token.
  return timingSafeEqual(digest(given), digest(token));
}

/** The token a request presents: `Authorization: Bearer T`, else the login cookie. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^bearer /i.test(auth)) return auth.slice(7).trim();
  const cookies = req.headers.cookie ?? "";
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE_NAME) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * A Host header the console answers: without a token, only loopback names
 * (a page elsewhere that rebinds its own name to 127.0.0.1 gets nothing);
 * with a token, any (the token is the guard).
 */
export function hostAllowed(req: IncomingMessage, token: string | null): boolean {
  if (token) return true;
  const host = req.headers.host;
  if (!host) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return isLoopback(name);
}
