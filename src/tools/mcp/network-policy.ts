import net from "node:net";
import type { SecurityConfig } from "../../config/pluto-config.js";

/**
 * Which addresses a tenant-trust agent's URL MCP servers may reach (docs/security.md, "Network"). Private,
 * loopback, link-local, CGNAT, unique-local, unspecified, multicast, reserved and translation ranges are
 * denied unless `security.network.allow` names them; `security.network.deny` adds to the list and always
 * wins. IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are checked as their IPv4 address (`net.BlockList`
 * does this). Rules are IPs, CIDRs, host names or `*.domain` (every subdomain).
 */
export interface NetworkPolicy {
  /**
   * Why `host` may not be contacted at all, judged by its name (a denied name, `localhost`, or an IP literal
   * that is refused), or `undefined` when only its resolved addresses decide.
   */
  hostRefusal(host: string): string | undefined;
  /** Why `address` (an IP literal) resolved for `host` may not be connected to, or `undefined`. */
  addressRefusal(host: string, address: string): string | undefined;
}

/** Ranges denied to tenant-trust connections by default, each with the words used in refusals. */
const DEFAULT_DENIED: ReadonlyArray<readonly [string, string]> = [
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "carrier-grade NAT"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["::/96", "IPv4-compatible"],
  ["64:ff9b::/96", "NAT64"],
  ["64:ff9b:1::/48", "NAT64"],
  ["100::/64", "discard"],
  ["2001::/32", "Teredo"],
  ["2001:db8::/32", "documentation"],
  ["2002::/16", "6to4"],
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  ["ff00::/8", "multicast"],
];

/** Builds the policy from `security.network`. */
export function createNetworkPolicy(rules: SecurityConfig["network"]): NetworkPolicy {
  const allow = compileRules(rules.allow);
  const deny = compileRules(rules.deny);
  const defaults = DEFAULT_DENIED.map(([cidr, label]) => ({ label, list: blockListOf([cidr]) }));

  const addressRefusal = (host: string, address: string): string | undefined => {
    const family = net.isIP(address) === 6 ? "ipv6" : "ipv4";
    const shown = host === address ? address : `${host} (${address})`;
    if (deny.addresses.check(address, family) || deny.matchesName(host)) {
      return `${shown} is denied by security.network.deny in pluto.yaml`;
    }
    if (allow.addresses.check(address, family) || allow.matchesName(host)) return undefined;
    const range = defaults.find((entry) => entry.list.check(address, family));
    if (range === undefined) return undefined;
    return `${shown} is a ${range.label} address, which agents written through the API may not reach; the operator can allow it with security.network.allow in pluto.yaml`;
  };

  return {
    addressRefusal,
    hostRefusal(host) {
      const name = normalizeHost(host);
      if (net.isIP(name) !== 0) return addressRefusal(name, name);
      if (deny.matchesName(name)) return `${name} is denied by security.network.deny in pluto.yaml`;
      if (allow.matchesName(name)) return undefined;
      if (name === "localhost" || name.endsWith(".localhost")) {
        return `${name} is a loopback name, which agents written through the API may not reach; the operator can allow it with security.network.allow in pluto.yaml`;
      }
      return undefined;
    },
  };
}

/** A URL's host as compared with rules: lowercase, without IPv6 brackets or a trailing dot. */
export function normalizeHost(host: string): string {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return bare.toLowerCase().replace(/\.$/, "");
}

function compileRules(rules: readonly string[]): {
  addresses: net.BlockList;
  matchesName(host: string): boolean;
} {
  const names = rules.filter((rule) => !rule.includes("/") && net.isIP(rule) === 0).map(normalizeHost);
  const addresses = blockListOf(rules.filter((rule) => rule.includes("/") || net.isIP(rule) !== 0));
  return {
    addresses,
    matchesName(host) {
      const name = normalizeHost(host);
      return names.some((rule) => (rule.startsWith("*.") ? name.endsWith(rule.slice(1)) : name === rule));
    },
  };
}

function blockListOf(rules: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const rule of rules) {
    const [address = "", prefix] = rule.split("/");
    const type = net.isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}
