/** Test helper for the naming conventions: the `FileRejectedError` an act throws. */
import { expect } from 'vitest';
import { FileRejectedError } from './rejection.ts';

/** Runs `act` and returns the `FileRejectedError` it throws; fails when it throws nothing else. */
export const rejectionOf = (act: () => unknown): FileRejectedError => {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(FileRejectedError);
    return error as FileRejectedError;
  }
  throw new Error('expected a FileRejectedError, but nothing was thrown');
};
