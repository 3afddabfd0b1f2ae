/**
 * Text for places that show it as is (VS Code notifications and modal details render no
 * Markdown), written from messages that are also printed by the CLI and logged.
 */

/** `docker compose up -d` becomes "docker compose up -d": backticks would show literally. */
export function plainText(text: string): string {
  return text.replace(/`([^`\n]+)`/g, '"$1"');
}

/**
 * A message and its hint as one notification line. Messages of crypto errors are fragments
 * ("wrong passphrase or key") meant to follow a prefix; run together with the hint they
 * need the capital and the full stop that turn them into a sentence.
 */
export function notificationText(message: string, hint?: string): string {
  const sentence = (s: string) => (/[.!?…:]$/.test(s) ? s : `${s}.`);
  const text = [message, hint]
    .map((s) => s?.trim())
    .filter((s): s is string => !!s)
    .map((s) => plainText(sentence(s)))
    .join(' ');
  // A fragment shown on its own starts a sentence too.
  return text.charAt(0).toUpperCase() + text.slice(1);
}
