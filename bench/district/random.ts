/**
 * Seeded, dependency-free randomness for the synthetic district. Everything the generator produces comes from
 * here, so the same seed always gives byte-identical files (no Date.now, no Math.random).
 */

/** 32-bit string hash (FNV-1a followed by a murmur3 finaliser), mixed with a seed. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: tiny, fast, good enough for test data. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /**
   * An independent stream named `label`. Streams are forked per concern (students, staff, devices, planting)
   * so that changing one part of the district does not reshuffle the others.
   */
  fork(label: string): Rng {
    return new Rng(hash32(label, this.seed));
  }
}

/** murmur3 finaliser of an integer mixed with a seed. */
function mix32(x: number, seed: number): number {
  return fmix32((x ^ seed) >>> 0);
}

const HEX8 = (n: number) => n.toString(16).padStart(8, '0');

/** A deterministic GUID-shaped id (version nibble 4, variant 8..b) for row `index` of kind `kind`. */
export function guid(seed: number, kind: string, index: number): string {
  const k = hash32(kind, seed);
  const a = mix32(index, k);
  const b = mix32(a ^ 0x9e3779b9, k);
  const c = mix32(b ^ 0x7f4a7c15, k);
  const d = mix32(c ^ 0x94d049bb, k ^ index);
  const h = HEX8(a) + HEX8(b) + HEX8(c) + HEX8(d);
  const variant = (((c >>> 28) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = DIGITS + LETTERS;

/** A serial-number shape: fixed prefix, then characters from one alphabet per position. */
interface SerialPattern {
  prefix: string;
  alphabets: readonly string[];
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Unique serial numbers without remembering the ones handed out: the n-th serial of a pattern is
 * (a·n + b) mod M written in the pattern's mixed radix, with gcd(a, M) = 1, which is a bijection on [0, M).
 */
export class SerialFactory {
  private readonly counters = new Map<string, number>();
  private readonly patterns: Record<string, SerialPattern> = {
    /** HP: 5CD + 4 digits + 3 letters, e.g. 5CD1234XYZ. */
    hp: { prefix: '5CD', alphabets: [DIGITS, DIGITS, DIGITS, DIGITS, LETTERS, LETTERS, LETTERS] },
    /** HP business laptops: 5CG + 7 alphanumerics. */
    hpbiz: { prefix: '5CG', alphabets: [DIGITS, DIGITS, DIGITS, ALNUM, ALNUM, ALNUM, ALNUM] },
    /** Lenovo: PF + 6 alphanumerics, e.g. PF2ABC12. */
    lenovo: { prefix: 'PF', alphabets: [ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM] },
    /** Dell service tag: 7 alphanumerics. */
    dell: { prefix: '', alphabets: [DIGITS, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM] },
    /** Acer: NXH + 2 letters + 9 digits. */
    acer: { prefix: 'NXH', alphabets: [LETTERS, LETTERS, DIGITS, DIGITS, DIGITS, DIGITS, DIGITS, DIGITS, DIGITS, DIGITS, DIGITS] },
    /** Microsoft Surface: 12 digits. */
    surface: { prefix: '0', alphabets: Array.from({ length: 11 }, () => DIGITS) },
  };

  constructor(private readonly seed: number) {}

  private readonly params = new Map<string, { m: bigint; a: bigint; b: bigint }>();

  next(kind: string): string {
    const p = this.patterns[kind];
    if (!p) throw new Error(`unknown serial pattern ${kind}`);
    let params = this.params.get(kind);
    if (!params) {
      let m = 1;
      for (const alpha of p.alphabets) m *= alpha.length;
      // A multiplier near m/φ (scrambles neighbouring n well), nudged until coprime with m.
      let a = Math.floor(m * 0.6180339887) + (hash32(`${kind}:mul`, this.seed) % 1000);
      while (gcd(a, m) !== 1) a++;
      params = { m: BigInt(m), a: BigInt(a), b: BigInt(hash32(`${kind}:add`, this.seed) % m) };
      this.params.set(kind, params);
    }
    const n = this.counters.get(kind) ?? 0;
    this.counters.set(kind, n + 1);
    if (BigInt(n) >= params.m) throw new Error(`serial pattern ${kind} exhausted`);
    let x = Number((params.a * BigInt(n) + params.b) % params.m);
    let out = '';
    for (let i = p.alphabets.length - 1; i >= 0; i--) {
      const alpha = p.alphabets[i] as string;
      out = alpha[x % alpha.length] + out;
      x = Math.floor(x / alpha.length);
    }
    return p.prefix + out;
  }
}
