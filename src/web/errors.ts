// The web page could not start (a port taken, a file not writable): said in
// one line by the CLI. Its own module, so that the CLI can name it without
// loading the web server, which only `--web` needs.
export class WebStartError extends Error {
  override name = 'WebStartError';
}
