/**
 * A tiny terminal emulator for tests: replays the bytes a program wrote to a pty and returns
 * the lines left on the screen. Knows what cli-progress and readline emit: CR, LF, cursor
 * up/down/column (CSI A/B/G), erase in line (CSI K) and erase below (CSI J).
 */
export function screenOf(output: string): string[] {
  const rows: string[][] = [[]];
  let r = 0;
  let c = 0;
  const row = () => (rows[r] ??= []);
  let i = 0;
  while (i < output.length) {
    const ch = output[i];
    if (ch === '\x1b') {
      const m = /^\x1b\[(\??)([0-9;]*)([A-Za-z])/.exec(output.slice(i, i + 16)); // eslint-disable-line no-control-regex
      if (m === null) {
        i += output[i + 1] === '7' || output[i + 1] === '8' ? 2 : 1;
        continue;
      }
      i += m[0].length;
      if (m[1] === '?') continue; // cursor visibility, line wrapping
      const n = m[2] === '' ? undefined : Number(m[2].split(';')[0]);
      switch (m[3]) {
        case 'A':
          r = Math.max(0, r - (n ?? 1));
          break;
        case 'B':
          r += n ?? 1;
          break;
        case 'G':
          c = (n ?? 1) - 1;
          break;
        case 'K':
          if ((n ?? 0) === 0) row().length = Math.min(row().length, c);
          else if (n === 2) rows[r] = [];
          break;
        case 'J':
          row().length = Math.min(row().length, c);
          rows.length = r + 1;
          break;
      }
      continue;
    }
    i++;
    if (ch === '\r') c = 0;
    else if (ch === '\n') {
      r++;
      row();
    } else {
      const line = row();
      while (line.length < c) line.push(' ');
      line[c++] = ch;
    }
  }
  return rows.map((l) => (l ?? []).join('').trimEnd());
}
