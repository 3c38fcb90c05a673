// Installs the locked dependencies when node_modules is missing or older than
// package-lock.json, so `npm start` and `npm test` work on a fresh clone with
// nothing but Node and npm, and cost nothing extra once installed.
import { execSync } from 'node:child_process';
import { statSync } from 'node:fs';

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

const installed = mtime('node_modules/.package-lock.json');
if (installed < 0 || installed < mtime('package-lock.json')) {
  console.error('corio: installing dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund --loglevel=error', { stdio: 'inherit' });
}
