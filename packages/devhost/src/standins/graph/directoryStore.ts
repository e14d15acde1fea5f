/**
 * Where the Graph stand-in keeps tenant directories between runs: `<stateDir>/graph/directory-<tenant>.json`,
 * the same file `npm run sample-org` writes, so a generated or hand-edited organisation is served at start.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const directoryFileName = (tenantId: string) => `directory-${tenantId.toLowerCase()}.json`;
const FILE = /^directory-([0-9a-f-]{36})\.json$/i;

export class DirectoryStore {
  constructor(private readonly dir: string | undefined) {}

  /** Every stored directory file, parsed (not yet validated). */
  *stored(): Generator<{ tenantId: string; file: string; content: () => unknown }> {
    if (!this.dir || !existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir).sort()) {
      const m = FILE.exec(name);
      const path = join(this.dir, name);
      if (m) yield { tenantId: m[1]!.toLowerCase(), file: path, content: () => JSON.parse(readFileSync(path, 'utf8')) as unknown };
    }
  }

  save(tenantId: string, content: unknown): void {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, directoryFileName(tenantId));
    // Written aside and renamed, so a host killed mid-write keeps the previous directory rather than half a file.
    writeFileSync(`${path}.tmp`, JSON.stringify(content));
    renameSync(`${path}.tmp`, path);
  }

  remove(tenantId: string): void {
    if (this.dir) rmSync(join(this.dir, directoryFileName(tenantId)), { force: true });
  }
}
