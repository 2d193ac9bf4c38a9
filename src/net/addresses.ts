/**
 * Which IP addresses a server-side fetch may connect to. Pure: parses the address text into
 * bytes and matches it against the special-purpose ranges (IANA registries, RFC 6890), so
 * that a URL naming (or resolving to) loopback, private, link-local, multicast or otherwise
 * non-public space is refused before any connection is made.
 */
import net from 'node:net';

/** The kind of an address; only 'public' may be fetched from without an allow-list entry. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'multicast'
  | 'unspecified'
  | 'shared'
  | 'broadcast'
  | 'reserved'
  | 'invalid';

/** A range: the leading bytes of its prefix, its length in bits, its class. */
type Rule = readonly [prefix: readonly number[], bits: number, cls: AddressClass];

// Most specific first: the first rule that matches decides.
const IPV4_RULES: readonly Rule[] = [
  [[0, 0, 0, 0], 32, 'unspecified'],
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[0], 8, 'reserved'], // "this network"
  [[127], 8, 'loopback'],
  [[10], 8, 'private'],
  [[172, 16], 12, 'private'],
  [[192, 168], 16, 'private'],
  [[100, 64], 10, 'shared'], // carrier-grade NAT
  [[169, 254], 16, 'link-local'],
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved'],
  [[192, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2], 24, 'reserved'], // documentation
  [[198, 51, 100], 24, 'reserved'],
  [[203, 0, 113], 24, 'reserved'],
  [[198, 18], 15, 'reserved'], // benchmarking
];

const IPV6_RULES: readonly Rule[] = [
  [[], 128, 'unspecified'], // :: (all zero bytes)
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0xfc], 7, 'private'], // unique local
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'reserved'], // site-local, deprecated
  [[0xff], 8, 'multicast'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'], // documentation
  [[0x20, 0x01, 0, 0], 32, 'reserved'], // Teredo: tunnels to an address we cannot check
  [[0x01, 0, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard
];

/** Whether `bytes` starts with the `bits` leading bits of `prefix` (missing prefix bytes are 0). */
function matches(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i]! & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The four bytes of a dotted-quad IPv4 address, or null. */
function ipv4Bytes(text: string): number[] | null {
  if (!net.isIPv4(text)) return null;
  return text.split('.').map(Number);
}

/** The sixteen bytes of an IPv6 address (with an optional dotted IPv4 tail), or null. */
function ipv6Bytes(text: string): number[] | null {
  if (!net.isIPv6(text)) return null;
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  const v4 = ipv4Bytes(text.slice(lastColon + 1));
  // A dotted IPv4 tail ("::ffff:10.0.0.1") is the last two groups.
  if (v4) hex = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  const [left, right] = hex.includes('::') ? hex.split('::') : [hex, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const l = groups(left);
  const r = groups(right);
  const all = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  if (all.length !== 8) return null;
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** Classify IPv4 bytes. */
function classifyV4(bytes: readonly number[]): AddressClass {
  for (const [prefix, bits, cls] of IPV4_RULES) if (matches(bytes, prefix, bits)) return cls;
  return 'public';
}

/** The class of an IP address (IPv4 or IPv6 text, an IPv6 zone suffix ignored). */
export function classifyAddress(address: string): AddressClass {
  const text = address.replace(/%.*$/, '');
  const v4 = ipv4Bytes(text);
  if (v4) return classifyV4(v4);
  const b = ipv6Bytes(text);
  if (!b) return 'invalid';
  for (const [prefix, bits, cls] of IPV6_RULES) if (matches(b, prefix, bits)) return cls;
  // Forms that carry an IPv4 address reach that address: judge them by it.
  if (matches(b, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96)) return classifyV4(b.slice(12)); // IPv4-mapped
  if (matches(b, [0, 0x64, 0xff, 0x9b], 96)) return classifyV4(b.slice(12)); // NAT64
  if (matches(b, [0x20, 0x02], 16)) return classifyV4(b.slice(2, 6)); // 6to4
  if (matches(b, [], 96)) return 'reserved'; // IPv4-compatible, deprecated
  // Only 2000::/3 is allocated as global unicast; anything else is not a public host.
  return matches(b, [0x20], 3) ? 'public' : 'reserved';
}

/** Words for a class in an error message ("a private address"). */
export function describeClass(cls: AddressClass): string {
  switch (cls) {
    case 'shared':
      return 'a shared (carrier-grade NAT) address';
    case 'unspecified':
      return 'the unspecified address';
    case 'broadcast':
      return 'the broadcast address';
    case 'invalid':
      return 'not an IP address';
    default:
      return `${/^[aeiou]/.test(cls) ? 'an' : 'a'} ${cls} address`;
  }
}
