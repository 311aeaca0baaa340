import { SafetensorsError } from './errors';

/** A safetensors header nests three deep (header → tensor → shape); anything much deeper is hostile. */
const MAX_DEPTH = 8;
/** Longest quote of the file's text in a message. */
const QUOTE_CHARS = 40;
/** Characters decoded per String.fromCharCode call when a string has escapes. */
const CHUNK = 8192;
/** The code unit of each one-character escape (`\\n` → 0x0a), by the escape character's code; 0: not one. */
const SIMPLE_ESCAPES = new Uint16Array(0x80);
for (const [c, unit] of Object.entries({ '"': 0x22, '\\': 0x5c, '/': 0x2f, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09 })) SIMPLE_ESCAPES[c.charCodeAt(0)] = unit;

/**
 * A pull reader of strict JSON (RFC 8259) for safetensors headers. The caller walks the
 * header's schema (`firstKey`/`nextKey`, `firstElement`/`nextElement`, `string`,
 * `unsignedInteger`, `numberText`) and `skip`s what it does not
 * expect, so nothing is built that the caller does not keep: a header costs its text plus what
 * the caller makes of it. Unlike `JSON.parse` it rejects duplicate keys (two readers must
 * never disagree about which entry counts; a caller walking an object calls `duplicate`),
 * lone UTF-16 surrogates in `\u` escapes, and
 * nesting deeper than {@link MAX_DEPTH}; numbers come back as their source text, so the
 * caller decides which spellings it accepts. Errors name the character where reading failed.
 */
export class JsonReader {
  pos = 0;
  /** Where the last key read began. */
  keyAt = 0;

  constructor(private readonly text: string) {}

  fail(problem: string, at = this.pos): never {
    throw new SafetensorsError('header-json', `header is not valid JSON: ${problem} (character ${at})`);
  }

  /** Skips whitespace and returns the next character ('' at the end of the text). */
  peek(): string {
    const t = this.text;
    let i = this.pos;
    for (let c = t.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = t.charCodeAt(++i));
    this.pos = i;
    return t[i] ?? '';
  }

  /** The current character, quoted, for messages. */
  here(): string {
    return this.pos >= this.text.length ? 'end of header' : JSON.stringify(this.text[this.pos]);
  }

  /** Fails unless only whitespace is left. */
  end(): void {
    if (this.peek() !== '') this.fail(`unexpected ${this.here()} after the end of the header object`);
  }

  /** The source text from `from` to the current position, for messages (long text is cut). */
  source(from: number): string {
    const s = this.text.slice(from, Math.min(this.pos, from + QUOTE_CHARS + 1));
    return s.length > QUOTE_CHARS ? `${s.slice(0, QUOTE_CHARS - 3)}...` : s;
  }

  /** Reads `{` and the first key: returns the key, the reader then before its value, or undefined for `{}`. */
  firstKey(): string | undefined {
    if (this.peek() !== '{') this.fail(`expected an object, found ${this.here()}`);
    this.pos++;
    if (this.peek() !== '}') return this.key();
    this.pos++;
    return undefined;
  }

  /** After a member's value: reads "," and the next key, or "}" and returns undefined. */
  nextKey(): string | undefined {
    const c = this.peek();
    this.pos++;
    if (c === '}') return undefined;
    if (c !== ',') this.unexpected('"," or "}" in an object');
    return this.key();
  }

  /** Fails for a key seen before in the same object: two readers must never disagree about which entry counts. */
  duplicate(key: string): never {
    return this.fail(`duplicate key ${quote(key)}`, this.keyAt);
  }

  /** Reads `[`: true if an element follows (the reader is before it), false for `[]`. */
  firstElement(): boolean {
    if (this.peek() !== '[') this.fail(`expected an array, found ${this.here()}`);
    this.pos++;
    if (this.peek() !== ']') return true;
    this.pos++;
    return false;
  }

  /** After an element: reads "," (true: another element follows) or "]" (false). */
  nextElement(): boolean {
    const c = this.peek();
    this.pos++;
    if (c === ']') return false;
    if (c !== ',') this.unexpected('"," or "]" in an array');
    return true;
  }

  private key(): string {
    if (this.peek() !== '"') this.fail(`expected a key string, found ${this.here()}`);
    this.keyAt = this.pos;
    const key = this.string();
    if (this.peek() !== ':') this.fail(`expected ":" after key ${quote(key)}, found ${this.here()}`);
    this.pos++;
    return key;
  }

  /** Fails on the character just read. */
  private unexpected(expected: string): never {
    this.pos--;
    return this.fail(`expected ${expected}, found ${this.here()}`);
  }

  /** Reads a string (the reader is at its opening quote). */
  string(): string {
    const t = this.text;
    const start = this.pos + 1;
    for (let i = start; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22 || c === 0x5c || c < 0x20) {
        this.pos = i;
        if (c === 0x22) return t.slice(start, this.pos++);
        if (c === 0x5c) return this.escapedString(start);
        this.fail(`control character U+${c.toString(16).padStart(4, '0')} inside a string`);
      }
    }
    this.pos = t.length;
    return this.fail('unterminated string');
  }

  /** The slow path of {@link string} once an escape is found: UTF-16 code units go into a buffer (never one string per escape). */
  private escapedString(start: number): string {
    const t = this.text;
    const units = new Uint16Array(this.closingQuote() - start); // an escape never decodes longer than it is written
    let n = 0;
    for (let i = start; i < this.pos; i++) units[n++] = t.charCodeAt(i);
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c < 0x20) this.fail(`control character U+${c.toString(16).padStart(4, '0')} inside a string`);
      if (c !== 0x5c) {
        units[n++] = c;
        this.pos++;
        continue;
      }
      const unit = this.escape();
      if (unit >= 0xdc00 && unit <= 0xdfff) this.fail(`lone low surrogate "${t.slice(this.pos - 6, this.pos)}" (not after a high surrogate)`, this.pos - 6);
      units[n++] = unit;
      if (unit < 0xd800 || unit > 0xdbff) continue;
      const at = this.pos - 6;
      const low = t[this.pos] === '\\' && t[this.pos + 1] === 'u' ? this.escape() : -1;
      if (low < 0xdc00 || low > 0xdfff) this.fail(`lone high surrogate "${t.slice(at, at + 6)}" (not followed by a low surrogate escape)`, at);
      units[n++] = low;
    }
    this.pos++;
    let out = '';
    for (let i = 0; i < n; i += CHUNK) out += String.fromCharCode.apply(null, units.subarray(i, Math.min(n, i + CHUNK)) as unknown as number[]);
    return out;
  }

  /** Where the string the reader is inside ends, without decoding it. */
  private closingQuote(): number {
    const t = this.text;
    for (let i = this.pos; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22) return i;
      if (c === 0x5c) i++;
    }
    return this.fail('unterminated string');
  }

  /** Reads the escape at pos (a backslash) and returns the UTF-16 code unit it stands for. */
  private escape(): number {
    const t = this.text;
    const e = t.charCodeAt(this.pos + 1);
    const simple = e < 0x80 ? SIMPLE_ESCAPES[e] : 0;
    if (simple !== 0) {
      this.pos += 2;
      return simple;
    }
    if (e !== 0x75) return this.fail(`bad escape "\\${t[this.pos + 1] ?? ''}"`); // u
    let unit = 0;
    for (let i = this.pos + 2; i < this.pos + 6; i++) {
      const digit = hexDigit(t.charCodeAt(i));
      if (digit < 0) this.fail(`bad \\u escape "\\u${t.slice(this.pos + 2, this.pos + 6)}"`);
      unit = unit * 16 + digit;
    }
    this.pos += 6;
    return unit;
  }

  /** Reads a number and returns its source text, e.g. `"8"`, `"-0"`, `"1e400"`: the caller decides which spellings it accepts. */
  numberText(): string {
    const start = this.pos;
    this.pos = this.numberEnd();
    return this.text.slice(start, this.pos);
  }

  /**
   * Reads an unsigned integer literal (`0`, or digits without a leading zero) below 2^53 and
   * returns its value; returns -1 and reads nothing if the next value is anything else
   * (another spelling, a larger number, not a number).
   */
  unsignedInteger(): number {
    this.peek();
    const t = this.text;
    let i = this.pos;
    let value = 0;
    if (t.charCodeAt(i) === 0x30) i++;
    else for (let c = t.charCodeAt(i); c >= 0x30 && c <= 0x39; c = t.charCodeAt(++i)) value = value * 10 + (c - 0x30);
    if (i === this.pos || value > Number.MAX_SAFE_INTEGER || continuesNumber(t.charCodeAt(i))) return -1; // beyond 2^53 the sum rounds, but never below 2^53
    this.pos = i;
    return value;
  }

  /** Where the number at pos ends, checked against JSON's grammar. */
  private numberEnd(): number {
    const t = this.text;
    const start = this.pos;
    let i = t.charCodeAt(start) === 0x2d ? start + 1 : start; // -
    const integerEnd = t.charCodeAt(i) === 0x30 ? i + 1 : digits(t, i);
    if (integerEnd === i) this.fail(`bad number starting with ${this.here()}`);
    i = integerEnd;
    if (t.charCodeAt(i) === 0x2e) {
      const end = digits(t, i + 1); // .
      if (end === i + 1) this.fail(`bad number ${quote(t.slice(start, end + 1))}`);
      i = end;
    }
    if (t.charCodeAt(i) === 0x65 || t.charCodeAt(i) === 0x45) {
      const sign = t.charCodeAt(i + 1) === 0x2b || t.charCodeAt(i + 1) === 0x2d ? 1 : 0; // e, E, then + or -
      const end = digits(t, i + 1 + sign);
      if (end === i + 1 + sign) this.fail(`bad number ${quote(t.slice(start, end + 1))}`);
      i = end;
    }
    if (continuesNumber(t.charCodeAt(i))) this.fail(`bad number ${quote(t.slice(start, i + 1))}`);
    return i;
  }

  /** Reads (and so checks) any value without building it. `depth`: how deep the value is nested. */
  skip(depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const c = this.peek();
    if (c === '{') {
      const keys = new Set<string>();
      for (let key = this.firstKey(); key !== undefined; key = this.nextKey()) {
        if (keys.has(key)) this.duplicate(key);
        keys.add(key);
        this.skip(depth + 1);
      }
      return;
    }
    if (c === '[') {
      for (let more = this.firstElement(); more; more = this.nextElement()) this.skip(depth + 1);
      return;
    }
    if (c === '"') return void this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return void (this.pos = this.numberEnd());
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.pos)) return void (this.pos += word.length);
    }
    this.fail(`unexpected ${this.here()}, expected a value`);
  }
}

/** The value of a hex digit's character code; -1 if it is not one. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57; // a-f
  if (c >= 0x41 && c <= 0x46) return c - 0x37; // A-F
  return -1;
}

/** Index after the run of digits at `i`. */
function digits(t: string, i: number): number {
  while (i < t.length && t.charCodeAt(i) >= 0x30 && t.charCodeAt(i) <= 0x39) i++;
  return i;
}

/** Whether a character would continue a number (a digit, `.`, `e`, `E`, `+`, `-`): after a complete number it makes the token malformed. */
function continuesNumber(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** A string from the file, JSON-quoted for a message (long strings are cut). */
export function quote(s: string): string {
  return s.length > QUOTE_CHARS ? `${JSON.stringify(s.slice(0, QUOTE_CHARS - 3))}...` : JSON.stringify(s);
}
