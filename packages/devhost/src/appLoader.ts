import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { globby } from 'globby';
import { DevhostError } from './config.js';

interface PackageJson {
  main?: string;
  type?: string;
}

/** The entry files named by package.json `main`, which (as in the Node worker) may be a glob. */
export async function resolveEntryFiles(appDir: string): Promise<{ files: string[]; type: string | undefined }> {
  const pkgFile = join(appDir, 'package.json');
  if (!existsSync(pkgFile))
    throw new DevhostError(`${pkgFile} not found: the app directory needs a package.json whose "main" names its entry`);
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as PackageJson;
  } catch (error) {
    throw new DevhostError(`${pkgFile}: ${(error as Error).message}`);
  }
  const main = pkg.main ?? 'index.js';
  const files = (await globby(main, { cwd: appDir, absolute: true })).sort();
  if (files.length === 0) {
    const hint = /dist|build|out/.test(main) ? ' (has the app been built?)' : '';
    throw new DevhostError(`Found zero files matching the supplied pattern "${main}" in ${appDir} (package.json "main")${hint}`);
  }
  return { files, type: pkg.type };
}

function isEsm(file: string, type: string | undefined): boolean {
  const ext = extname(file);
  return ext === '.mjs' || (ext !== '.cjs' && type === 'module');
}

/** Loads every entry file the way the worker does: `import()` for ESM, `require` for CommonJS. */
export async function loadApp(appDir: string): Promise<string[]> {
  const { files, type } = await resolveEntryFiles(appDir);
  const requireFromApp = createRequire(join(resolve(appDir), 'package.json'));
  for (const file of files) {
    try {
      if (isEsm(file, type)) await import(pathToFileURL(file).href);
      else requireFromApp(file);
    } catch (error) {
      const err = error as Error;
      const where = (err.stack ?? '').split('\n').slice(0, 6).join('\n');
      throw new DevhostError(`Worker was unable to load entry point "${relative(appDir, file) || file}": ${err.message}\n${where}`);
    }
  }
  return files;
}
