// A one-click answer in Debian's Chromium (headless, driven by
// playwright-core), as a person does it:
//   node rsvp_click.mjs LINK TAMPERED_LINK TALLY_URL ARTIFACT_DIR
// opens LINK, reads the confirmation page, reads TALLY_URL (the event's
// attendance.json) before and after pressing its button, reads the page
// that comes back; opens TAMPERED_LINK and reads the refusal. Reports
// what the DOM shows as JSON on stdout (the Python test asserts); the
// screenshots go to ARTIFACT_DIR.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [link, tampered, tallyUrl, artifacts] = process.argv.slice(2);
const tally = async () => (await fetch(tallyUrl)).json();
const executable = process.env.CHROMIUM_BIN || "/usr/lib/chromium/chromium";
const profile = mkdtempSync(join(tmpdir(), "agendad-chromium-"));

const context = await chromium.launchPersistentContext(profile, {
  executablePath: executable,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 900, height: 900 },
});

function facts(page) {
  return page.evaluate(() => {
    const button = document.querySelector("button[type=submit]");
    const box = button ? button.getBoundingClientRect() : null;
    return {
      lang: document.documentElement.lang,
      dir: document.documentElement.dir,
      direction: getComputedStyle(document.body).direction,
      sections: [...document.querySelectorAll("section")].map((s) => ({
        lang: s.lang, direction: getComputedStyle(s).direction, text: s.innerText.trim() })),
      button: button ? { text: button.innerText.trim(), visible: box.width > 0 && box.height > 0 }
                     : null,
      recorded: !!document.querySelector("#recorded"),
      refused: [...document.querySelectorAll(".refused")].map((p) => p.id || p.innerText),
      text: document.body.innerText,
    };
  });
}

const out = { console: [] };
try {
  const page = await context.newPage();
  page.on("console", (m) => out.console.push(m.text()));
  let r = await page.goto(link);
  out.confirmStatus = r.status();
  out.confirm = await facts(page);
  await page.screenshot({ path: join(artifacts, "rsvp-confirm.png"), fullPage: true });
  out.tallyBefore = await tally();
  const [nav] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  out.answeredStatus = nav ? nav.status() : null;
  out.answered = await facts(page);
  await page.screenshot({ path: join(artifacts, "rsvp-answered.png"), fullPage: true });
  out.tallyAfter = await tally();
  // Reloading the answer posts the same form again.
  const again = await page.reload();
  out.reloadStatus = again ? again.status() : null;
  out.reloaded = await facts(page);
  r = await page.goto(tampered);
  out.tamperedStatus = r.status();
  out.tampered = await facts(page);
  await page.screenshot({ path: join(artifacts, "rsvp-tampered.png"), fullPage: true });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out));
