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
