/**
 * Which requests the console answers. It binds 127.0.0.1 only, but a page on another site can
 * still make the browser send requests there (cross-site requests), and a DNS name rebound to
 * 127.0.0.1 makes the browser send them with that name as Host (DNS rebinding). So the console
 * answers only requests whose Host is its own address and, when the browser says where a request
 * comes from (Origin, Sec-Fetch-Site), only its own pages; a write (POST) must say it.
 */

/** What the guard looks at in a request. */
export interface RequestFacts {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  /** `Sec-Fetch-Site`, which browsers send on every request: `same-origin` from the console's pages. */
  readonly fetchSite: string | undefined;
  readonly contentType: string | undefined;
}

/** The guard's answer: allowed, or refused with a status and a reason for the log and the body. */
export type Verdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly status: number; readonly reason: string };

/** The Host values the console at `port` is reached by: its address and `localhost`. */
export const ownHosts = (port: number): readonly string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

/** The origins of the console's own pages. */
export const ownOrigins = (port: number): readonly string[] => ownHosts(port).map((host) => `http://${host}`);

/**
 * Decides whether the console at `port` answers a request.
 *
 * @example
 * checkRequest({ method: 'GET', host: 'evil.example:8080', origin: undefined, fetchSite: undefined,
 *   contentType: undefined }, 8080);
 * // { allowed: false, status: 421,
 * //   reason: 'Host "evil.example:8080" is not this console (127.0.0.1:8080, localhost:8080)' }
 */
export function checkRequest(request: RequestFacts, port: number): Verdict {
  const hosts = ownHosts(port);
  const host = request.host?.toLowerCase();
  if (host === undefined || !hosts.includes(host)) {
    // 421 Misdirected Request: the name the browser used does not belong to this server.
    return {
      allowed: false,
      status: 421,
      reason: `Host "${request.host ?? ''}" is not this console (${hosts.join(', ')})`,
    };
  }
  const origins = ownOrigins(port);
  if (request.origin !== undefined && !origins.includes(request.origin.toLowerCase())) {
    return {
      allowed: false,
      status: 403,
      reason: `Origin "${request.origin}" is not this console (${origins.join(', ')})`,
    };
  }
  if (request.fetchSite !== undefined && request.fetchSite !== 'same-origin' && request.fetchSite !== 'none') {
    return {
      allowed: false,
      status: 403,
      reason: `Sec-Fetch-Site "${request.fetchSite}": only the console's own pages may call it`,
    };
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    // Browsers always send Origin with a POST; a write without it came from no page of ours.
    if (request.origin === undefined)
      return { allowed: false, status: 403, reason: `${request.method} without an Origin header is refused` };
    // application/json cannot be sent cross-site without a CORS preflight, which the console never grants.
    if (request.contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
      return { allowed: false, status: 415, reason: `${request.method} needs Content-Type application/json` };
    }
  }
  return { allowed: true };
}
