import { expect, test } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { operatorToken } from '../playwright.config';

// /consumer/theme-editor: a designer edits a partner's theme with a live
// preview, then saves it (operator token).
test('edit a token, see it in the preview, save it, and every page renders with it', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'hydrated', 'the editor needs JavaScript');
  const admin = { authorization: `Bearer ${operatorToken}` };
  const id = `p-${randomUUID().slice(0, 8)}`;
  expect((await request.post('/admin/partners', { headers: admin, data: { name: 'Designer test', id } })).ok()).toBeTruthy();

  await page.goto('/consumer/theme-editor');
  await expect(page.locator('html')).toHaveAttribute('data-interactive', 'true');
  await page.getByLabel('Partner id').fill(id);
  await page.getByLabel('Operator token').fill('not-the-token-at-all-0000');
  await page.getByRole('button', { name: 'Load theme' }).click();
  await expect(page.locator('.editor-error')).toHaveAttribute('data-code', 'operator_token_invalid');

  await page.getByLabel('Operator token').fill(operatorToken);
  await page.getByRole('button', { name: 'Load theme' }).click();
  const primary = page.locator('input[name="light.primary"]');
  await expect(primary).toBeVisible();
  await primary.fill('#ff0000');
  await primary.press('Tab');
  const header = page.frameLocator('#theme-preview').locator('.app-header');
  await expect(header).toHaveCSS('background-color', 'rgb(255, 0, 0)');

  // A value out of range is refused with the field named; nothing is saved.
  const radius = page.locator('input[name="radiusPx"]');
  await radius.fill('99');
  await radius.press('Tab');
  await expect(page.locator('.editor-error')).toContainText('radiusPx');
  await radius.fill('20');
  await radius.press('Tab');
  await expect(page.locator('.editor-error')).toBeHidden();

  await page.getByRole('button', { name: 'Save theme' }).click();
  await expect(page.locator('.editor-saved')).toBeVisible();
  const saved = await (await request.get(`/admin/partners/${id}/theme`, { headers: admin })).json();
  expect(saved).toMatchObject({ light: { primary: '#ff0000' }, radiusPx: 20 });
  const html = await (await request.get(`/consumer?clientId=${id}`)).text();
  expect(html).toContain('--t-primary:#ff0000');
});
