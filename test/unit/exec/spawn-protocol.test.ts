// The supervisor's report lines and the broker's control lines.
import { describe, expect, it } from 'vitest';
import { control, parseReport } from '../../../src/exec/spawn-protocol.js';

describe('spawn protocol lines', () => {
  it('parses the three reports', () => {
    expect(parseReport('P 4194304')).toEqual({ type: 'pid', pid: 4194304 });
    expect(parseReport('S 19')).toEqual({ type: 'stop', signal: 19 });
    expect(parseReport('X 255 0')).toEqual({ type: 'exit', code: 255, signal: 0 });
    expect(parseReport('X 0 9')).toEqual({ type: 'exit', code: 0, signal: 9 });
  });

  it.each(['', 'P', 'P -1', 'P 01', 'P 1 ', 'Q 1', 'X 1', 'X 256 0', 'X 1 9', 'S 1x', 'P 12345678901'])('refuses %j', (line) => {
    expect(parseReport(line)).toBeNull();
  });

  it('writes the control lines', () => {
    expect(control.signal(15).toString()).toBe('K 15\n');
    expect(control.resize(25, 90).toString()).toBe('W 25 90\n');
    expect(control.pauseInput().toString()).toBe('I 0\n');
  });
});
