/**
 * The package READMEs as a reader on GitHub or npm meets them: every package has one, and an
 * example a README copies from docs/examples/ (marked `<!-- docs/examples/<file>#<region> -->`
 * above the code block) is that region, character for character, so the code the tests run is
 * the code the README shows.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { root } from './entries';

const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'packages', d.name, 'package.json')))
  .map((d) => d.name);

/** The region `name` of a docs example: the lines between `// #region name` and `// #endregion name`. */
function exampleRegion(file: string, name: string): string | null {
  const text = readFileSync(join(root, 'docs', 'examples', file), 'utf8');
  const m = new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n// #endregion ${name}`).exec(text);
  return m ? m[1] : null;
}

/** Every `<!-- docs/examples/file#region -->` marker of a Markdown text with the code block below it. */
function copiedExamples(markdown: string): { file: string; region: string; code: string | null }[] {
  return [...markdown.matchAll(/^<!-- docs\/examples\/([\w.-]+)#([\w-]+) -->\n(?:```ts\n([\s\S]*?)\n```)?/gm)].map((m) => ({ file: m[1], region: m[2], code: m[3] ?? null }));
}

describe('package READMEs', () => {
  test.each(packages)('%s has a README that names the package and says how to install it', (name) => {
    const file = join(root, 'packages', name, 'README.md');
    expect(existsSync(file), `packages/${name}/README.md is missing`).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^# @trainkit/${name}\\n`));
  });

  test('an example copied from docs/examples is the region it names, character for character', () => {
    let copies = 0;
    for (const name of packages) {
      const file = join(root, 'packages', name, 'README.md');
      if (!existsSync(file)) continue;
      for (const c of copiedExamples(readFileSync(file, 'utf8'))) {
        const where = `packages/${name}/README.md, docs/examples/${c.file}#${c.region}`;
        expect(c.code, `${where}: no \`\`\`ts block right below the marker`).not.toBeNull();
        expect(c.code, `${where}: the README's copy differs from the example the tests run`).toBe(exampleRegion(c.file, c.region));
        copies++;
      }
    }
    expect(copies).toBeGreaterThanOrEqual(4);
  });

  test('the comparison notices a copy that drifted from its example', () => {
    const region = exampleRegion('readme-core.ts', 'readme');
    expect(region).not.toBeNull();
    const drifted = `<!-- docs/examples/readme-core.ts#readme -->\n\`\`\`ts\n${region?.replace('lr: 0.5', 'lr: 0.1')}\n\`\`\`\n`;
    const [copy] = copiedExamples(drifted);
    expect(copy.code).not.toBe(region);
    expect(copiedExamples('<!-- docs/examples/readme-core.ts#readme -->\ntext\n')[0].code).toBeNull();
  });
});
