import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgSslSettingError, sslFromEnv } from '../../../src/core/postgres';

describe('sslFromEnv (libpq rules for PGSSLMODE and PGSSLROOTCERT)', () => {
  let home = '';
  let pem = '';
  before(async () => {
    home = await fs.mkdtemp(join(tmpdir(), 'lifeboat-pgssl-'));
    pem = join(home, 'ca.pem');
    await fs.writeFile(pem, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
  });
  after(() => fs.rm(home, { recursive: true, force: true }));

  it('prefer when nothing is set, as libpq', () => {
    assert.deepEqual(sslFromEnv({}, undefined, home), { mode: 'prefer' });
  });

  it("this process's PGSSLMODE wins over the container's", () => {
    const container = new Map([['PGSSLMODE', 'disable']]);
    assert.equal(sslFromEnv({}, container, home).mode, 'disable');
    assert.equal(sslFromEnv({ PGSSLMODE: 'require' }, container, home).mode, 'require');
  });

  it('an unknown mode is refused, naming the ones there are', () => {
    assert.throws(
      () => sslFromEnv({ PGSSLMODE: 'on' }, undefined, home),
      (err: Error) =>
        err instanceof PgSslSettingError &&
        /PGSSLMODE "on" is not an sslmode libpq knows\. Set it to one of "disable", .*"verify-full"\./.test(err.message),
    );
  });

  it('verify-ca and verify-full need a root certificate, and say where they looked', () => {
    assert.throws(
      () => sslFromEnv({ PGSSLMODE: 'verify-full' }, undefined, home),
      (err: Error) => err instanceof PgSslSettingError && err.message.includes(`"${join(home, '.postgresql', 'root.crt')}" does not exist`),
    );
    const ssl = sslFromEnv({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: pem }, undefined, home);
    assert.equal(ssl.mode, 'verify-full');
    assert.match(ssl.ca ?? '', /BEGIN CERTIFICATE/);
    assert.equal(ssl.caSource, pem);
  });

  it('require checks the CA when a root certificate is on hand (libpq compatibility), and not otherwise', async () => {
    assert.deepEqual(sslFromEnv({ PGSSLMODE: 'require' }, undefined, home), { mode: 'require' });
    assert.equal(sslFromEnv({ PGSSLMODE: 'require', PGSSLROOTCERT: pem }, undefined, home).mode, 'verify-ca');
    await fs.mkdir(join(home, '.postgresql'));
    await fs.copyFile(pem, join(home, '.postgresql', 'root.crt'));
    try {
      assert.equal(sslFromEnv({ PGSSLMODE: 'require' }, undefined, home).mode, 'verify-ca');
      assert.deepEqual(sslFromEnv({}, undefined, home), { mode: 'prefer' }, 'prefer never checks');
    } finally {
      await fs.rm(join(home, '.postgresql'), { recursive: true });
    }
  });

  it('sslrootcert=system: verify-full by default, weaker modes refused', () => {
    assert.deepEqual(sslFromEnv({ PGSSLROOTCERT: 'system' }, undefined, home), {
      mode: 'verify-full',
      ca: 'system',
      caSource: 'the system CA list',
    });
    assert.throws(
      () => sslFromEnv({ PGSSLROOTCERT: 'system', PGSSLMODE: 'require' }, undefined, home),
      /PGSSLMODE "require" is too weak for PGSSLROOTCERT "system"/,
    );
  });

  it('a root certificate path that cannot be read (a folder) is refused before any connection, with the code', () => {
    assert.throws(
      () => sslFromEnv({ PGSSLMODE: 'verify-ca', PGSSLROOTCERT: home }, undefined, home),
      (err: Error) =>
        err instanceof PgSslSettingError &&
        err.message === `The CA certificate "${home}" cannot be read (EISDIR). Check PGSSLROOTCERT and the file's permissions.`,
    );
  });
});
