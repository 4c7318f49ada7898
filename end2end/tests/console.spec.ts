import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { operatorToken } from '../playwright.config';

// The console's sign-in (issue 17, first slice), as a person uses it: the form,
// a wrong password said on screen, the console, signing out.

async function operator(page: Page): Promise<{ email: string; password: string }> {
  const email = `ops-${randomUUID().slice(0, 8)}@example.com`;
  const made = await page.request.post('/admin/people', {
    headers: { authorization: `Bearer ${operatorToken}` },
    data: { email, role: 'operator' },
  });
  expect(made.status(), await made.text()).toBe(201);
  const body = await made.json();
  expect(body).toMatchObject({ email, role: 'operator' });
  expect(body.password).toHaveLength(24);
  return { email, password: body.password };
}

async function axeProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${page.url()}: ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`an operator signs in through the form, sees the console and signs out (${scheme})`, async ({ page }, info) => {
    test.skip(info.project.name !== 'hydrated', 'the console is plain forms: one run is enough');
    await page.emulateMedia({ colorScheme: scheme });
    const { email, password } = await operator(page);
    await page.goto('/console');
    await expect(page).toHaveURL(/\/console\/login$/);
    const problems = await axeProblems(page);

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('The email or the password is not right.');
    await expect(page.getByLabel('Email')).toHaveValue(email);
    problems.push(...(await axeProblems(page)));

    await page.getByLabel('Password').fill(password);
    const signIn = page.getByRole('button', { name: 'Sign in' });
    await expect(signIn).toBeVisible();
    await signIn.click();
    await expect(page).toHaveURL(/\/console$/);
    await expect(page.locator('.who a')).toHaveText(`${email} · operator`);
    await expect(page.locator('.who a')).toHaveAttribute('href', '/console/account');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'tessera_console');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('tessera_console');
    problems.push(...(await axeProblems(page)));

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/console\/login$/);
    await page.goto('/console');
    await expect(page).toHaveURL(/\/console\/login$/);
    expect(problems, problems.join('\n')).toEqual([]);
  });
}
