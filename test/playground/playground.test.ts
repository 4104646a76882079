// The playground page in a real (headless) Chromium against the real server: REST and WebSocket
// paths, error messages, rendering of nested entities, and PLAYGROUND=false.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, WebSocket as PwWebSocket } from 'playwright-core';
import { EMBEDDED_MODEL } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';
import { API_KEY, CHROMIUM, DEFAULT_LABELS, HAS_CHROMIUM, MODEL, SEED_LABELS, SEED_TEXT, launchChromium, longText, recognise } from './helpers.js';

interface ApiEntity { text: string; start: number; end: number; entity_type: string; score: number }

const NEEDS_MODEL = 'the embedded model should find "Microsoft" as an organization';
const NEEDS_LOCATIONS = 'the embedded model should find "Seattle" and "Washington" as locations at the end of the long text';
const NEEDS_CHROMIUM: ToolNeed[] = [{ tool: CHROMIUM, present: HAS_CHROMIUM, install: 'apt-get install -y chromium' }];

describe.skipIf(skipWithout('playground browser tests', NEEDS_CHROMIUM))(`playground page (model ${MODEL})${skipNote(NEEDS_CHROMIUM)}`, () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  const url = (): string => {
    if (server === undefined) throw new Error('server not started');
    return server.url;
  };

  /** A fresh page (own context: own session storage), with CSP violations and page errors collected. */
  async function openPage(problems: string[] = []): Promise<Page> {
    if (browser === undefined) throw new Error('browser not started');
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const response = await page.goto(`${url()}/`);
    expect(response?.status()).toBe(200);
    await page.locator('#chips .chip').first().waitFor();
    return page;
  }

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ env: { API_KEYS: API_KEY, MODEL } }), launchChromium()]);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('serves the page at / with a strict CSP, and it loads without CSP violations or script errors', async () => {
    const response = await fetch(`${url()}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const problems: string[] = [];
    const page = await openPage(problems);
    expect(await page.locator('#text').inputValue()).toBe(SEED_TEXT);
    expect(await page.locator('#chips .chip-name').allTextContents()).toEqual([...DEFAULT_LABELS]);
    expect(await page.locator('#text-help').textContent()).toMatch(/more than 300 words are streamed through the WebSocket/);
    // Also at /playground (assets are linked by absolute path).
    await page.goto(`${url()}/playground`);
    await page.locator('#chips .chip').first().waitFor();
    expect(problems).toEqual([]);
  });

  it('names the served model before the first result, and says the embedded one is not zero-shot', async () => {
    const page = await openPage();
    await page.locator('#model-name', { hasNotText: 'loading' }).waitFor();
    const ready = (await (await fetch(`${url()}/health/ready`)).json()) as { model: { id: string } };
    expect(await page.locator('#model-name').textContent()).toContain(ready.model.id);
    expect(await page.locator('.entity').count()).toBe(0);
    const note = page.locator('#model-note');
    if (MODEL === EMBEDDED_MODEL) {
      expect(await note.isVisible()).toBe(true);
      expect(await note.textContent()).toMatch(/is not zero-shot/);
    }
    expect(await page.locator('.subtitle').textContent()).not.toMatch(/^Zero-shot/);
  });

  it('recognises the seed example: Microsoft is highlighted as an organization, one table row per entity', async () => {
    const problems: string[] = [];
    const page = await openPage(problems);
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/predict'));
    await recognise(page, { text: SEED_TEXT, labels: SEED_LABELS, key: API_KEY });
    const response = await answered;
    expect(response.status()).toBe(200);
    const body = (await response.json()) as { entities: ApiEntity[] };
    await page.locator('#output[data-state="final"]').waitFor();

    // The key went in a header, never into the URL; it is remembered for this tab only.
    expect(response.request().headers()['x-api-key']).toBe(API_KEY);
    expect(page.url()).not.toContain(API_KEY);
    expect(await page.evaluate('sessionStorage.getItem("gliner.playground.apiKey")')).toBe(API_KEY);

    expect(await page.locator('#entities-body tr').count()).toBe(body.entities.length);
    expect(await page.locator('#output').textContent()).toBe(SEED_TEXT);

    const organizations = page.locator('.entity[data-label="organization"]');
    expect(await organizations.allTextContents(), NEEDS_MODEL).toContain('Microsoft');
    const microsoft = organizations.filter({ hasText: /^Microsoft$/ }).first();
    expect(await microsoft.getAttribute('title')).toMatch(/^organization \(\d\.\d\d\)$/);
    expect(await microsoft.getAttribute('data-score')).toMatch(/^\d\.\d\d$/);
    expect(await microsoft.getAttribute('aria-label')).toMatch(/^Microsoft: organization \(\d\.\d\d\)$/);
    expect(problems).toEqual([]);
  });

  it('shows a readable 401 message when the API key is wrong', async () => {
    const page = await openPage();
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/predict'));
    await recognise(page, { text: SEED_TEXT, labels: SEED_LABELS, key: 'wrong-key' });
    expect((await answered).status()).toBe(401);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const message = await alert.textContent();
    expect(message).toMatch(/API key is missing or wrong/);
    expect(message).toMatch(/401 UNAUTHORIZED/);
    expect(await page.locator('.entity').count()).toBe(0);
  });

  it('streams a long text through the WebSocket: window progress, then the final highlights', async () => {
    const page = await openPage();
    const text = longText(1200, SEED_TEXT);
    // Every state the progress indicator goes through, recorded as it changes.
    await page.evaluate(`(() => {
      const box = document.getElementById('progress-box');
      window.progressStates = [];
      new MutationObserver(() => {
        window.progressStates.push(box.dataset.received + '/' + box.dataset.windows + ':' + box.dataset.done + ':' + document.getElementById('output').dataset.state);
      }).observe(box, { attributes: true, attributeFilter: ['data-done', 'data-received', 'data-windows'] });
    })()`);
    const frames: { window?: number; windows?: number; done: boolean; entities: ApiEntity[] }[] = [];
    const opened = new Promise<PwWebSocket>((resolve) => page.on('websocket', resolve));
    page.on('websocket', (ws) => ws.on('framereceived', (frame) => {
      if (typeof frame.payload === 'string') frames.push(JSON.parse(frame.payload) as (typeof frames)[number]);
    }));
    expect(await page.locator('#transport').textContent()).toBe('REST');
    await page.locator('#text').fill(text);
    expect(await page.locator('#transport').textContent()).toBe('WebSocket streaming');
    await recognise(page, { text, labels: DEFAULT_LABELS, key: API_KEY });
    expect((await opened).url()).toBe(`${url().replace(/^http/, 'ws')}/api/v1/stream`);

    await page.locator('#progress-box[data-done="true"]').waitFor({ timeout: 60_000 });
    expect(await page.getByRole('alert').isVisible()).toBe(false);
    const windows = Number(await page.locator('#progress-box').getAttribute('data-windows'));
    expect(windows).toBeGreaterThan(1);
    expect(await page.locator('#progress-box').getAttribute('data-received')).toBe(String(windows));
    expect(await page.locator('#progress-text').textContent()).toBe(`Streamed ${windows} of ${windows} windows`);

    // The server sent one message per window, then the merged result, and the page showed each.
    const partial = frames.filter((f) => !f.done);
    expect(partial).toHaveLength(windows);
    expect(frames.at(-1)?.done).toBe(true);
    const states = await page.evaluate<string[]>('window.progressStates');
    for (let n = 1; n <= windows; n++) expect(states).toContain(`${n}/${windows}:false:partial`);

    const final = frames.at(-1)?.entities ?? [];
    expect(await page.locator('#output[data-state="final"]').count()).toBe(1);
    expect(await page.locator('#entities-body tr').count()).toBe(final.length);
    // The known sentence at the end of the text ends up highlighted, at its offsets in the whole text.
    expect(await page.locator('.entity').count()).toBeGreaterThan(0);
    const locations = await page.locator('.entity[data-label="location"]').allTextContents();
    expect(locations, NEEDS_LOCATIONS).toEqual(expect.arrayContaining(['Seattle', 'Washington']));
    const seattle = final.find((e) => e.text === 'Seattle');
    expect(seattle?.start).toBe(Array.from(text).length - 'Seattle, Washington.'.length);
  });

  it('says it could not connect when the WebSocket is refused for a wrong key', async () => {
    const page = await openPage();
    await recognise(page, { text: longText(400, SEED_TEXT), labels: SEED_LABELS, key: 'wrong-key' });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Could not connect: check the API key/);
    expect(await page.getByRole('button', { name: 'Recognise' }).isEnabled()).toBe(true);
  });

  it('renders nested entities as segments by code point, as text only, and sends the switches', async () => {
    // The API is stubbed here: this checks the page's rendering, not the model.
    const problems: string[] = [];
    const page = await openPage(problems);
    const text = '😀 Visit New York City <b>now</b>, café.';
    const points = Array.from(text);
    const at = (needle: string): number => Array.from(text.slice(0, text.indexOf(needle))).length;
    const entity = (needle: string, label: string, score: number): ApiEntity =>
      ({ text: needle, start: at(needle), end: at(needle) + Array.from(needle).length, entity_type: label, score });
    const entities = [entity('New York City', 'location', 0.91), entity('New York', 'city', 0.83), entity('<b>now</b>', '<img src=x>', 0.6), entity('café', 'drink', 0.7)];
    expect(points.slice(entities[0]?.start, entities[0]?.end).join('')).toBe('New York City');
    let sent: unknown;
    await page.route('**/api/v1/predict', async (route) => {
      sent = route.request().postDataJSON();
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ entities, processing_time: 0.01, model: 'stub' }) });
    });
    await page.locator('#nested').check();
    await page.locator('#threshold').focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
    expect(await page.locator('#threshold-value').textContent()).toBe('0.30');
    await recognise(page, { text, labels: ['location', 'city', '<img src=x>', 'drink'], key: API_KEY });
    await page.locator('#output[data-state="final"]').waitFor();

    expect(sent).toEqual({ text, labels: ['location', 'city', '<img src=x>', 'drink'], threshold: 0.3, flat_ner: false, multi_label: false });
    expect(await page.locator('#output').textContent()).toBe(text);
    const marks = page.locator('#output .entity');
    expect(await marks.allTextContents()).toEqual(['New York', ' City', '<b>now</b>', 'café']);
    // "New York" is covered by both: the innermost (city) colours it, the title lists both.
    expect(await marks.nth(0).getAttribute('data-label')).toBe('city');
    expect(await marks.nth(0).getAttribute('title')).toBe('city (0.83); location (0.91)');
    expect(await marks.nth(1).getAttribute('data-label')).toBe('location');
    expect(await marks.nth(2).getAttribute('data-label')).toBe('<img src=x>');
    // Text stays text: no element was created from the user's markup.
    expect(await page.locator('#output b, #output img, #entities img, #chips img').count()).toBe(0);
    expect(await page.locator('#entities-body tr').count()).toBe(4);
    expect(await page.locator('#entities-body tr').nth(0).locator('td').allTextContents()).toEqual(['1', 'New York City', 'location', '0.91', String(at('New York')), String(at('New York') + 13)]);
    // Labels of different entity types get different colours.
    const colours = await Promise.all([0, 1].map(async (i) => /background-color: ([^;]+)/.exec((await marks.nth(i).getAttribute('style')) ?? '')?.[1]));
    expect(colours[0]).toBeDefined();
    expect(colours[0]).not.toBe(colours[1]);
    // Colours are set through the CSSOM, which the page's CSP allows (style attributes are not).
    expect(problems).toEqual([]);
  });

  it('shows readable messages for 429 (with Retry-After) and 413', async () => {
    const page = await openPage();
    let status = 429;
    await page.route('**/api/v1/predict', async (route) => {
      const body = status === 429
        ? { error: { code: 'RATE_LIMITED', message: 'Rate limit exceeded for this key.' } }
        : { error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 1048576 bytes.' } };
      await route.fulfill({ status, contentType: 'application/json', headers: status === 429 ? { 'Retry-After': '7' } : {}, body: JSON.stringify(body) });
    });
    await recognise(page, { text: SEED_TEXT, labels: SEED_LABELS, key: API_KEY });
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: '429' }).waitFor();
    expect(await alert.textContent()).toMatch(/Rate limited: too many requests\. Try again in 7 s\. \(429 RATE_LIMITED\)/);
    status = 413;
    // Keyboard: Ctrl+Enter in the text area recognises too.
    await page.locator('#text').press('Control+Enter');
    await alert.filter({ hasText: '413' }).waitFor();
    expect(await alert.textContent()).toMatch(/Too large: .*\(413 PAYLOAD_TOO_LARGE\) Server said: The request body is larger/);
  });

  it('is switched off by PLAYGROUND=false: / answers 404', async () => {
    const off = await startServer({ env: { API_KEYS: API_KEY, MODEL, PLAYGROUND: 'false' } });
    try {
      expect((await fetch(`${off.url}/`)).status).toBe(404);
      expect((await fetch(`${off.url}/playground/playground.js`)).status).toBe(404);
      expect((await fetch(`${off.url}/health/live`)).status).toBe(200);
    } finally {
      await off.stop();
    }
  });
});
