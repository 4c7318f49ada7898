import { expect, type Page } from '@playwright/test';

/** A message the webview sent its host app (the boot script keeps each one in `window.tesseraBridgeLog`). */
export type BridgeMessage = {
  type: string;
  action?: string;
  event?: string;
  code?: string;
  fatal?: boolean;
  properties?: Record<string, unknown>;
};

/** The webview as a partner's app drives it, on one page. */
export class Webview {
  constructor(readonly page: Page) {}

  /** Opens a session for the partner JWT's user, as `POST /consumer/session` does: the HttpOnly cookie, nothing in a URL. */
  async signIn(jwt: string): Promise<void> {
    const opened = await this.page.request.post('/consumer/session', { headers: { authorization: `Bearer ${jwt}` } });
    expect(opened.status(), await opened.text()).toBe(204);
  }

  /** Opens `path` as an app would: with the partner JWT in the URL fragment, when one is given. */
  async open(path: string, jwt?: string): Promise<void> {
    await this.page.goto(jwt ? `${path}#token=${jwt}` : path);
  }

  /** What the page has told its host app so far, oldest first. */
  bridgeLog(): Promise<BridgeMessage[]> {
    return this.page.evaluate(() => (window as unknown as { tesseraBridgeLog: BridgeMessage[] }).tesseraBridgeLog);
  }
}

export const webview = (page: Page) => new Webview(page);
