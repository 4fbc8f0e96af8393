// browser.mjs — the review page driven like a person would (issue 14), by playwright-core on
// Debian's chromium, against a `wfplearn ui` that tests/ui/browser.sh started on a learned week:
// the page loads with the token from its URL and shows the store's status, the learning
// window (learn --for 7d) and the service's state; Allow on a proposal
// ("for 1 day": a temporary rule) moves it to the rules and the sim engine holds its filters
// (wfplearn verify); Revoke removes them; an unused rule's card proposes its revoke; the backtest
// before Enforce is enforce --dry-run's; Enforce shows a countdown, Confirm makes it stick, Relax
// undoes it; a timeline chart draws; connections seen only in the connection tables are listed
// apart, without an Allow, and counted in the header (issue 19); no CSP violation or page error
// happens. Screenshots at 1280x800 and phone width go
// to WL_OUT. Exit 77 only when chromium cannot be started at all.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

const require = createRequire(process.env.WL_ROOT + '/package.json');
const { chromium } = require('playwright-core');
const { WFPLEARN, WL_DB, WL_STATE, WL_URL, WL_OUT } = process.env;
const exe = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => existsSync(p));

function wfplearn(...args) {
  try {
    return { code: 0, out: execFileSync(WFPLEARN, ['--db', WL_DB, '--engine', 'sim:' + WL_STATE, ...args], { encoding: 'utf8' }) };
  } catch (e) {
    return { code: e.status, out: String(e.stdout) + String(e.stderr) };
  }
}
function check(ok, what) {
  if (!ok) throw new Error('FAILED: ' + what);
  console.log('ok - ' + what);
}

if (!exe) {
  console.log('SKIP: no chromium binary (Debian package chromium)');
  process.exit(77);
}
let browser;
try {
  browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
} catch (e) {
  console.log('SKIP: chromium cannot start here: ' + e.message.split('\n')[0]);
  process.exit(77);
}

const problems = [];
const timings = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(r.status() + ' ' + r.url()); });
  page.on('request', (r) => {
    if (!r.url().startsWith(new URL(WL_URL).origin)) problems.push('fetched from elsewhere: ' + r.url());
  });

  // 1. load: the token travels in the URL once, then only in the header
  const t0 = Date.now();
  await page.goto(WL_URL);
  await page.waitForSelector('body[data-ready="1"]');
  timings.page_ready_ms = Date.now() - t0;
  timings.navigation_load_ms = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return Math.round(n.loadEventEnd - n.startTime);
  });
  check(!page.url().includes('token='), 'the token is dropped from the address bar');
  const status = JSON.parse(wfplearn('status', '--json').out);
  check(await page.textContent('#st-mode') === status.mode, 'header shows the mode: ' + status.mode);
  check((await page.textContent('#st-events')).startsWith(String(status.events)), 'header shows the events: ' + status.events);
  const win = await page.textContent('#st-window');
  check(status.window && status.window.state === 'active' && await page.getAttribute('#st-window', 'data-state') === 'active'
    && win.includes(status.window.until.slice(0, 10)) && /\d+ d \d+ h left/.test(win),
    'header shows the learning window: ' + win);
  const svc = await page.textContent('#st-service');
  check(svc.startsWith(status.service_state || 'not running as a service'), 'header shows the service state: ' + svc);
  const review = JSON.parse(wfplearn('review', '--json').out);
  const cards = await page.locator('article.proposal').count();
  check(cards === review.length && cards > 0, `${cards} proposal cards, as review --json has ${review.length}`);
  await page.screenshot({ path: WL_OUT + '/01-review-1280x800.png' });
  await page.screenshot({ path: WL_OUT + '/01-review-full.png', fullPage: true });

  // 1b. table-only evidence (issue 19): with browser.sh's seed, the connections only the sim's
  // connection tables showed are listed apart, without an Allow, and counted in the header
  if (process.env.WL_HELD) {
    const held = review.filter((p) => p.kind === 'held');
    check(held.length === 2 && held.every((h) => h.app === 'C:\\Tools\\keeper.exe' && h.flags[0] === 'table-only'),
      'review --json has the 2 table-only connections of C:\\Tools\\keeper.exe');
    const sec = page.locator('#held-section');
    check(await sec.isVisible() && (await sec.locator('h2').textContent()).startsWith('Seen only in the connection tables'),
      'the page shows the "Seen only in the connection tables" section');
    const hcards = sec.locator('article.held');
    check(await hcards.count() === 2 && (await hcards.first().textContent()).includes('C:\\Tools\\keeper.exe'),
      'with a card per connection naming the program');
    check(await sec.locator('button').count() === 0
      && (await hcards.first().textContent()).includes('not a proposal'), 'no Allow button: the cards say it is evidence');
    check(await page.locator('#proposals article[data-held]').count() === 0, 'and none among the proposals');
    const hs = await page.textContent('#st-held');
    check(await page.isVisible('#st-held-row') && hs.includes(status.held.connections + ' long-lived')
      && hs.includes(status.held.table_only + ' seen only there'), 'the header counts them: ' + hs);
    await sec.screenshot({ path: WL_OUT + '/01c-table-only.png' });
  } else {
    check(await page.locator('#held-section').isHidden() && await page.locator('#st-held-row').isHidden(),
      'no table-only section or count without held connections');
  }

  // 2. timeline chart of the first proposal
  const first = review.find((p) => p.promotable && p.dir === 'out') || review[0];
  const card = page.locator(`article.proposal[data-id="${first.id}"]`);
  await card.getByRole('button', { name: 'Timeline' }).click();
  await card.locator('svg.chart rect').first().waitFor();
  check(await card.locator('svg.chart rect').count() > 0, 'the timeline chart draws bars for #' + first.id);
  await card.screenshot({ path: WL_OUT + '/02-proposal-timeline.png' });

  // 3. Allow for 1 day (the page's "for D", promote --for): one click promotes a temporary
  // rule; the entry moves to the rules; the engine holds its filters
  await card.locator(`select[data-for="${first.id}"]`).selectOption('1d');
  const t1 = Date.now();
  await card.locator('button.allow').click();
  await page.waitForSelector(`#rules li[data-rule]`);
  await page.locator(`article.proposal[data-id="${first.id}"]`).waitFor({ state: 'detached' });
  check(true, 'Allow moved proposal #' + first.id + ' to the rules');
  const rules = JSON.parse(wfplearn('rules', '--json').out);
  check(rules.length === 1 && rules[0].filters.length > 0, `rules --json has it with ${rules[0]?.filters.length} filters`);
  const use = await page.textContent(`#rules li[data-rule="${rules[0].id}"] .use`);
  const deadline = Date.parse(rules[0].expires);
  check(deadline >= t1 + 86400e3 - 5e3 && deadline <= Date.now() + 86400e3 + 5e3 && rules[0].expires_in_s > 86300,
    'Allow "for 1 day" made a rule that expires in a day: ' + rules[0].expires);
  check(rules[0].hits === 0 && /^0 hits, expires in (23h 59m|1d 0h)$/.test(use),
    'the rule shows its use and time left (issue 15): ' + use);
  const v = wfplearn('verify');
  check(v.code === 0 && v.out.includes(`${rules[0].filters.length} of ${rules[0].filters.length} filters present`),
    'the sim engine holds the rule\'s filters (wfplearn verify: ' + v.out.trim().split('\n').pop() + ')');
  await page.screenshot({ path: WL_OUT + '/03-allowed.png', fullPage: true });

  // 4. Revoke through its button (by keyboard: focus and Enter)
  const revoke = page.locator(`button[data-revoke="${rules[0].id}"]`);
  await revoke.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#rules p.empty');
  check(JSON.parse(wfplearn('rules', '--json').out).length === 0, 'Revoke (keyboard) removed the rule');
  check(wfplearn('verify').out.includes('0 rules'), 'and its filters left the engine');

  // 5. Allow all without warnings, then enforce with a countdown, confirm, relax
  await page.locator('#allow-all').click();
  await page.waitForSelector('#rules li[data-rule]');
  const nrules = JSON.parse(wfplearn('rules', '--json').out).length;
  check(nrules === review.filter((p) => !p.flags.length && p.promotable).length, `Allow all added ${nrules} rules`);
  // the backtest shown before the Enforce button is enforce --dry-run --json's
  const dry = JSON.parse(wfplearn('enforce', '--dry-run', '--json').out);
  await page.waitForFunction((n) => document.getElementById('dryrun-text').textContent.includes('block ' + n + ' ('),
    dry.would_block);
  check(await page.isVisible('#dryrun-table') && (await page.locator('#dryrun-table tbody tr').count()) === dry.apps.length,
    `Backtest before Enforce: ${dry.events} attempts, ${dry.would_block} would be blocked, ${dry.apps.length} app rows as the CLI's`);
  await page.screenshot({ path: WL_OUT + '/03b-backtest.png', fullPage: true });
  // "inbound too": the backtest becomes enforce --dry-run --inbound's; unticked, the outbound one
  const dryIn = JSON.parse(wfplearn('enforce', '--dry-run', '--inbound', '--json').out);
  await page.locator('#enforce-inbound').check();
  await page.waitForFunction((d) => { const t = document.getElementById('dryrun-text').textContent;
    return t.includes('outbound and inbound') && t.includes('block ' + d.would_block + ' (' + d.by_block + ' by'); }, dryIn);
  check(dryIn.by_block !== dry.by_block, `"inbound too" shows the backtest with --inbound: ${dryIn.would_block} blocked, `
    + `${dryIn.by_block} by the default block (outbound only: ${dry.by_block})`);
  await page.locator('#enforce-inbound').uncheck();
  await page.waitForFunction((d) => { const t = document.getElementById('dryrun-text').textContent;
    return t.includes('(outbound default block)') && t.includes('block ' + d.would_block + ' (' + d.by_block + ' by'); }, dry);
  await page.fill('#enforce-within', '120');
  await page.locator('#enforce-btn').click();
  await page.waitForSelector('#confirm-btn:not([hidden])');
  await page.waitForFunction(() => /s left to confirm/.test(document.getElementById('countdown').textContent));
  check(JSON.parse(wfplearn('status', '--json').out).mode === 'pending', 'Enforce: pending, countdown shown: ' +
    await page.textContent('#countdown'));
  await page.screenshot({ path: WL_OUT + '/04-enforce-pending.png' });
  await page.locator('#confirm-btn').click();
  await page.waitForFunction(() => document.getElementById('st-mode').textContent === 'enforce');
  check(JSON.parse(wfplearn('status', '--json').out).mode === 'enforce', 'Confirm: mode enforce');
  check(wfplearn('verify').code === 0, 'verify agrees with the engine under enforce');
  await page.screenshot({ path: WL_OUT + '/05-enforced.png' });
  await page.locator('#relax-btn').click();
  await page.waitForFunction(() => document.getElementById('st-mode').textContent === 'learn');
  check(JSON.parse(wfplearn('status', '--json').out).mode === 'learn', 'Relax: back to learn');

  // 5b. an unused rule (issue 15): 30 days of event time pass with no hit for a rule -- here its
  // row is made 60 days older, which is what the store would hold a month later -- and review
  // proposes it for revoke in its own card; the card's Revoke removes it
  const victim = JSON.parse(wfplearn('rules', '--json').out)[0].id;
  execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); ' +
    'c.execute("UPDATE rules SET created = created - 60*864000000000 WHERE id = ?", (int(sys.argv[2]),)); c.commit()',
    WL_DB, String(victim)]);
  const revokes = JSON.parse(wfplearn('review', '--json').out).filter((p) => p.kind === 'revoke');
  check(revokes.length === 1 && revokes[0].rule.id === victim && revokes[0].flags.includes('unused'),
    'review --json proposes rule ' + victim + ' for revoke (unused)');
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]');
  const ucard = page.locator(`article[data-unused-rule="${victim}"]`);
  await ucard.waitFor();
  const utext = await ucard.textContent();
  check(await page.locator('article.unused').count() === 1 && /Unused rules, proposed for revoke \(1\)/.test(await page.textContent('#unused'))
    && utext.includes('rule ' + victim) && /never used since .*0 hits in all; nothing it allows was seen in the last 30 days/.test(utext),
    'the unused rule has its card: ' + utext);
  await page.screenshot({ path: WL_OUT + '/05b-unused.png', fullPage: true });
  await ucard.getByRole('button', { name: 'Revoke' }).click();
  await ucard.waitFor({ state: 'detached' });
  const left = JSON.parse(wfplearn('rules', '--json').out);
  check(left.length === nrules - 1 && !left.some((r) => r.id === victim) && await page.locator('article.unused').count() === 0,
    'its Revoke removed rule ' + victim + ' and the card (' + left.length + ' rules left)');

  // 6. phone width
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, 'no horizontal scrolling at 390 px (overflow ' + overflow + ')');
  await page.screenshot({ path: WL_OUT + '/06-phone-390.png', fullPage: true });

  check(problems.length === 0, 'no CSP violation, page error or outside request' + (problems.length ? ': ' + problems.join('; ') : ''));
  writeFileSync(WL_OUT + '/timings.json', JSON.stringify(timings) + '\n');
  console.log('timings ' + JSON.stringify(timings));
} finally {
  await browser.close();
}
