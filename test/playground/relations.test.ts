// The playground with a relation-extraction model (the micro relex span model) in headless
// Chromium against the real server: the relation-labels field appears because /health/ready says the
// model has a relation head, the request carries `relations`, and the answer's relations fill a
// table, head → relation → tail with the score. With a NER-only model the field stays hidden.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { EMBEDDED_MODEL } from '../support/paths.js';
import { relexMicroDir } from '../support/relex-micro.js';
import { startServer, type RunningServer } from '../support/server.js';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';
import { CHROMIUM, HAS_CHROMIUM, launchChromium, recognise } from './helpers.js';

const NEEDS_CHROMIUM: ToolNeed[] = [{ tool: CHROMIUM, present: HAS_CHROMIUM, install: 'apt-get install -y chromium' }];
const TEXT = 'Marie Curie was born in Warsaw and worked in Paris.';

interface Relation { head: { text: string }; tail: { text: string }; relation: string; score: number }

describe.skipIf(skipWithout('playground relations', NEEDS_CHROMIUM))(`playground relations${skipNote(NEEDS_CHROMIUM)}`, () => {
  let relex: RunningServer | undefined;
  let plain: RunningServer | undefined;
  let browser: Browser | undefined;
  const model = relexMicroDir('span');

  async function open(server: RunningServer | undefined): Promise<Page> {
    if (browser === undefined || server === undefined) throw new Error('not started');
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/`);
    await page.locator('#model-name', { hasNotText: 'loading' }).waitFor();
    return page;
  }

  beforeAll(async () => {
    [relex, plain, browser] = await Promise.all([
      startServer({ env: { MODEL: model.dir, WORKERS: '1', RATE_LIMIT_PER_SECOND: '0', MAX_RELATION_PAIRS: '30000' } }),
      startServer({ env: { MODEL: EMBEDDED_MODEL, WORKERS: '1', RATE_LIMIT_PER_SECOND: '0' } }),
      launchChromium(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await relex?.stop();
    await plain?.stop();
    model.remove();
  });

  it('a relex model: relation labels are sent and the relations are shown as head → relation → tail', async () => {
    const page = await open(relex);
    await page.locator('#relations-field').waitFor();
    await page.locator('#threshold').fill('0.9');
    await page.locator('#relations').fill('works with, located in, born in');
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/predict'));
    // The parity fixture's labels: at 0.9 upstream finds 3 relations in this text (span-flat-e0.9-r0.9).
    await recognise(page, { text: TEXT, labels: ['person', 'organization', 'location', 'date'], key: '' });
    const response = await answered;
    expect(JSON.parse(response.request().postData() ?? '{}')).toMatchObject({ threshold: 0.9, relations: ['works with', 'located in', 'born in'] });
    const body = (await response.json()) as { relations: Relation[] };
    expect(body.relations).toHaveLength(3);
    await page.locator('#output[data-state="final"]').waitFor();
    const trs = await page.locator('#relations-body tr').all();
    const rows = await Promise.all(trs.map((tr) => tr.locator('td').allTextContents()));
    expect(rows).toHaveLength(body.relations.length);
    const first = body.relations[0] as Relation;
    expect(rows[0]?.[0]).toContain(first.head.text);
    expect(rows[0]?.[1]).toBe(`→ ${first.relation} →`);
    expect(rows[0]?.[2]).toContain(first.tail.text);
    expect(rows[0]?.[3]).toBe(first.score.toFixed(2));
  });

  it('a NER-only model: no relation field, no relations table', async () => {
    const page = await open(plain);
    expect(await page.locator('#relations-field').isHidden()).toBe(true);
    expect(await page.locator('#relations-table').isHidden()).toBe(true);
  });
});
