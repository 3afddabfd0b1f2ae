// SFTP off-site copies: Lifeboat against OpenSSH's scp and sftp, same file, same local sshd, same run.
// Not a test: it prints times, throughput, ratios and peak RSS for the issue notes.
// Standalone: node out/bench/sftp.js [file]   (without a file, 200 MiB of random data is made)
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { startSftpServer } from '../test/integration/sftpServer';
import { ROUNDS, Sample, best, line as sampleLine, run, runOnFile, sha256, timeCli } from './sample';

const REPO = join(__dirname, '..', '..');
const ONCE = join(__dirname, 'sftpOnce.bundle.js');

/**
 * Lifeboat's side runs bundled as the .vsix ships it: without ssh2's optional native binding
 * (left out of the bundle by scripts/build.mjs), so on Node's own crypto, not the build in node_modules.
 */
async function bundleOnce(): Promise<void> {
  await build({
    entryPoints: [join(REPO, 'bench', 'sftpOnce.ts')],
    bundle: true,
    outfile: ONCE,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
    logLevel: 'warning',
  });
}

async function timeOurs(args: string[]): Promise<Sample> {
  const { stdout } = await run(process.execPath, [ONCE, ...args]);
  return JSON.parse(stdout) as Sample;
}

const line = (label: string, bytes: number, s: Sample, reference?: Sample) => sampleLine(label, bytes, s, 44, reference, "scp's");

export async function benchSftp(file: string): Promise<void> {
  const bytes = (await fs.stat(file)).size;
  await bundleOnce();
  const server = await startSftpServer();
  try {
    const knownHosts = join(server.home, '.ssh', 'known_hosts');
    await fs.writeFile(knownHosts, `${server.hostKeyLine}\n`);
    process.env.HOME = server.home;
    const url = `sftp://${server.user}@127.0.0.1:${server.port}${server.remote}`;
    const ssh = ['-i', server.clientKey, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'BatchMode=yes'];
    const at = (path: string) => `${server.user}@127.0.0.1:${path}`;
    const name = basename(file);
    const remoteData = join(server.remote, 'database');
    await fs.mkdir(remoteData, { recursive: true });
    if (process.getuid?.() === 0) await run('chown', ['-R', `${server.user}:`, remoteData]);
    const expected = await sha256(file);
    const back = join(server.dir, 'back.bin');

    console.log(`sftp on ${file}: ${(bytes / (1 << 20)).toFixed(0)} MiB to OpenSSH on 127.0.0.1, best of ${ROUNDS}`);
    const scpUp = await best((i) => timeCli('scp', [...ssh, '-P', String(server.port), file, at(join(server.remote, `scp-${i}.bin`))]));
    const sftpUp = await best((i) =>
      timeCli('sh', [
        '-c',
        `echo 'put "${file}" "${server.remote}/sftp-${i}.bin"' | sftp -q -b - ${ssh.join(' ')} -P ${server.port} ${at('')}`,
      ]),
    );
    const oursUp = await best(() => timeOurs(['upload', url, file, server.clientKey]));
    if ((await sha256(join(remoteData, name))) !== expected) throw new Error('the uploaded copy does not match');
    const scpDown = await best(() => timeCli('scp', [...ssh, '-P', String(server.port), at(join(remoteData, name)), back]));
    const oursDown = await best(() => timeOurs(['download', url, back, server.clientKey, name]));
    if ((await sha256(back)) !== expected) throw new Error('the downloaded copy does not match');
    const oursCopy = await best(async () => {
      await fs.rm(join(remoteData, name), { force: true });
      await fs.rm(join(remoteData, `${name}.json`), { force: true });
      return timeOurs(['copy', url, file, server.clientKey]);
    });

    console.log(line('scp upload', bytes, scpUp));
    console.log(line('sftp put', bytes, sftpUp));
    console.log(line('Lifeboat SFTP upload (write, rename)', bytes, oursUp, scpUp));
    console.log(line('scp download', bytes, scpDown));
    console.log(line('Lifeboat SFTP download', bytes, oursDown, scpDown));
    console.log(line('Lifeboat Copy Off-site (upload + read back)', bytes, oursCopy, scpUp));
    console.log('(every copy matched the sha256 of the file; Copy Off-site reads the whole copy back before it counts)');
  } finally {
    await server.stop();
  }
}

// A backup name, so Copy Off-site has a place for it.
runOnFile(module, 'sms_backup_20260101_020000.sql.gz', benchSftp);
