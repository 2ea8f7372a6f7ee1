import { isAlive } from '../src';

describe('isAlive', () => {
  it('is true for this process and false for a pid that is not running', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(2 ** 22 + 1)).toBe(false); // above Linux's highest pid (pid_max is at most 2^22)
  });
});
