/**
 * A real Chromium for the browser tests: Debian's `chromium` package (which `.ci/run` installs)
 * driven by playwright-core, headless, with a fresh profile, and stopped by the test that
 * started it. Playwright's own browser download is not used: it cannot reach the network here.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian installs Chromium; `COMETFLOW_CHROMIUM` names another. */
export const chromiumPath = process.env.COMETFLOW_CHROMIUM ?? '/usr/bin/chromium';

/** Where the tests save their screenshots (git ignores `.cometflow/`). */
export const screenshotDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '.cometflow',
  'screenshots',
);

/** A browser with one context at a laptop's screen size, and how to stop it. */
export interface Browser {
  readonly context: BrowserContext;
  readonly close: () => Promise<void>;
}

/** Starts headless Chromium with a fresh profile; fails with what to install when it is absent. */
export async function launchBrowser(options: { readonly colorScheme?: 'light' | 'dark' } = {}): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `No Chromium at ${chromiumPath}; install Debian's package: apt-get update && apt-get install -y chromium`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'cometflow-chromium-'));
  mkdirSync(screenshotDir, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1366, height: 768 },
    colorScheme: options.colorScheme ?? 'light',
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
