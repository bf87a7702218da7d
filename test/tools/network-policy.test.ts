import { describe, expect, it } from "vitest";
import { createNetworkPolicy } from "../../src/tools/mcp/network-policy.js";

describe("createNetworkPolicy (tenant-trust URL servers)", () => {
  const policy = createNetworkPolicy({ allow: [], deny: [] });

  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.5.4", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.251", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fd12:3456::1", "unique-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::7f00:1", "IPv4-compatible"],
    ["64:ff9b::a00:1", "NAT64"],
  ])("refuses %s as %s", (address, label) => {
    expect(policy.addressRefusal("mcp.example", address)).toContain(`a ${label} address`);
    expect(policy.hostRefusal(address.includes(":") ? `[${address}]` : address)).toContain(label);
  });

  it.each(["93.184.215.14", "2606:4700:4700::1111", "::ffff:93.184.215.14"])(
    "allows the public address %s",
    (address) => {
      expect(policy.addressRefusal("mcp.example", address)).toBeUndefined();
    },
  );

  it("refuses loopback names and passes other names on to the resolved addresses", () => {
    expect(policy.hostRefusal("localhost")).toContain("loopback name");
    expect(policy.hostRefusal("api.LOCALHOST.")).toContain("loopback name");
    expect(policy.hostRefusal("mcp.example.com")).toBeUndefined();
  });

  it("lets the operator allow ranges and names, and deny anything, deny winning", () => {
    const custom = createNetworkPolicy({
      allow: ["10.20.0.0/16", "mcp.corp.example", "*.tools.example", "10.20.30.40"],
      deny: ["10.20.30.40", "93.184.215.0/24", "evil.tools.example"],
    });
    expect(custom.addressRefusal("x", "10.20.1.1")).toBeUndefined();
    expect(custom.addressRefusal("x", "10.21.1.1")).toContain("private");
    expect(custom.addressRefusal("mcp.corp.example", "192.168.1.1")).toBeUndefined();
    expect(custom.addressRefusal("a.tools.example", "127.0.0.1")).toBeUndefined();
    expect(custom.addressRefusal("x", "10.20.30.40")).toContain("security.network.deny");
    expect(custom.addressRefusal("x", "93.184.215.14")).toContain("security.network.deny");
    expect(custom.hostRefusal("evil.tools.example")).toContain("security.network.deny");
  });
});
