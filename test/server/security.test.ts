// Security over the wire: key handling, rotation, per-address limiting, TLS, refusals at start-up.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/security/keygen.js';
import { CLI, ROOT, startServer } from '../support/server.js';
import { errorCode, eventually, post, SEED } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';

const env = { MODEL: TEST_MODEL, RATE_LIMIT_PER_SECOND: '0' };

/** Raw request with repeated headers (fetch would join them). */
function rawPost(port: number, headers: Record<string, string | string[]>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/predict', method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(SEED));
  });
}

function writeKeyFile(file: string, entries: unknown[]): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ keys: entries }));
  renameSync(tmp, file);
}

describe('API keys over the wire', () => {
  it('rejects missing, wrong, empty, oversized and query-string keys alike; header names are case-insensitive', async () => {
    const srv = await startServer({ env: { ...env, API_KEYS: 'right-key' } });
    try {
      const url = `${srv.url}/api/v1/predict`;
      const answers = await Promise.all([
        post(url, SEED),
        post(url, SEED, { 'x-api-key': 'wrong' }),
        post(url, SEED, { 'x-api-key': '' }),
        post(url, SEED, { 'x-api-key': 'k'.repeat(600) }),
        post(`${url}?api_key=right-key&key=right-key`, SEED),
        post(url, SEED, { authorization: 'Basic cmlnaHQta2V5' }),
      ]);
      for (const a of answers) {
        expect([a.status, errorCode(a)]).toEqual([401, 'UNAUTHORIZED']);
        expect((a.body.error as { message: string }).message).toBe('Missing or invalid API key.');
      }
      expect((await post(url, SEED, { 'X-API-KEY': 'right-key' })).status).toBe(200);
      expect((await post(url, SEED, { authorization: 'bearer right-key' })).status).toBe(200);
      // X-API-Key and Bearer disagreeing is a failure, not a choice.
      expect((await post(url, SEED, { 'x-api-key': 'right-key', authorization: 'Bearer other' })).status).toBe(401);
      // A repeated header: uWS reads the first occurrence.
      expect(await rawPost(srv.port, { 'x-api-key': ['right-key', 'wrong'] })).toBe(200);
      expect(await rawPost(srv.port, { 'x-api-key': ['wrong', 'right-key'] })).toBe(401);
      await eventually(() => srv.logs.some((l) => l.status === 401 && l.reason === 'invalid'));
      expect(srv.logs.some((l) => l.status === 401 && l.reason === 'missing')).toBe(true);
      const logs = JSON.stringify(srv.logs);
      expect(logs).not.toContain('right-key');
    } finally {
      await srv.stop();
    }
  }, 60_000);

  it('limits failed attempts per client address (429 before the key is even checked)', async () => {
    const srv = await startServer({ env: { ...env, API_KEYS: 'right-key', AUTH_FAILURES_PER_MINUTE: '3' } });
    try {
      const url = `${srv.url}/api/v1/predict`;
      for (let i = 0; i < 3; i++) expect((await post(url, SEED, { 'x-api-key': `guess-${i}` })).status).toBe(401);
      const blocked = await post(url, SEED, { 'x-api-key': 'right-key' });
      expect([blocked.status, errorCode(blocked)]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await srv.stop();
    }
  }, 60_000);

  it('rotates keys from API_KEYS_FILE on SIGHUP and on file change, without restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gliner-keys-'));
    const file = path.join(dir, 'keys.json');
    const a = createKey('team-a');
    const b = createKey('team-b');
    const c = createKey('team-c');
    writeKeyFile(file, [a.entry]);
    const srv = await startServer({ env: { ...env, API_KEYS_FILE: file } });
    try {
      const url = `${srv.url}/api/v1/predict`;
      const status = async (key: string): Promise<number> => (await post(url, SEED, { 'x-api-key': key })).status;
      expect([await status(a.key), await status(b.key)]).toEqual([200, 401]);
      // SIGHUP: the file is re-read at once.
      writeKeyFile(file, [b.entry]);
      srv.child.kill('SIGHUP');
      await eventually(async () => (await status(b.key)) === 200);
      expect(await status(a.key)).toBe(401);
      // File change alone (as a Secret update does): picked up by the watcher.
      writeKeyFile(file, [c.entry]);
      await eventually(async () => (await status(c.key)) === 200, 10_000);
      expect(await status(b.key)).toBe(401);
      // A broken file keeps the old keys and logs an error without key material.
      writeFileSync(file, '{"keys": [');
      srv.child.kill('SIGHUP');
      await eventually(() => srv.logs.some((l) => String(l.msg).includes('not reloaded')));
      expect(await status(c.key)).toBe(200);
      expect(JSON.stringify(srv.logs)).not.toContain(c.key);
      expect(srv.logs.some((l) => (l.key as string | undefined) === 'team-c')).toBe(true);
    } finally {
      await srv.stop();
    }
  }, 60_000);
});

describe('TLS', () => {
  it('serves HTTPS with a passphrase-protected key, with HSTS', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gliner-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-passout', 'pass:s3cret'], { stdio: 'ignore' });
    const srv = await startServer({ env: { ...env, API_KEYS: 'tls-key', TLS_CERT_FILE: cert, TLS_KEY_FILE: key, TLS_PASSPHRASE: 's3cret' } });
    try {
      expect(srv.url.startsWith('https://')).toBe(true);
      const { status, hsts, body } = await new Promise<{ status: number; hsts: string | undefined; body: string }>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: srv.port, path: '/api/v1/predict', method: 'POST', ca: [execFileSync('cat', [cert])], headers: { 'content-type': 'application/json', 'x-api-key': 'tls-key' } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'], body: text }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(SEED));
      });
      expect(status).toBe(200);
      expect(hsts).toMatch(/max-age=\d+/);
      expect(JSON.parse(body)).toHaveProperty('entities');
      expect(JSON.stringify(srv.logs)).not.toContain('s3cret');
    } finally {
      await srv.stop();
    }
  }, 60_000);
});

describe('refusals at start-up', () => {
  async function runToExit(extra: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...process.env, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stderr };
  }

  it('production mode without API keys refuses to start (INSECURE_CONFIG)', async () => {
    const result = await runToExit({ NODE_ENV: 'production', API_KEYS: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('INSECURE_CONFIG');
  });

  it('refuses the slow pure-Node uWS fallback unless explicitly allowed', async () => {
    const result = await runToExit({ UWS_USE_FALLBACK: 'true', API_KEYS: 'k' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('UWS_NATIVE_MISSING');
  });
});
