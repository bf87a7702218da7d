import { isIP } from "node:net";

/** Options for {@link hostAllowList}. */
export interface HostAllowListOptions {
  /**
   * `server.allowed_hosts`: host names (`pluto.example.com`), subdomain wildcards (`*.example.com`,
   * which does not match `example.com` itself) or `"*"` (any host: the check is off). Compared without
   * port and case-insensitively. @default []
   */
  allowedHosts?: readonly string[];
  /** `server.public_url`: its host name is allowed too. */
  publicUrl?: string;
}

/**
 * Builds the check of a request's `Host` against the names this server answers to (the DNS rebinding
 * defence): loopback names (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`), any IP literal (a page
 * that rebinds its own DNS name still sends that name, never an address), the host of `publicUrl`, and
 * `allowedHosts`.
 * @returns a function of a `Host` header value (`name`, `name:port`, `[v6]:port`) that is true when allowed;
 *   an empty or malformed value is refused.
 */
export function hostAllowList(options: HostAllowListOptions = {}): (host: string) => boolean {
  const entries = (options.allowedHosts ?? []).map((entry) => entry.toLowerCase().replace(/\.$/, ""));
  if (entries.includes("*")) return () => true;
  const exact = new Set(entries.filter((entry) => !entry.startsWith("*.")));
  const suffixes = entries.filter((entry) => entry.startsWith("*.")).map((entry) => entry.slice(1));
  if (options.publicUrl !== undefined) exact.add(new URL(options.publicUrl).hostname.toLowerCase());
  return (host) => {
    const name = hostnameOf(host);
    if (name === undefined) return false;
    if (isLoopbackName(name) || isIP(name.replace(/^\[|\]$/g, "")) !== 0) return true;
    return exact.has(name) || suffixes.some((suffix) => name.endsWith(suffix));
  };
}

/**
 * The lower-case host name of a `Host` header value, without port or trailing dot (`[::1]` keeps its
 * brackets); `undefined` when the value is not a valid host.
 */
export function hostnameOf(host: string): string | undefined {
  if (host === "" || /[\s/@?#\\]/.test(host)) return undefined;
  try {
    const name = new URL(`http://${host}`).hostname.toLowerCase().replace(/\.$/, "");
    return name === "" ? undefined : name;
  } catch {
    return undefined;
  }
}

function isLoopbackName(name: string): boolean {
  return (
    name === "localhost" ||
    name.endsWith(".localhost") ||
    name === "[::1]" ||
    /^127(\.\d{1,3}){3}$/.test(name)
  );
}
