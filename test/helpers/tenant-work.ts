/** The inputs a poisoned tenant uses: catastrophic backtracking patterns and the string that triggers them. */
export const CATASTROPHIC = ["^(a|a)*$", "^((a+))+$", "^(a+?)+$", "^(a+b?)+$"];
export const EVIL_INPUT = `${"a".repeat(40)}!`;
