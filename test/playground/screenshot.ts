// Takes docs/playground.png: the playground page after recognising the seed example.
//   npm run build && npx tsx test/playground/screenshot.ts
// Uses the embedded model and the page's default labels (person, organization, location).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startServer } from '../support/server.js';
import { API_KEY, DEFAULT_LABELS, HAS_CHROMIUM, SEED_TEXT, launchChromium, recognise } from './helpers.js';

async function main(): Promise<void> {
  if (!HAS_CHROMIUM) throw new Error('/usr/bin/chromium is missing: apt-get install -y chromium');
  const out = path.join(ROOT, 'docs/playground.png');
  mkdirSync(path.dirname(out), { recursive: true });
  const server = await startServer({ env: { API_KEYS: API_KEY } });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(`${server.url}/`);
    await recognise(page, { text: SEED_TEXT, labels: DEFAULT_LABELS, key: API_KEY });
    await page.locator('#output[data-state="final"]').waitFor();
    // Tab onto the first entity, as a keyboard user would, so the picture shows its label and score.
    await page.locator('#output').focus();
    if ((await page.locator('.entity').count()) > 0) await page.keyboard.press('Tab');
    await page.screenshot({ path: out, fullPage: true });
    const marks = await page.locator('.entity').all();
    const labels = await Promise.all(marks.map(async (m) => `${await m.textContent()} → ${await m.getAttribute('data-label')}`));
    console.log(`wrote ${path.relative(ROOT, out)} (embedded model); highlighted: ${labels.join(', ') || 'nothing'}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
