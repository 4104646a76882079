// Shared by the playground test and the screenshot script: which model to serve, how to start
// Chromium, and how to drive the page.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_MODEL } from '../support/model.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** The embedded model (GLINER_TEST_MODEL overrides it). */
export const MODEL = TEST_MODEL;

export const API_KEY = 'test-key';
export const SEED_TEXT = 'I work at Microsoft based in Seattle, Washington.';
/** The seed request's single entity type ({"entity_type": "ORGANIZATION"}), as the page's users write labels. */
export const SEED_LABELS = ['organization'] as const;
/** The labels the page starts with. */
export const DEFAULT_LABELS = ['person', 'organization', 'location'] as const;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Replace the label chips with `labels`, typing them into the chip input as a user would. */
export async function setLabels(page: Page, labels: readonly string[]): Promise<void> {
  const input = page.locator('#label-input');
  await input.click();
  while ((await page.locator('#chips .chip').count()) > 0) await input.press('Backspace');
  for (const label of labels) {
    await input.fill(label);
    await input.press('Enter');
  }
}

/** Fill the form (text, labels, key) and press Recognise. */
export async function recognise(page: Page, options: { text: string; labels: readonly string[]; key: string }): Promise<void> {
  await page.locator('#text').fill(options.text);
  await setLabels(page, options.labels);
  await page.locator('#api-key').fill(options.key);
  await page.getByRole('button', { name: 'Recognise' }).click();
}

/** `count` filler words, then `ending`: a text long enough to be streamed window by window. */
export function longText(count: number, ending: string): string {
  const sentences = [
    'The committee reviewed the quarterly report and discussed the budget for the coming year.',
    'Several members asked for more detail about the planned maintenance of the old bridge.',
    'After a short break the meeting continued with questions from the public about parking.',
    'Everyone agreed that the minutes would be published before the end of the following week.',
  ];
  const words: string[] = [];
  for (let i = 0; words.length < count; i++) words.push(...(sentences[i % sentences.length] ?? '').split(' '));
  return `${words.join(' ')} ${ending}`;
}
