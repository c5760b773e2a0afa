// `execgate serve` says what it has to say about a launch (no sandbox, the
// policy's warnings, the caller's PATH) after each attach, and an agent
// harness attaches once per tool call: the same lines, hundreds of times,
// on the terminal where the human also answers prompts. Each distinct line
// is said once. The lines carry what launches sent (a PATH entry, a
// --pass-env name: as long as a launch is), so what is remembered is capped
// in characters: a line that does not fit is said again rather than
// remembered.
export function saidOnce(say: (line: string) => void, maxChars: number): (line: string) => void {
  const said = new Set<string>();
  let chars = 0;
  return (line) => {
    if (said.has(line)) return;
    if (chars + line.length <= maxChars) {
      said.add(line);
      chars += line.length;
    }
    say(line);
  };
}
