import { SafetensorsError } from './errors';

/** A parsed JSON value. Objects are Maps: they keep the file's key order (plain objects put integer-like keys first) and `__proto__` is just a key. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export type JsonObject = Map<string, Json>;

/** A safetensors header nests three deep (header → tensor → shape); anything much deeper is hostile. */
const MAX_DEPTH = 8;

/**
 * Parses a safetensors header: strict JSON (RFC 8259) that, unlike `JSON.parse`, rejects
 * duplicate keys (two readers must never disagree about which entry counts) and nesting
 * deeper than {@link MAX_DEPTH}, and names the character where parsing failed.
 */
export function parseHeaderJson(text: string): Json {
  const p = new Parser(text);
  const value = p.value(0);
  p.space();
  if (p.pos !== text.length) p.fail(`unexpected ${p.here()} after the end of the header object`);
  return value;
}

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(problem: string): never {
    throw new SafetensorsError('header-json', `header is not valid JSON: ${problem} (character ${this.pos})`);
  }

  /** The current character, quoted, for messages. */
  here(): string {
    return this.pos >= this.text.length ? 'end of header' : JSON.stringify(this.text[this.pos]);
  }

  space(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.pos++;
    }
  }

  value(depth: number): Json {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.space();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(`unexpected ${this.here()}, expected a value`);
  }

  object(depth: number): Json {
    const out: JsonObject = new Map();
    this.pos++; // {
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') this.fail(`expected a key string, found ${this.here()}`);
      const key = this.string();
      if (out.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`);
      this.space();
      if (this.text[this.pos] !== ':') this.fail(`expected ":" after key ${JSON.stringify(key)}, found ${this.here()}`);
      this.pos++;
      out.set(key, this.value(depth + 1));
      this.space();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') {
        this.pos--;
        this.fail(`expected "," or "}" in an object, found ${this.here()}`);
      }
    }
  }

  array(depth: number): Json {
    const out: Json[] = [];
    this.pos++; // [
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.space();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') {
        this.pos--;
        this.fail(`expected "," or "]" in an array, found ${this.here()}`);
      }
    }
  }

  string(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) break; // closing quote
      if (c < 0x20) this.fail(`control character U+${c.toString(16).padStart(4, '0')} inside a string`);
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(start, this.pos);
      out += this.escape();
      start = this.pos;
    }
    out += t.slice(start, this.pos);
    this.pos++;
    return out;
  }

  /** Reads the escape at pos (a backslash) and returns the character it stands for. */
  private escape(): string {
    const e = this.text[this.pos + 1];
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (e !== undefined && Object.hasOwn(simple, e)) {
      this.pos += 2;
      return simple[e];
    }
    if (e === 'u') {
      const hex = this.text.slice(this.pos + 2, this.pos + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`bad \\u escape "\\u${hex}"`);
      this.pos += 6;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.fail(`bad escape "\\${e ?? ''}"`);
  }

  number(): number {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (m === null) return this.fail(`bad number starting with ${this.here()}`);
    const next = this.text[this.pos + m[0].length];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) this.fail(`bad number ${JSON.stringify(m[0] + next)}`);
    this.pos += m[0].length;
    return Number(m[0]);
  }
}
