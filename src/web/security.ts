// The rules that keep the approval page for its human only: a secret token
// per start, the Host header a loopback name (DNS rebinding), and no request
// from another origin. Pure functions, so they are tested on their own.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: the secret in the page's URL. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant time whatever the candidate's length: both sides are hashed
 * first, so neither the content nor the length of the token leaks. */
export function tokenMatches(token: string, candidate: string | null | undefined): boolean {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 512) return false;
  const a = createHash('sha256').update(token).digest();
  const b = createHash('sha256').update(candidate).digest();
  return timingSafeEqual(a, b);
}

/** The token from an `Authorization: Bearer TOKEN` header, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  const m = /^Bearer[ \t]+([A-Za-z0-9_-]+)[ \t]*$/.exec(header ?? '');
  return m ? m[1]! : null;
}

/** The Host values a browser sends for this server: a DNS name that resolves
 * elsewhere and later to 127.0.0.1 (rebinding) carries its own name here. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function hostAllowed(host: string | null | undefined, port: number): boolean {
  return typeof host === 'string' && allowedHosts(port).includes(host.toLowerCase());
}

/** A request's Origin is acceptable when it is absent (curl, other front
 * ends, same-origin GETs) or exactly the origin the request was sent to. */
export function originAllowed(origin: string | null | undefined, host: string): boolean {
  if (origin === null || origin === undefined) return true;
  return origin.toLowerCase() === `http://${host.toLowerCase()}`;
}

/** Fetch metadata: a browser says where a request came from. Anything but
 * this origin (or the user typing the URL) is refused. */
export function fetchSiteAllowed(site: string | null | undefined): boolean {
  return site === null || site === undefined || site === 'same-origin' || site === 'none';
}

/** Cookies are per host, not per port: two brokers on 127.0.0.1 must not
 * share (or overwrite) each other's cookie. */
export function cookieName(port: number): string {
  return `execgate_${port}`;
}

/** The page's Content-Security-Policy (for hono's secureHeaders): only our
 * own files, no inline code, no HTML sinks at all (Trusted Types with no
 * policy), no plugins, no framing, forms go nowhere. */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  manifestSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
  requireTrustedTypesFor: ["'script'"],
  trustedTypes: ["'none'"],
};
