// Secret-looking values in argv are replaced before anything is logged:
// the audit log records what ran, not the credentials it ran with.

const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|auth|credential|private[-_]?key|bearer)/i;
const SECRET_VALUE = [
  /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/,
  /\bsk-[A-Za-z0-9_-]{16,}/,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];
export const REDACTED = '[redacted]';

/** argv with secrets replaced: `--token X`, `--token=X`, `KEY=X` for
 * secret-looking keys, known token formats, passwords in URLs. */
export function redactArgv(argv: string[]): string[] {
  const out: string[] = [];
  let redactNext = false;
  for (const arg of argv) {
    if (redactNext) {
      out.push(REDACTED);
      redactNext = false;
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0 && SECRET_KEY.test(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq + 1)}${REDACTED}`);
      continue;
    }
    if (/^--?[A-Za-z][\w-]*$/.test(arg) && SECRET_KEY.test(arg)) {
      out.push(arg);
      redactNext = true;
      continue;
    }
    if (SECRET_VALUE.some((re) => re.test(arg))) {
      out.push(REDACTED);
      continue;
    }
    out.push(arg.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi, `$1${REDACTED}@`));
  }
  return out;
}

// ---- free text (command output shown to a model) --------------------------

/** Whole private-key blocks, up to their END line (or the end of the text). */
const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
/** Token formats that are secrets wherever they appear. */
const TOKENS = [
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g,
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
];
/** `Authorization: Bearer X`, `X-Api-Key: X`, `Cookie: X`: the header's value. */
const SECRET_HEADER = /^([ \t]*(?:[\w-]*(?:authorization|api[-_]?key|auth[-_]?token|secret|password|cookie)[\w-]*)[ \t]*:[ \t]*)(\S.*)$/gim;
/** `GITHUB_TOKEN=X`, `export DB_PASSWORD='X'` (env output, .env files, scripts). */
const SECRET_ASSIGNMENT = /\b((?:[A-Za-z_][A-Za-z0-9_]*)?(?:pass(?:word|wd)?|secret|token|api_?key|private_?key|credentials?|auth)[A-Za-z0-9_]*=)("[^"\n]+"|'[^'\n]+'|[^\s"']+)/gi;
/** `"password": "X"` in JSON. */
const SECRET_JSON = /("[^"\n]*(?:pass(?:word|wd)?|secret|token|api[-_]?key|private[-_]?key|credentials?)[^"\n]*"[ \t]*:[ \t]*)"((?:[^"\\\n]|\\.)+)"/gi;
/** scheme://user:PASSWORD@host */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi;

/** Free text with secret-looking values replaced (the rules of redactArgv,
 * for text: tokens, private keys, secret headers, assignments and JSON
 * fields, passwords in URLs), and how many were replaced. Best effort: it
 * keeps secrets out of a model's context by accident, not against intent. */
export function redactText(text: string): { text: string; count: number } {
  let count = 0;
  const sub = (re: RegExp, by: (...m: string[]) => string) => {
    text = text.replace(re, (...m: string[]) => {
      const out = by(...m);
      if (out !== m[0]) count += 1;
      return out;
    });
  };
  sub(PRIVATE_KEY_BLOCK, () => REDACTED);
  sub(SECRET_HEADER, (_m, head: string, value: string) => (value === REDACTED ? `${head}${value}` : `${head}${REDACTED}`));
  sub(SECRET_JSON, (_m, head: string) => `${head}"${REDACTED}"`);
  sub(SECRET_ASSIGNMENT, (_m, head: string, value: string) => (value.includes(REDACTED) ? `${head}${value}` : `${head}${REDACTED}`));
  for (const re of TOKENS) sub(re, () => REDACTED);
  sub(URL_PASSWORD, (_m, head: string) => `${head}${REDACTED}@`);
  return { text, count };
}
