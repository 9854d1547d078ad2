import { serve } from '@hono/node-server';
import { chromium } from 'playwright-core';
import { createUiFixture } from '/work/main/test/ui/fixture.js';
import { createUiApp } from '/work/main/test/ui/app-under-test.js';
const f = await createUiFixture();
const app = await createUiApp(f.project);
const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
await new Promise((r) => setTimeout(r, 200));
const port = (s.address() as any).port;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const p = await b.newPage({ viewport: { width: 1280, height: 900 } });
const paths = process.argv.slice(2).map((x) => x.replace('DRIFTED', f.drifted.id).replace('BLOCKED', f.blocked.id));
for (const [i, path] of paths.entries()) {
  await p.goto(`http://127.0.0.1:${port}${path}`);
  await p.screenshot({ path: `/tmp/shot${i}.png`, fullPage: true });
  console.log(path, await p.locator('#overall svg').count());
}
await b.close(); s.close(); await f.close();
