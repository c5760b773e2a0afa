// Programs that run code from files in the working directory: escalating
// them runs what the agent wrote, on the host. `takesProjectCode` marks
// prompts ("this runs code from the project") and `policy check` warns on
// `escalate` rules for them. Keyed by file name; interpreters and launchers
// installed as scripts are also known by their canonical names (npm-cli.js).

/** File name -> why. */
const PROGRAMS: ReadonlyMap<string, string> = new Map([
  // Under --sandbox bwrap the project's .git is read-only inside, which
  // covers .git/config and .git/hooks; not a nested repository elsewhere in
  // the project, nor config that points back into the work tree.
  ['git', 'git runs hooks and programs named in repository config (core.fsmonitor, core.hooksPath, filters, aliases) and reads .gitattributes; a nested .git anywhere in the project is the agent\'s'],
  ['make', 'make runs the recipes of the Makefile in the working directory'],
  ['gmake', 'make runs the recipes of the Makefile in the working directory'],
  ['bmake', 'make runs the recipes of the Makefile in the working directory'],
  ['just', 'just runs the recipes of the justfile'],
  ['task', 'task runs the commands of Taskfile.yml'],
  ['npm', 'npm runs package.json scripts (and install scripts of dependencies)'],
  ['npx', 'npx runs packages from the project\'s node_modules and package.json'],
  ['npm-cli.js', 'npm runs package.json scripts (and install scripts of dependencies)'],
  ['npx-cli.js', 'npx runs packages from the project\'s node_modules and package.json'],
  ['yarn', 'yarn runs package.json scripts and .yarnrc (yarnPath runs a file)'],
  ['yarn.js', 'yarn runs package.json scripts and .yarnrc (yarnPath runs a file)'],
  ['yarn.cjs', 'yarn runs package.json scripts and .yarnrc (yarnPath runs a file)'],
  ['pnpm', 'pnpm runs package.json scripts and .npmrc settings'],
  ['pnpm.cjs', 'pnpm runs package.json scripts and .npmrc settings'],
  ['pnpx', 'pnpx runs packages from the project'],
  ['bun', 'bun runs package.json scripts and bunfig.toml preloads'],
  ['deno', 'deno runs deno.json tasks'],
  ['corepack', 'corepack runs the package manager package.json names'],
  ['cargo', 'cargo runs build.rs, proc macros and .cargo/config.toml wrappers and runners'],
  ['go', 'go runs go:generate commands, tests and the toolchain go.mod names'],
  ['pip', 'pip runs setup.py and build backends of the project'],
  ['pip3', 'pip runs setup.py and build backends of the project'],
  ['python', 'python imports from the working directory first (python -m pip, pytest conftest.py, setup.py)'],
  ['python3', 'python imports from the working directory first (python -m pip, pytest conftest.py, setup.py)'],
  ['pytest', 'pytest imports conftest.py and the tests'],
  ['tox', 'tox runs tox.ini commands'],
  ['nox', 'nox runs noxfile.py'],
  ['poetry', 'poetry runs the project\'s build and scripts'],
  ['pipenv', 'pipenv reads the Pipfile and runs its scripts'],
  ['uv', 'uv runs the project\'s build backends and scripts'],
  ['pdm', 'pdm runs the project\'s scripts'],
  ['hatch', 'hatch runs the project\'s scripts and build hooks'],
  ['pre-commit', 'pre-commit runs the hooks .pre-commit-config.yaml names'],
  ['bundle', 'bundler evaluates the Gemfile (Ruby code)'],
  ['rake', 'rake runs the Rakefile (Ruby code)'],
  ['gem', 'gem build evaluates the gemspec (Ruby code)'],
  ['gradle', 'gradle runs build.gradle (code) and the wrapper it names'],
  ['gradlew', 'the Gradle wrapper is a script in the project'],
  ['mvn', 'maven runs the plugins pom.xml names and .mvn/ settings'],
  ['ant', 'ant runs build.xml'],
  ['sbt', 'sbt runs build.sbt (Scala code)'],
  ['cmake', 'cmake runs CMakeLists.txt (execute_process)'],
  ['meson', 'meson runs meson.build (run_command)'],
  ['ninja', 'ninja runs the commands of build.ninja'],
  ['bazel', 'bazel runs BUILD files, repository rules and .bazelrc'],
  ['bazelisk', 'bazelisk runs the bazel version .bazelversion names'],
  ['composer', 'composer runs composer.json scripts'],
  ['mix', 'mix runs mix.exs (Elixir code)'],
  ['dotnet', 'dotnet runs MSBuild targets of the project'],
  ['msbuild', 'msbuild runs the project\'s targets'],
  ['direnv', 'direnv runs .envrc (shell code)'],
  ['mise', 'mise runs tasks and env scripts from mise.toml'],
  ['nix-shell', 'nix-shell evaluates shell.nix and runs its hooks'],
  ['nix', 'nix evaluates flake.nix and runs its hooks'],
  ['docker', 'docker compose reads compose files (bind mounts of any host path, privileged containers); docker build reads the Dockerfile'],
  ['docker-compose', 'compose files bind-mount any host path and run privileged containers'],
  ['podman', 'podman compose and build read the project\'s compose and Containerfile'],
  ['podman-compose', 'compose files bind-mount any host path'],
  ['terraform', 'terraform runs the project\'s providers, external data sources and provisioners'],
  ['tofu', 'OpenTofu runs the project\'s providers, external data sources and provisioners'],
  ['ansible-playbook', 'ansible runs the playbook and plugins of the project'],
  ['vagrant', 'vagrant evaluates the Vagrantfile (Ruby code)'],
  ['eslint', 'eslint loads eslint.config.js (code) and plugins'],
  ['prettier', 'prettier loads its config and plugins (code)'],
  ['jest', 'jest loads its config and the tests (code)'],
  ['vitest', 'vitest loads its config and the tests (code)'],
  ['webpack', 'webpack loads webpack.config.js (code)'],
  ['vite', 'vite loads vite.config (code)'],
  ['tsx', 'tsx runs the project\'s TypeScript'],
  ['node', 'node resolves require/import from the project\'s node_modules'],
]);

/** Interpreters known by versioned names (python3.11, pip3.11). */
const VERSIONED = /^(python|pip|pydoc)[0-9.]*$/;

/** A short note why `hostProgram` runs code from the project, or null.
 * Accepts a path or a file name; give the canonical path (and, if known, the
 * name the request used) so launchers installed as scripts are recognised. */
export function takesProjectCode(hostProgram: string, named?: string): string | null {
  for (const p of [hostProgram, named]) {
    if (p === undefined) continue;
    const name = p.slice(p.lastIndexOf('/') + 1);
    const why = PROGRAMS.get(name);
    if (why !== undefined) return why;
    const versioned = VERSIONED.exec(name);
    if (versioned) return PROGRAMS.get(versioned[1] === 'pydoc' ? 'python' : versioned[1]!) ?? null;
  }
  return null;
}
