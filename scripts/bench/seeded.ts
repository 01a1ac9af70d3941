/**
 * Deterministic randomness for the synthetic data: the same seed gives the same
 * root filesystem, the same night's changes and so the same figures, run after
 * run. Bulk bytes come from an AES-CTR keystream (fast, and as incompressible as
 * real media); choices come from a small integer generator.
 */
import { createCipheriv, createHash } from "node:crypto";

/** mulberry32: small, fast, good enough to pick files and sizes. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** Log-uniform integer in [lo, hi]: many small values, a few large ones, as file sizes are. */
  logUniform(lo: number, hi: number): number {
    return Math.round(Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo))));
  }
}

/** `n` incompressible bytes, determined by `label` (e.g. a path and a night). */
export function noise(label: string, n: number): Buffer {
  const key = createHash("sha256").update(label).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(n)), cipher.final()]);
}

// 256 words, so one keystream byte picks one: text that deflate shrinks about as
// much as configuration files, man pages and logs (roughly 3:1).
const WORDS = (() => {
  const stems = ["server", "client", "config", "value", "enable", "listen", "socket", "module", "include", "access",
    "error", "warning", "notice", "debug", "request", "response", "header", "timeout", "path", "user", "group", "cache",
    "session", "php", "mail", "queue", "domain", "cert", "daemon", "option"];
  const out: Buffer[] = [];
  for (let i = 0; out.length < 256; i++) {
    const stem = stems[i % stems.length] as string;
    const suffix = i < stems.length ? "" : String(i);
    out.push(Buffer.from(`${stem}${suffix}${i % 11 === 0 ? "\n" : i % 5 === 0 ? " = " : " "}`));
  }
  return out;
})();

/** About `n` bytes (exactly `n`) of word text determined by `label`. */
export function text(label: string, n: number): Buffer {
  const picks = noise(`text:${label}`, Math.ceil(n / 4) + 16);
  const out = Buffer.allocUnsafe(n + 32);
  let at = 0;
  for (let i = 0; at < n; i++) {
    const word = WORDS[picks[i % picks.length] as number] as Buffer;
    word.copy(out, at);
    at += word.length;
  }
  return out.subarray(0, n);
}

/** Binary-like bytes: half text, half low-entropy noise, in 4 KiB runs (executables, libraries). */
export function binary(label: string, n: number): Buffer {
  const out = Buffer.from(text(`bin:${label}`, n));
  const bits = noise(`bin-noise:${label}`, n);
  for (let run = 4096; run < n; run += 8192) {
    const end = Math.min(n, run + 4096);
    for (let i = run; i < end; i++) out[i] = (bits[i] as number) & 0x3f;
  }
  return out;
}
