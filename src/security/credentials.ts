// Where a request's API key comes from: `X-API-Key: <key>` or `Authorization: Bearer <key>` (scheme
// case-insensitive). Never the query string: URLs end up in access logs, proxies and browser history.
//
// Header names arrive lower-cased from uWebSockets.js, whose getHeader() returns '' for an absent
// header (treated as absent here) and only the *first* value of a repeated header: a request with
// two X-API-Key headers is judged on the first one.

/** Anything that reads a request header by lower-case name; '' or undefined mean absent. */
export interface HeaderReader {
  get(name: string): string | undefined;
}

export type CredentialProblem =
  /** No X-API-Key and no Bearer authorization. */
  | 'missing'
  /** X-API-Key and Authorization: Bearer both present with different keys. */
  | 'conflict'
  /** A Bearer authorization with no token, or a token containing whitespace. */
  | 'malformed';

export type Credentials = { readonly key: string; readonly problem?: undefined } | { readonly key?: undefined; readonly problem: CredentialProblem };

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;
const BEARER_SCHEME = /^bearer(?:[ \t]|$)/i;

/** The presented key, or why there is none. The key is the caller's to keep out of logs. */
export function readCredentials(headers: HeaderReader): Credentials {
  const apiKey = present(headers.get('x-api-key'));
  const authorization = present(headers.get('authorization'));
  let bearer: string | undefined;
  if (authorization !== undefined && BEARER_SCHEME.test(authorization)) {
    const match = BEARER.exec(authorization);
    if (match?.[1] === undefined) return { problem: 'malformed' };
    bearer = match[1];
  }
  // Another Authorization scheme (Basic, added by a proxy, say) is not ours: it is ignored.
  if (apiKey !== undefined && bearer !== undefined) return apiKey === bearer ? { key: apiKey } : { problem: 'conflict' };
  const key = apiKey ?? bearer;
  return key === undefined ? { problem: 'missing' } : { key };
}

/** The presented key, or undefined when there is none usable (missing, conflicting or malformed). */
export function presentedKey(headers: HeaderReader): string | undefined {
  return readCredentials(headers).key;
}

function present(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
