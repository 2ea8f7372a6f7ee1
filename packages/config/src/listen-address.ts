/**
 * Undefined when `text` is a listen address `host:port` (host may be empty for every interface,
 * a name, an IPv4 address or a bracketed IPv6 address; port 0-65535), else what is wrong.
 */
export function listenAddressProblem(text: string): string | undefined {
  const m = /^(\[[0-9A-Fa-f:.%a-zA-Z]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(text);
  if (m === null || Number(m[2]) > 65535) {
    return `${JSON.stringify(text)} is not a listen address (expected host:port, e.g. 127.0.0.1:6732, [::1]:6732 or :6732 for every interface)`;
  }
  return undefined;
}

/** Undefined when `text` is an absolute http(s) URL. The value is not echoed (it may hold credentials). */
export function httpUrlProblem(text: string): string | undefined {
  let url: URL;
  if (!text.includes('://')) {
    return 'is not a URL (expected http://host:port/path or https://…; a bare host:port needs http:// in front)';
  }
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL (expected http://host:port/path or https://…; a bare host:port needs the http:// in front)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must be an http:// or https:// URL (got the ${url.protocol.replace(':', '')} scheme)`;
  }
  return undefined;
}
