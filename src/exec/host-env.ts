// The environment an escalated command gets: the broker's own (its PATH
// cleaned of entries the sandbox can write), plus the few variables from the
// sandbox that are safe and useful to carry over. Never anything that names a
// program, code, a config file or a trust anchor for the host command to load
// (LD_*, BASH_ENV, PATH, GIT_SSH, EDITOR, ...), whatever an allowlist says:
// those are refused by name after the allowlist, and a few are refused by
// value (a locale or time zone that names a file).
import { isAbsolute } from 'node:path';
import { sandboxCanChange } from '../policy/writable.js';

export const DEFAULT_ENV_ALLOW: readonly string[] = [
  'TERM', 'COLORTERM', 'LANG', 'LC_*', 'TZ', 'COLUMNS', 'LINES', 'NO_COLOR',
];

/** A name pattern: `NAME` exact, `PREFIX*`, or `*SUFFIX`. */
interface Never {
  pattern: string;
  why: string;
  /** Names the pattern covers that may cross after all. */
  except?: readonly string[];
  /** npm and curl read these in any case. */
  anyCase?: boolean;
}

// Each entry with its reason. Sources: glibc's unsecure-envvars list
// (sysdeps/generic/unsecvars.h: what ld.so drops for setuid programs), the
// manuals of the programs that are escalated most (git, ssh, less, npm,
// cargo, go, python, java, docker, kubectl, aws, gcloud), and what a shell
// reads at start. The rule: a variable that makes the host command run, load
// or trust something the agent chose.
const NEVER: readonly Never[] = [
  // The dynamic loader and libc (glibc unsecvars.h).
  { pattern: 'LD_*', why: 'the dynamic loader loads code from it (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT...)' },
  { pattern: 'DYLD_*', why: 'the macOS loader loads code from it' },
  { pattern: 'GLIBC_TUNABLES', why: 'glibc tunables (CVE-2023-4911 was in their parser)' },
  { pattern: 'GCONV_PATH', why: 'iconv loads conversion modules (code) from it' },
  { pattern: 'GETCONF_DIR', why: 'getconf runs programs from it' },
  { pattern: 'LOCPATH', why: 'locale data is loaded from it' },
  { pattern: 'NLSPATH', why: 'message catalogs are loaded from it' },
  { pattern: 'HOSTALIASES', why: 'the resolver reads host aliases from the file it names' },
  { pattern: 'RES_OPTIONS', why: 'changes how host names resolve' },
  { pattern: 'LOCALDOMAIN', why: 'changes how host names resolve' },
  { pattern: 'RESOLV_HOST_CONF', why: 'the resolver reads the file it names' },
  { pattern: 'NIS_PATH', why: 'NIS+ lookups follow it' },
  { pattern: 'MALLOC_*', why: 'malloc debugging: MALLOC_TRACE writes to the file it names' },
  { pattern: 'TZDIR', why: 'time zone files are loaded from it' },
  { pattern: 'TMPDIR', why: 'temporary files would go where the agent can read and swap them' },
  { pattern: 'TMP', why: 'temporary files would go where the agent can read and swap them' },
  { pattern: 'TEMP', why: 'temporary files would go where the agent can read and swap them' },
  // Shells.
  { pattern: 'BASH_ENV', why: 'bash runs the file it names' },
  { pattern: 'ENV', why: 'sh runs the file it names' },
  { pattern: 'BASH_FUNC_*', why: 'exported bash functions replace commands in every bash script' },
  { pattern: 'SHELLOPTS', why: 'bash options for every script (xtrace with PS4 runs code)' },
  { pattern: 'BASHOPTS', why: 'bash options for every script' },
  { pattern: 'PS0', why: 'expanded (and so run) by interactive bash' },
  { pattern: 'PS1', why: 'expanded (and so run) by interactive bash' },
  { pattern: 'PS2', why: 'expanded (and so run) by interactive bash' },
  { pattern: 'PS4', why: 'expanded (and so run) by bash -x' },
  { pattern: 'PROMPT_COMMAND', why: 'interactive bash runs it' },
  { pattern: 'IFS', why: 'changes how every shell script splits words' },
  { pattern: 'CDPATH', why: 'changes where cd in scripts goes' },
  { pattern: 'GLOBIGNORE', why: 'changes what globs in scripts match' },
  { pattern: 'INPUTRC', why: 'readline reads (and binds macros from) the file it names' },
  { pattern: 'HISTFILE', why: 'the shell writes its history to the file it names' },
  { pattern: 'ZDOTDIR', why: 'zsh runs its start files from it' },
  { pattern: 'FPATH', why: 'zsh and ksh autoload functions from it' },
  { pattern: 'PATH', why: 'chooses every program: the broker\'s own, cleaned, is used' },
  { pattern: 'PWD', why: 'programs trust it as the working directory' },
  { pattern: 'OLDPWD', why: 'cd - goes there' },
  // Programs the host command starts: editors, pagers, browsers, prompts.
  { pattern: 'EDITOR', why: 'names a program to run' },
  { pattern: 'VISUAL', why: 'names a program to run' },
  { pattern: 'FCEDIT', why: 'names a program to run' },
  { pattern: 'SUDO_EDITOR', why: 'names a program to run' },
  { pattern: 'PAGER', why: 'names a program to run' },
  { pattern: 'MANPAGER', why: 'names a program to run' },
  { pattern: 'MANOPT', why: 'options for man, which can name programs' },
  { pattern: 'BROWSER', why: 'names a program to run' },
  { pattern: 'LESS', why: 'less options (+cmd runs less commands)' },
  { pattern: 'LESSOPEN', why: 'less runs it as an input filter' },
  { pattern: 'LESSCLOSE', why: 'less runs it' },
  { pattern: 'LESSEDIT', why: 'less runs it as the editor command' },
  { pattern: 'LESSKEY*', why: 'less reads key bindings (and environment) from the file it names' },
  { pattern: 'LESSSECURE', why: 'the broker sets it (no shell escapes in less); the sandbox cannot unset it' },
  { pattern: 'SYSTEMD_PAGER*', why: 'names a program to run' },
  { pattern: 'SYSTEMD_EDITOR', why: 'names a program to run' },
  { pattern: 'VIMINIT', why: 'vim runs it as commands (:!cmd)' },
  { pattern: 'EXINIT', why: 'vi runs it as commands' },
  { pattern: 'MYVIMRC', why: 'vim reads the file it names' },
  { pattern: 'VIMRUNTIME', why: 'vim loads scripts from it' },
  { pattern: 'EMACSLOADPATH', why: 'emacs loads code from it' },
  { pattern: 'MAILCAP', why: 'mailcap entries are commands' },
  { pattern: 'TERMINFO', why: 'terminal descriptions are parsed from it' },
  { pattern: 'TERMINFO_DIRS', why: 'terminal descriptions are parsed from it' },
  { pattern: 'TERMCAP', why: 'terminal descriptions are parsed from it' },
  { pattern: '*_ASKPASS', why: 'names a program run to ask for a password (SSH_ASKPASS, SUDO_ASKPASS, GIT_ASKPASS)' },
  { pattern: 'SSH_ASKPASS*', why: 'names (or forces) a program run to ask for a password' },
  { pattern: 'SSH_AUTH_SOCK', why: 'the agent\'s socket would answer for the host\'s ssh keys' },
  { pattern: 'RSYNC_RSH', why: 'names a program to run' },
  { pattern: 'RSYNC_CONNECT_PROG', why: 'names a program to run' },
  { pattern: 'CVS_RSH', why: 'names a program to run' },
  { pattern: 'SVN_EDITOR', why: 'names a program to run' },
  { pattern: 'SVN_SSH', why: 'names a program to run' },
  { pattern: 'HGRCPATH', why: 'mercurial reads config (hooks are commands) from it' },
  // git: everything except who a commit is by and when.
  {
    pattern: 'GIT_*',
    why: 'git runs programs and reads files they name (GIT_SSH, GIT_EXTERNAL_DIFF, GIT_EDITOR, GIT_PAGER, GIT_EXEC_PATH, GIT_CONFIG*, GIT_DIR, GIT_TRACE writes files...)',
    except: ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE'],
  },
  { pattern: 'GH_CONFIG_DIR', why: 'gh reads config (aliases run commands) from it' },
  { pattern: 'GH_EDITOR', why: 'names a program to run' },
  { pattern: 'GH_PAGER', why: 'names a program to run' },
  { pattern: 'GH_BROWSER', why: 'names a program to run' },
  { pattern: 'XDG_*', why: 'where programs read their config (git, gh, ...) and runtime sockets' },
  // Interpreters and their package managers.
  { pattern: 'PYTHON*', why: 'python imports code it names (PYTHONPATH, PYTHONSTARTUP, PYTHONHOME, PYTHONBREAKPOINT, PYTHONUSERBASE, PYTHONWARNINGS...)' },
  { pattern: 'VIRTUAL_ENV', why: 'chooses the python interpreter (poetry, pipenv, uv)' },
  { pattern: 'CONDA_*', why: 'chooses interpreters and programs' },
  { pattern: 'PIP_*', why: 'pip options: indexes, config files, build settings' },
  { pattern: 'PIPENV_*', why: 'chooses interpreters and files' },
  { pattern: 'POETRY_*', why: 'chooses interpreters, config and repositories' },
  { pattern: 'UV_*', why: 'chooses interpreters, indexes and config' },
  { pattern: 'PYENV*', why: 'chooses the interpreter' },
  { pattern: 'PERL*', why: 'perl loads code it names (PERL5LIB, PERL5OPT, PERL5DB, PERLLIB...)' },
  { pattern: 'RUBY*', why: 'ruby loads code it names (RUBYOPT, RUBYLIB)' },
  { pattern: 'GEM_*', why: 'rubygems loads gems from it' },
  { pattern: 'BUNDLE_*', why: 'bundler reads a Gemfile (Ruby code) and config it names' },
  { pattern: 'RBENV_*', why: 'chooses the interpreter' },
  { pattern: 'NODE_*', why: 'node loads code and trust it names (NODE_OPTIONS, NODE_PATH, NODE_EXTRA_CA_CERTS, NODE_TLS_REJECT_UNAUTHORIZED...)', except: ['NODE_ENV'] },
  { pattern: 'npm_config_*', why: 'npm settings (script-shell, node-options, registry, userconfig...)', anyCase: true },
  { pattern: 'YARN_*', why: 'yarn settings (yarnPath runs a file, rc file names)' },
  { pattern: 'PNPM_*', why: 'pnpm settings' },
  { pattern: 'COREPACK_*', why: 'corepack downloads and runs package managers from where it says' },
  { pattern: 'BUN_*', why: 'bun settings (preload scripts, install locations)' },
  { pattern: 'DENO_*', why: 'deno settings (cache dir with code, certificates)' },
  { pattern: 'JAVA_TOOL_OPTIONS', why: 'every JVM loads agents (code) it names' },
  { pattern: '_JAVA_OPTIONS', why: 'every JVM loads agents (code) it names' },
  { pattern: 'JDK_JAVA_OPTIONS', why: 'the java launcher loads agents it names' },
  { pattern: 'JAVA_HOME', why: 'build tools run $JAVA_HOME/bin/java' },
  { pattern: 'CLASSPATH', why: 'the JVM loads classes from it' },
  { pattern: 'MAVEN_*', why: 'maven options and install (code) locations' },
  { pattern: 'M2_HOME', why: 'maven install (code) location' },
  { pattern: 'GRADLE_*', why: 'gradle options and user home (init scripts are code)' },
  { pattern: 'ANT_*', why: 'ant options and install (code) locations' },
  { pattern: 'SBT_*', why: 'sbt options' },
  // Toolchains.
  { pattern: 'CARGO_*', why: 'cargo config: wrappers, runners, linkers, registries (CARGO_HOME, CARGO_BUILD_RUSTC_WRAPPER, CARGO_TARGET_*_RUNNER)' },
  { pattern: 'RUSTC', why: 'names the compiler to run' },
  { pattern: 'RUSTC_*', why: 'names programs to run (RUSTC_WRAPPER, RUSTC_WORKSPACE_WRAPPER)' },
  { pattern: 'RUSTDOC', why: 'names a program to run' },
  { pattern: 'RUSTUP_*', why: 'chooses the toolchain (code) to run' },
  { pattern: 'GOFLAGS', why: 'go flags (-toolexec runs a program)' },
  { pattern: 'GOTOOLCHAIN', why: 'go downloads and runs the toolchain it names' },
  { pattern: 'GOENV', why: 'go reads settings from the file it names' },
  { pattern: 'GOROOT', why: 'the go toolchain (code) to run' },
  { pattern: 'GOPATH', why: 'where go finds and installs code' },
  { pattern: 'GOBIN', why: 'where go installs programs' },
  { pattern: 'GOPROXY', why: 'where go downloads modules from' },
  { pattern: 'GOSUMDB', why: 'turns off or redirects module checksums' },
  { pattern: 'GONOSUMDB', why: 'turns off module checksums' },
  { pattern: 'GONOSUMCHECK', why: 'turns off module checksums' },
  { pattern: 'GOINSECURE', why: 'turns off module download security' },
  { pattern: 'GOPRIVATE', why: 'turns off module checksums' },
  { pattern: 'GOVCS', why: 'which version control programs go runs' },
  { pattern: 'CGO_*', why: 'compiler and linker flags (plugins are code)' },
  { pattern: 'CC', why: 'names the C compiler to run' },
  { pattern: 'CXX', why: 'names the C++ compiler to run' },
  { pattern: 'CPP', why: 'names the preprocessor to run' },
  { pattern: 'LD', why: 'names the linker to run' },
  { pattern: 'AR', why: 'names a program to run' },
  { pattern: 'AS', why: 'names a program to run' },
  { pattern: 'FC', why: 'names a program to run' },
  { pattern: 'HOSTCC', why: 'names a program to run' },
  { pattern: 'COMPILER_PATH', why: 'gcc runs its sub-programs from it' },
  { pattern: 'GCC_EXEC_PREFIX', why: 'gcc runs its sub-programs from it' },
  { pattern: 'LIBRARY_PATH', why: 'the linker links libraries (code) from it' },
  { pattern: 'CPATH', why: 'headers (code) are read from it' },
  { pattern: 'C_INCLUDE_PATH', why: 'headers (code) are read from it' },
  { pattern: 'CPLUS_INCLUDE_PATH', why: 'headers (code) are read from it' },
  { pattern: 'PKG_CONFIG*', why: 'pkg-config reads .pc files (flags, plugins) from it' },
  { pattern: 'CCACHE_*', why: 'ccache runs a prefix command (CCACHE_PREFIX) and compilers it names' },
  { pattern: 'DISTCC_*', why: 'distcc sends builds where it says' },
  { pattern: 'MAKEFILES', why: 'make reads (and runs recipes from) the makefiles it names' },
  { pattern: 'CMAKE_*', why: 'cmake settings (compiler launchers run programs)' },
  { pattern: '*FLAGS', why: 'options for a tool: can name plugins and programs (CFLAGS -fplugin, LDFLAGS, MAKEFLAGS, RUSTFLAGS, GOFLAGS)' },
  { pattern: '*_OPTS', why: 'options for a tool: can name code to load (MAVEN_OPTS, GRADLE_OPTS, FZF_DEFAULT_OPTS)' },
  { pattern: '*_OPTIONS', why: 'options for a tool: can name code to load (NODE_OPTIONS, JAVA_TOOL_OPTIONS, RES_OPTIONS)' },
  // Configuration files, credentials and where commands connect: a config
  // file is code (credential_process, exec plugins, credsStore helpers).
  { pattern: 'DOCKER_*', why: 'docker connects to and trusts what it names (DOCKER_HOST, DOCKER_CONFIG credential helpers, DOCKER_CERT_PATH)' },
  { pattern: 'KUBECONFIG', why: 'kubeconfig exec plugins run programs' },
  { pattern: 'AWS_CONFIG_FILE', why: 'credential_process in it runs a program' },
  { pattern: 'AWS_SHARED_CREDENTIALS_FILE', why: 'names the credentials file to use' },
  { pattern: 'AWS_CA_BUNDLE', why: 'a trust anchor: an agent CA lets a proxy read the host\'s traffic' },
  { pattern: 'AZURE_CONFIG_DIR', why: 'az reads config and credentials from it' },
  { pattern: 'CLOUDSDK_*', why: 'gcloud config (CLOUDSDK_PYTHON runs an interpreter, CLOUDSDK_CONFIG)' },
  { pattern: 'GOOGLE_APPLICATION_CREDENTIALS', why: 'external-account credentials in it can run a program' },
  { pattern: 'HELM_*', why: 'helm plugins (code) and config locations' },
  { pattern: 'TF_*', why: 'terraform config (provider installation, plugin dirs: code)' },
  { pattern: 'ANSIBLE_*', why: 'ansible config (plugins, callbacks: code)' },
  { pattern: 'KRB5*', why: 'kerberos config (plugins) and credential caches' },
  { pattern: 'GNUPGHOME', why: 'gpg config (pinentry-program, exec helpers run programs)' },
  { pattern: 'OPENSSL_*', why: 'OpenSSL config loads engines and providers (code)' },
  { pattern: 'SSL_CERT_*', why: 'a trust anchor: an agent CA lets a proxy read the host\'s traffic' },
  { pattern: 'SSLKEYLOGFILE', why: 'TLS keys would be written where the agent reads them' },
  { pattern: 'REQUESTS_CA_BUNDLE', why: 'a trust anchor' },
  { pattern: 'CURL_CA_BUNDLE', why: 'a trust anchor' },
  { pattern: 'CURL_HOME', why: 'curl reads options (output files) from the .curlrc there' },
  { pattern: 'WGETRC', why: 'wget reads options from the file it names' },
  { pattern: 'NETRC', why: 'names a credentials file' },
  { pattern: '*_PROXY', why: 'routes the host command\'s traffic through the agent\'s choice', anyCase: true },
  { pattern: 'DBUS_SESSION_BUS_ADDRESS', why: 'a bus address can run a program (unixexec:) or reach the agent\'s bus' },
  { pattern: 'XAUTHORITY', why: 'names the X credentials file' },
  // Identity and execgate's own.
  { pattern: 'HOME', why: 'every program reads its config (code) from it' },
  { pattern: 'USER', why: 'the host user is the broker\'s' },
  { pattern: 'LOGNAME', why: 'the host user is the broker\'s' },
  { pattern: 'SHELL', why: 'names the shell programs start' },
  { pattern: 'EXEC_WRAPPER', why: 'execgate\'s own' },
  { pattern: 'EXECGATE_*', why: 'execgate\'s own' },
];

function patternMatches(pattern: string, name: string, anyCase: boolean): boolean {
  const p = anyCase ? pattern.toLowerCase() : pattern;
  const n = anyCase ? name.toLowerCase() : name;
  if (p.startsWith('*')) return n.endsWith(p.slice(1));
  if (p.endsWith('*')) return n.startsWith(p.slice(0, -1));
  return n === p;
}

/** Why `name` never crosses, or null if an allowlist may admit it. */
export function neverCrosses(name: string): string | null {
  for (const n of NEVER) {
    if (patternMatches(n.pattern, name, n.anyCase ?? false) && !n.except?.includes(name)) return n.why;
  }
  return null;
}

/** Variables whose value names a file are refused by value: a locale or
 * time zone that is a path makes libc load data from it. */
export function valueRefused(name: string, value: Buffer): string | null {
  const v = value.toString('latin1');
  if (name === 'LANG' || name === 'LANGUAGE' || name.startsWith('LC_')) {
    if (v.includes('/') || v.startsWith('.')) return 'a locale that names a file';
  }
  if (name === 'TZ') {
    const spec = v.startsWith(':') ? v.slice(1) : v;
    if (spec.startsWith('/') || spec.startsWith('.') || spec.includes('..')) return 'a time zone that names a file';
  }
  return null;
}

export function nameAllowed(name: string, allow: readonly string[]): boolean {
  // The allowlist first: it is short, and most of the sandbox's variables
  // fail it, so the long never-list is read only for the few it admits.
  if (!allow.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p))) return false;
  return neverCrosses(name) === null;
}

/** Splits "NAME=value" bytes; null if there is no valid name. */
export function splitEnvEntry(entry: Buffer): { name: string; value: Buffer } | null {
  const eq = entry.indexOf(0x3d);
  if (eq <= 0) return null;
  const name = entry.subarray(0, eq).toString('latin1');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return null;
  if (entry.includes(0)) return null;
  return { name, value: entry.subarray(eq + 1) };
}

/** The sandbox variables that may cross, filtered again here: the wrapper's
 * own filtering is a courtesy, this is the decision. Last one wins. */
export function crossingEnv(sandboxEnv: Buffer[], allow: readonly string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of sandboxEnv) {
    // The wrapper sends every variable it has: most fail the allowlist, so
    // that is checked on the bare name before the entry is parsed.
    const eq = entry.indexOf(0x3d);
    if (eq <= 0 || !nameAllowed(entry.toString('latin1', 0, eq), allow)) continue;
    const kv = splitEnvEntry(entry);
    if (!kv) continue;
    if (valueRefused(kv.name, kv.value) !== null) out.delete(kv.name);
    else out.set(kv.name, kv.value);
  }
  return out;
}

/** The broker's PATH without what the sandbox could use to choose the host
 * command's programs: empty and relative entries (they follow the working
 * directory, which is the sandbox's) and entries under a writable root
 * (`npx` puts PROJECT/node_modules/.bin first). */
export function cleanHostPath(path: string, writableRoots: readonly string[]): { path: string; dropped: { entry: string; why: string }[] } {
  const kept: string[] = [];
  const dropped: { entry: string; why: string }[] = [];
  for (const entry of path.split(':')) {
    if (entry === '' || !isAbsolute(entry)) {
      dropped.push({ entry, why: entry === '' ? 'an empty entry (the working directory)' : 'a relative entry (it follows the working directory)' });
      continue;
    }
    const hit = sandboxCanChange(entry, writableRoots);
    if (hit) dropped.push({ entry, why: `the sandbox can write ${hit.root}` });
    else if (!kept.includes(entry)) kept.push(entry);
  }
  return { path: kept.join(':'), dropped };
}

/** What to tell the human at start about the broker's own PATH. */
export function startupWarnings(brokerPath: string, writableRoots: readonly string[]): string[] {
  return cleanHostPath(brokerPath, writableRoots).dropped.map(({ entry, why }) =>
    entry === '' || !isAbsolute(entry)
      ? `execgate: warning: your PATH includes ${entry === '' ? 'an empty entry' : `the relative entry "${entry}"`}, which means the working directory; escalated commands will not see it`
      : `execgate: warning: your PATH includes ${entry}, which the sandbox can write (${why.replace(/^the sandbox can write /, 'under ')}); escalated commands will not see it`,
  );
}

/** Set by the broker for every escalated command, whatever the sandbox says:
 * less on the caller's terminal (git log, man) must not give the agent a
 * host shell through `!cmd`, `|`, `v` or `:e`. */
export const FORCED_ENV: ReadonlyMap<string, string> = new Map([['LESSSECURE', '1']]);

export interface HostEnvOptions {
  /** The session's writable roots (canonical host paths): PATH entries under
   * them are dropped. */
  writableRoots?: readonly string[];
  /** The broker's environment (default process.env). */
  base?: NodeJS.ProcessEnv;
  /** Set last, after the crossing variables (e.g. a pinned GIT_DIR). */
  set?: ReadonlyMap<string, Buffer | string>;
}

/** The broker's own part of a host environment (PATH cleaned for these
 * writable roots) as whole "NAME=value" entries, made once per roots list
 * when it is the broker's own environment: it is on the path of every
 * escalation, and only the variables that cross need joining each time. */
const baseCache = new WeakMap<readonly string[], Map<string, Buffer>>();
const NO_ROOTS: readonly string[] = [];

function baseEntries(base: NodeJS.ProcessEnv, writableRoots: readonly string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || name === 'EXEC_WRAPPER' || name.startsWith('EXECGATE_')) continue;
    out.set(name, Buffer.from(`${name}=${name === 'PATH' ? cleanHostPath(value, writableRoots).path : value}`, 'utf8'));
  }
  return out;
}

const entry = (name: string, value: Buffer | string): Buffer =>
  Buffer.isBuffer(value) ? Buffer.concat([Buffer.from(`${name}=`, 'latin1'), value]) : Buffer.from(`${name}=${value}`, 'utf8');

/** Broker environment (PATH cleaned) + crossing variables, as "NAME=value"
 * byte strings. */
export function hostEnv(crossing: Map<string, Buffer>, opts: HostEnvOptions = {}): Buffer[] {
  const roots = opts.writableRoots ?? NO_ROOTS;
  let base: Map<string, Buffer>;
  if (opts.base) base = baseEntries(opts.base, roots);
  else {
    base = baseCache.get(roots) ?? baseEntries(process.env, roots);
    baseCache.set(roots, base);
  }
  const merged = new Map(base);
  for (const [name, value] of crossing) merged.set(name, entry(name, value));
  for (const [name, value] of FORCED_ENV) merged.set(name, entry(name, value));
  for (const [name, value] of opts.set ?? []) merged.set(name, entry(name, value));
  return [...merged.values()];
}

/** For `policy check`: what an env_allow entry admits and what it cannot. */
export function envAllowReport(entry: string): string {
  if (!entry.endsWith('*')) {
    const why = neverCrosses(entry);
    return why === null ? `${entry}: admits ${entry}` : `${entry}: never crosses (${why})`;
  }
  const prefix = entry.slice(0, -1);
  // A never-prefix that covers the whole entry: only its exceptions cross.
  const covering = NEVER.find((n) => n.pattern.endsWith('*') && !n.pattern.startsWith('*') && (n.anyCase ? prefix.toLowerCase() : prefix).startsWith(n.anyCase ? n.pattern.slice(0, -1).toLowerCase() : n.pattern.slice(0, -1)));
  if (covering) {
    const admitted = (covering.except ?? []).filter((e) => e.startsWith(prefix));
    return admitted.length > 0
      ? `${entry}: admits only ${admitted.join(', ')}; never the rest (${covering.why})`
      : `${entry}: admits nothing: ${covering.pattern} never crosses (${covering.why})`;
  }
  const refused = NEVER.filter((n) => {
    if (n.pattern.startsWith('*')) return true;
    const body = n.pattern.endsWith('*') ? n.pattern.slice(0, -1) : n.pattern;
    return (n.anyCase ? body.toLowerCase().startsWith(prefix.toLowerCase()) : body.startsWith(prefix));
  });
  const suffixes = refused.filter((n) => n.pattern.startsWith('*')).map((n) => `${prefix}${n.pattern}`);
  const named = refused.filter((n) => !n.pattern.startsWith('*')).map((n) => n.pattern);
  const never = [...named, ...suffixes];
  return `${entry}: admits ${prefix}... names; never ${never.join(', ')}`;
}
