// The playground's Schema tab in a real (headless) Chromium against the real server on the GLiNER2
// micro model: the tab opens by itself for a GLiNER2 model, starts from an example schema, and
// shows /api/v1/extract's result as JSON (the same result the API gives), or the error's message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { post } from '../support/http.js';
import { startServer, type RunningServer } from '../support/server.js';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';
import { CHROMIUM, HAS_CHROMIUM, launchChromium } from './helpers.js';

const NEEDS_CHROMIUM: ToolNeed[] = [{ tool: CHROMIUM, present: HAS_CHROMIUM, install: 'apt-get install -y chromium' }];

describe.skipIf(skipWithout('playground browser tests', NEEDS_CHROMIUM))(`playground Schema tab (GLiNER2 micro model)${skipNote(NEEDS_CHROMIUM)}`, () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ env: { MODEL: 'test/fixtures/gliner2-micro', WORKERS: '1', INTRA_OP_THREADS: '1' } }), launchChromium()]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens the Schema tab for a GLiNER2 model and shows the extract result as JSON', async () => {
    if (server === undefined || browser === undefined) throw new Error('not started');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${server.url}/`);
      await page.locator('#extract-section:not([hidden])').waitFor();
      expect(await page.locator('#tab-schema').getAttribute('aria-selected')).toBe('true');
      expect(await page.locator('#form').isHidden()).toBe(true);
      const schema = JSON.parse(await page.locator('#extract-schema').inputValue()) as Record<string, unknown>;
      expect(Object.keys(schema)).toEqual(['entities', 'classifications', 'relations', 'structures']);
      await page.locator('#extract-run').click();
      await page.locator('#extract-status', { hasText: 'Done in' }).waitFor();
      const shown = JSON.parse((await page.locator('#extract-result').textContent()) ?? '') as unknown;
      const api = await post(`${server.url}/api/v1/extract`, { text: await page.locator('#extract-text').inputValue(), schema, threshold: 0.5, include_confidence: false, include_spans: false });
      expect(shown).toEqual(api.body.result);
      // A schema the server refuses: its message, as text.
      await page.locator('#extract-schema').fill('{"relations": []}');
      await page.locator('#extract-run').click();
      await page.locator('#extract-status', { hasText: '400' }).waitFor();
      expect(await page.locator('#extract-status').textContent()).toContain('VALIDATION_FAILED');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
