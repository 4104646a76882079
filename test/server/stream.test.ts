// WebSocket streaming NER over a real socket with the real model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/server.js';
import { TEST_MODEL } from '../support/model.js';
import { connect } from '../support/ws.js';

const KEY = 'stream-key';
let srv: RunningServer;
let url: string;

beforeAll(async () => {
  srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', WS_MAX_MESSAGE_BYTES: '65536', WS_MAX_INFLIGHT: '4' } });
  url = `${srv.url}/api/v1/stream`;
});
afterAll(async () => {
  await srv.stop();
});

type Msg = Record<string, unknown>;
const done = (id: unknown) => (messages: Msg[]): boolean => messages.some((m) => m.id === id && m.done === true);

describe('/api/v1/stream', () => {
  it('authenticates at upgrade: no key, no socket', async () => {
    await expect(connect(url)).rejects.toThrow(/401/);
    await expect(connect(url, { headers: { 'x-api-key': 'wrong' } })).rejects.toThrow(/401/);
  });

  it('accepts the key as a sub-protocol (browsers cannot set headers)', async () => {
    const client = await connect(url, { protocols: ['gliner.v1', `bearer.${KEY}`] });
    expect(client.socket.protocol).toBe('gliner.v1');
    client.send({ id: 'p', text: 'I work at Microsoft based in Seattle, Washington.', labels: ['organization'] });
    const messages = await client.waitFor(done('p'));
    expect(messages.find((m) => m.id === 'p')?.entities).toEqual([expect.objectContaining({ text: 'Microsoft', start: 10, end: 19 })]);
    client.close();
  });

  it('logs upgrades (accepted and refused) and closes, never the key', async () => {
    await expect(connect(url, { headers: { 'x-api-key': 'wrong-key-xyz' } })).rejects.toThrow(/401/);
    const client = await connect(url, { protocols: ['gliner.v1', `bearer.${KEY}`] });
    client.send({ id: 'log', text: 'I work at Microsoft.', labels: ['organization'] });
    await client.waitFor(done('log'));
    client.close();
    const accepted = srv.logs.filter((l) => l.msg === 'websocket upgrade' && l.protocol === 'gliner.v1').at(-1);
    for (let i = 0; i < 100 && !srv.logs.some((l) => l.msg === 'websocket closed' && l.connId === accepted?.connId); i++) await new Promise((r) => setTimeout(r, 20));
    expect(srv.logs.filter((l) => l.msg === 'websocket upgrade refused').map((l) => [l.status, l.code])).toContainEqual([401, 'UNAUTHORIZED']);
    expect(accepted).toEqual(expect.objectContaining({ status: 101, key: 'env-1', connId: expect.any(String) as unknown }));
    expect(srv.logs).toContainEqual(expect.objectContaining({ msg: 'websocket closed', connId: accepted?.connId, messages: 1 }));
    const all = JSON.stringify(srv.logs);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain('wrong-key-xyz');
    expect(all).not.toContain('I work at Microsoft.');
  });

  it('answers each message tagged with its id, possibly out of order', async () => {
    const client = await connect(url, { headers: { 'x-api-key': KEY } });
    const long = `${'The committee met again and talked for hours about nothing at all. '.repeat(60)}I work at Microsoft.`;
    client.send({ id: 1, text: long, labels: ['organization'] });
    client.send({ id: 2, text: 'Seattle is in Washington.', labels: ['location'] });
    const messages = await client.waitFor((m) => done(1)(m) && done(2)(m));
    const finals = messages.filter((m) => m.done === true);
    expect(finals.map((m) => m.id).sort()).toEqual([1, 2]);
    expect(finals.find((m) => m.id === 2)?.entities).toEqual(expect.arrayContaining([expect.objectContaining({ text: 'Seattle' })]));
    client.close();
  });

  it('streams a long text window by window, offsets in the original text, then the merged result', async () => {
    const client = await connect(url, { headers: { 'x-api-key': KEY } });
    const text = `${'Nothing happened on the quiet road today and nobody came by. '.repeat(150)}I work at Microsoft based in Seattle, Washington.`;
    client.send({ id: 'long', text, labels: ['location'] });
    const messages = (await client.waitFor(done('long'), 60_000)).filter((m) => m.id === 'long');
    const windows = messages.filter((m) => m.done === false);
    expect(windows.length).toBeGreaterThan(1);
    expect(new Set(windows.map((m) => m.window)).size).toBe(windows.length);
    expect(windows[0]?.windows).toBe(windows.length);
    const final = messages.find((m) => m.done === true);
    expect(messages.at(-1)).toBe(final);
    const entities = final?.entities as { text: string; start: number; end: number }[];
    const seattle = entities.find((e) => e.text === 'Seattle');
    expect(seattle).toBeDefined();
    expect([...text].slice(seattle?.start, seattle?.end).join('')).toBe('Seattle');
    // The window that saw Seattle reported it with the same offsets.
    expect(windows.some((w) => (w.entities as { text: string; start: number }[]).some((e) => e.text === 'Seattle' && e.start === seattle?.start))).toBe(true);
    client.close();
  });

  it('answers bad messages with a coded error and keeps the connection', async () => {
    const client = await connect(url, { headers: { 'x-api-key': KEY } });
    client.socket.send('not json');
    client.send({ id: 'x', text: 'a' });
    client.send({ id: 'y', text: 'Ada Lovelace', labels: [''] });
    const messages = await client.waitFor((m) => m.filter((x) => x.error !== undefined).length >= 3);
    const codes = messages.map((m) => (m.error as { code: string } | undefined)?.code);
    expect(codes).toEqual(['BAD_JSON', 'VALIDATION_FAILED', 'VALIDATION_FAILED']);
    expect(messages[1]?.id).toBe('x');
    client.send({ id: 'ok', text: 'Ada Lovelace', labels: ['person'] });
    await client.waitFor(done('ok'));
    client.close();
  });

  it('closes with 1009 on a message larger than the limit', async () => {
    const client = await connect(url, { headers: { 'x-api-key': KEY } });
    client.send({ id: 'big', text: 'x'.repeat(70_000), labels: ['a'] });
    expect((await client.closed).code).toBe(1009);
  });

  it('bounds in-flight messages per connection: a flood is cut off with 1008, never buffered', async () => {
    const client = await connect(url, { headers: { 'x-api-key': KEY } });
    const text = 'Ada Lovelace met Charles Babbage in London. '.repeat(40);
    for (let i = 0; i < 50; i++) client.send({ id: i, text, labels: ['person', 'location'] });
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    // The server is fine for everyone else.
    const other = await connect(url, { headers: { 'x-api-key': KEY } });
    other.send({ id: 'after', text: 'Ada Lovelace', labels: ['person'] });
    await other.waitFor(done('after'));
    other.close();
  });
});
