// What the user sees and hears: the words in the session's locale, the live status line, the retry reason and the
// theme. The words come from the server (mock_gateway/web/texts.py), rendered into the page as JSON.

const TEXTS = JSON.parse(document.getElementById("texts").textContent);
const DEFAULT_LOCALE = "id_ID";
const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");

export const element = (testId) => document.querySelector(`[data-testid="${testId}"]`);

export class Ui {
  constructor() {
    this.status = element("flow-status");
    this.retryReason = element("retry-reason");
    this.hint = document.querySelector(".hint");
    this.setLocale(DEFAULT_LOCALE);
  }

  // Switches every labelled element to `locale` (id_ID or en_ID).
  setLocale(locale) {
    this.texts = TEXTS[locale] || TEXTS[DEFAULT_LOCALE];
    document.documentElement.lang = locale.split("_")[0];
    document.title = this.texts.title;
    document.querySelectorAll("[data-text]").forEach((node) => {
      node.textContent = this.texts[node.dataset.text];
    });
    document.querySelectorAll("[data-label]").forEach((node) => {
      node.setAttribute("aria-label", this.texts[node.dataset.label]);
    });
  }

  text(key, values = {}) {
    return this.texts[key].replace(/\{(\w+)\}/g, (_, name) => values[name]);
  }

  // The status line (announced by screen readers through aria-live).
  say(key, values) {
    this.status.textContent = this.text(key, values);
  }

  // The camera's positioning advice: over the preview, and on the status line for those who cannot see it.
  advise(key) {
    this.hint.textContent = this.text(key);
    this.say(key);
  }

  // Why the last photo was refused, and how many tries are left; stays up while the user captures again.
  showRetry(reason, attemptsRemaining) {
    const why = this.texts.retryReasons[reason] || reason;
    this.retryReason.textContent = `${why} ${this.text("attemptsLeft", { n: attemptsRemaining })}`;
    this.retryReason.hidden = false;
  }

  show(selector, visible = true) {
    document.querySelector(selector).hidden = !visible;
  }
}

let followSystem = null; // the listener that tracks the device's scheme under NO_PREFERENCE

// LIGHT_MODE and DARK_MODE force a theme; NO_PREFERENCE follows the device, also when it changes.
export function applyTheme(theme) {
  const root = document.documentElement;
  if (followSystem) {
    darkQuery.removeEventListener("change", followSystem);
    followSystem = null;
  }
  if (theme === "LIGHT_MODE" || theme === "DARK_MODE") {
    root.dataset.theme = theme === "DARK_MODE" ? "dark" : "light";
    return;
  }
  followSystem = () => {
    root.dataset.theme = darkQuery.matches ? "dark" : "light";
  };
  followSystem();
  darkQuery.addEventListener("change", followSystem);
}
