import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** A fixed "now" for archive names, and two mtimes the round trip must keep. */
export const NOW = () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
export const T1 = new Date(Date.UTC(2023, 5, 1, 12, 0, 0));
export const T2 = new Date(Date.UTC(2022, 1, 3, 4, 5, 6));

/** The runbook's files, a nested folder, a link inside the workspace; `.env.production.SECURE` missing. */
export async function makeWorkspace(root: string): Promise<string> {
  const ws = join(root, 'ws');
  const put = async (rel: string, text: string, mode: number, mtime = T1) => {
    await fs.mkdir(join(ws, rel, '..'), { recursive: true });
    await fs.writeFile(join(ws, rel), text);
    await fs.chmod(join(ws, rel), mode);
    await fs.utimes(join(ws, rel), mtime, mtime);
  };
  await put('docker-compose.yml', 'services:\n  db:\n    image: postgres:16\n', 0o644);
  await put('.env', 'POSTGRES_PASSWORD=hunter2\n', 0o600, T2);
  await put('docker/nginx.conf', 'server { listen 80; }\n', 0o640);
  await put('backend/alembic/versions/001_init.py', 'revision = "001"\n', 0o644);
  await put('backend/alembic/versions/002_users.py', 'revision = "002"\n', 0o755, T2);
  await put('backend/alembic/versions/sub/003_deep.py', 'revision = "003"\n', 0o600);
  await put('backend/alembic/versions/sub/empty.py', '', 0o644);
  await fs.symlink('001_init.py', join(ws, 'backend/alembic/versions/latest.py'));
  await fs.mkdir(join(ws, 'backend/alembic/versions/emptydir'));
  await fs.utimes(join(ws, 'backend/alembic/versions/sub'), T2, T2);
  await fs.utimes(join(ws, 'backend/alembic/versions'), T1, T1);
  return ws;
}
