/** Why a provider file is refused; the code travels in `file.rejected` and in quarantine metadata. */
import { InvalidInputError } from '../errors.ts';

export const RejectionCodes = [
  'unknown-provider',
  'bad-name',
  'bad-size',
  'bad-signature',
  'bad-structure',
  'checksum-mismatch',
] as const;
export type RejectionCode = (typeof RejectionCodes)[number];

/** A provider file that can never be accepted as it is: it goes to quarantine with this reason. */
export class FileRejectedError extends InvalidInputError {
  public readonly code: RejectionCode;

  public constructor(code: RejectionCode, message: string) {
    super(message);
    this.name = 'FileRejectedError';
    this.code = code;
  }
}
