import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { createHmac, randomUUID } from 'node:crypto';
import { operatorToken } from '../playwright.config';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 JWT, minted as a partner's backend would. */
export function mint(secret: string, partner: string, user: string): string {
  return mintWith(secret, partner, user, {});
}

/** The same, with more claims (`cohorts`, `email`, …). */
export function mintWith(secret: string, partner: string, user: string, claims: object): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ iss: partner, sub: user, iat: now, exp: now + 600, ...claims });
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** A new partner and a JWT for one of its users (created on first use). */
export async function newUser(
  request: APIRequestContext,
  options: { sandbox?: boolean } = {},
): Promise<{ jwt: string; auth: Record<string, string>; partnerId: string; jwtSecret: string }> {
  const partner = await request.post('/admin/partners', {
    headers: { authorization: `Bearer ${operatorToken}` },
    data: { name: 'Test partner', id: `p-${randomUUID().slice(0, 8)}`, ...(options.sandbox ? { sandbox: true } : {}) },
  });
  expect(partner.ok(), await partner.text()).toBeTruthy();
  const { partnerId, jwtSecret } = await partner.json();
  const jwt = mint(jwtSecret, partnerId, 'ana');
  return { jwt, auth: { authorization: `Bearer ${jwt}` }, partnerId, jwtSecret };
}

/** A voucher of the demo catalog the user may claim. */
export async function someVoucher(request: APIRequestContext, auth: Record<string, string>): Promise<{ id: string; title: string }> {
  const vouchers = await (await request.get('/me/vouchers', { headers: auth })).json();
  const v = vouchers.items.find((x: { stockLeft?: number | null }) => x.stockLeft === null || x.stockLeft === undefined || x.stockLeft > 50);
  return { id: v.id, title: v.title };
}

/** A new user of a new partner holding one claim; returns that user's JWT. */
export async function userWithAClaim(request: APIRequestContext): Promise<{ jwt: string; title: string }> {
  const { jwt, auth } = await newUser(request);
  const voucher = await someVoucher(request, auth);
  const claim = await request.post('/me/claims', { headers: auth, data: { voucherId: voucher.id } });
  expect(claim.status(), await claim.text()).toBe(201);
  return { jwt, title: voucher.title };
}

export const plain = (title: string) => title.replace(/\{\/?[brs]\}/gi, '');

/** WCAG contrast of an element's text against the first opaque background behind it. */
export async function contrastOf(page: Page, selector: string): Promise<{ ratio: number; color: string; background: string }> {
  return page.locator(selector).first().evaluate((el) => {
    const rgba = (c: string) => (c.match(/[\d.]+/g) ?? ['0', '0', '0', '0']).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let node: Element | null = el;
    let background = 'rgb(255, 255, 255)';
    while (node) {
      const bg = getComputedStyle(node).backgroundColor;
      const alpha = rgba(bg)[3] ?? 1;
      if (alpha >= 0.99) {
        background = bg;
        break;
      }
      node = node.parentElement;
    }
    const color = getComputedStyle(el).color;
    const [a, b] = [luminance(rgba(color)), luminance(rgba(background))].sort((x, y) => y - x);
    return { ratio: (a + 0.05) / (b + 0.05), color, background };
  });
}
