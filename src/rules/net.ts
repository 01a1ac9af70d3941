/**
 * Address arithmetic through Node's own `net.BlockList`, so that IPv4 and IPv6
 * subnet membership is not hand-rolled.
 */
import { BlockList, isIP } from "node:net";

export type Family = "ipv4" | "ipv6";

/** A parsed `address/prefix`. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: Family;
}

/** Parses `address/prefix`; `undefined` if either part is malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = "", prefixText, extra] = text.split("/");
  if (prefixText === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const family: Family = version === 4 ? "ipv4" : "ipv6";
  const prefix = Number(prefixText);
  if (prefix > (family === "ipv4" ? 32 : 128)) return undefined;
  return { address, prefix, family };
}

/** The family of a bare address, or `undefined` if it is not one. */
export function familyOf(address: string): Family | undefined {
  const version = isIP(address);
  return version === 4 ? "ipv4" : version === 6 ? "ipv6" : undefined;
}

/** Whether `address` lies inside `subnet` (same family required). */
export function inSubnet(address: string, subnet: Cidr): boolean {
  if (familyOf(address) !== subnet.family) return false;
  const list = new BlockList();
  list.addSubnet(subnet.address, subnet.prefix, subnet.family);
  return list.check(address, subnet.family);
}

/** A canonical text form, so `2001:db8::0:1` and `2001:db8::1` compare equal. */
export function canonicalAddress(address: string): string {
  if (familyOf(address) !== "ipv6") return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** A dotted IPv4 address as one number, so that addresses can be compared and counted. */
export function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/** The dotted form of {@link ipv4ToNumber}'s number. */
export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}
