// wax as a user gets it: `npm pack` of this repository installed into a fresh project folder
// (offline: the package has no runtime dependencies), for the tests of what the tarball carries.
//
//   const project = await installPackage();   // { dir, tarball, files, remove() }
//   // project.dir/node_modules/wax-ml is the installed package; project.dir/package.json is "type": "module"
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);

/** `npm pack --dry-run` of the repository: the paths the tarball would hold. */
export async function packedFiles() {
  const { stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT });
  return JSON.parse(stdout)[0].files.map((file) => file.path);
}

/** Packs the repository (without its prepack build: js/dist must be built) and installs the tarball into a new project. */
export async function installPackage() {
  const dir = await mkdtemp(join(tmpdir(), 'wax-user-'));
  try {
    const { stdout } = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 ** 2 });
    const [{ filename, files }] = JSON.parse(stdout);
    const tarball = join(dir, filename);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'wax-user', private: true, type: 'module' }));
    await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: dir });
    return { dir, tarball, files: files.map((file) => file.path), remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
