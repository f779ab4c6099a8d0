// Loads agendad's pages in Debian's Chromium (headless, driven by
// playwright-core) and reports what the DOM shows as JSON on stdout:
//   node check_pages.mjs BASE_URL ARTIFACT_DIR UID
// Screenshots go to ARTIFACT_DIR. The Python test makes the assertions.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, artifacts, uid] = process.argv.slice(2);
const executable = process.env.CHROMIUM_BIN || "/usr/lib/chromium/chromium";
const profile = mkdtempSync(join(tmpdir(), "agendad-chromium-"));

const context = await chromium.launchPersistentContext(profile, {
  executablePath: executable,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1200, height: 900 },
});

// Facts about the front page as the browser lays it out.
async function indexFacts(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    direction: getComputedStyle(document.body).direction,
    cards: document.querySelectorAll(".event-card").length,
    webcal: [...document.querySelectorAll('a[href^="webcal://"]')].length,
    copyButtonsShown: [...document.querySelectorAll("button.copy")].filter((b) => !b.hidden).length,
    // In right-to-left, the site name sits right of the language switch.
    homeRightOfSwitch: document.querySelector(".home").getBoundingClientRect().left >
      document.querySelector(".lang").getBoundingClientRect().left,
    external: [...document.querySelectorAll("[src],link[href]")].map((e) => e.src || e.href),
  }));
}

async function eventFacts(page) {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll("table.agenda tr.slot")];
    const first = rows[0];
    const time = first.querySelector("td.time").getBoundingClientRect();
    const item = first.querySelector("td.item").getBoundingClientRect();
    return {
      lang: document.documentElement.lang,
      dir: document.documentElement.dir,
      direction: getComputedStyle(document.querySelector("table.agenda")).direction,
      rows: rows.map((r) => ({
        time: r.querySelector("td.time").innerText.trim(),
        title: r.querySelector(".slot-title").innerText.trim(),
        classes: r.className,
        height: r.getBoundingClientRect().height,
        background: getComputedStyle(r.querySelector("td")).backgroundColor,
      })),
      timeRightOfTitle: time.left > item.left,
      ics: document.querySelector('a[href$=".ics?lang=' + document.documentElement.lang + '"]')
        ?.getAttribute("href"),
    };
  });
}

const report = {};
try {
  const page = await context.newPage();
  for (const lang of ["ar", "fr"]) {
    await page.goto(`${base}/?lang=${lang}`, { waitUntil: "load" });
    report[`index_${lang}`] = await indexFacts(page);
    await page.screenshot({ path: join(artifacts, `index-${lang}.png`), fullPage: true });
    await page.goto(`${base}/events/${uid}?lang=${lang}`, { waitUntil: "load" });
    report[`event_${lang}`] = await eventFacts(page);
    await page.screenshot({ path: join(artifacts, `event-${lang}.png`), fullPage: true });
  }
  // The language picked by Accept-Language, through the redirect.
  const p2 = await context.newPage();
  await p2.setExtraHTTPHeaders({ "Accept-Language": "fr-FR,fr;q=0.9" });
  await p2.goto(`${base}/`, { waitUntil: "load" });
  report.accept_language_url = p2.url();
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report, null, 1));
