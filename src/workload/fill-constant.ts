/** A --fill value, checked against its input's type: the plan rejects bad ones, tensors use them. */
import { usageError } from '../errors.js';
import type { OrtDType } from '../model/dtypes.js';

/** Ranges of the integer types a --fill value must fit. */
const INT_RANGES: Partial<Record<OrtDType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};
/** Checks a --fill value against the input's type and returns it typed. */
export function parseConstant(
  text: string,
  dtype: OrtDType,
  inputName: string,
): number | bigint | boolean | string {
  if (dtype === 'string') return text;
  if (dtype === 'bool') {
    if (['true', '1'].includes(text.toLowerCase())) return true;
    if (['false', '0'].includes(text.toLowerCase())) return false;
    throw usageError(`--fill ${inputName}=${text}: a bool input takes true or false`);
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw usageError(`--fill ${inputName}=${text}: not a number`, `${inputName} is ${dtype}`);
  }
  if (/int/.test(dtype)) {
    if (!Number.isInteger(value))
      throw usageError(`--fill ${inputName}=${text}: ${dtype} needs a whole number`);
    if (dtype.startsWith('uint') && value < 0)
      throw usageError(`--fill ${inputName}=${text}: ${dtype} cannot be negative`);
    if (dtype === 'int64' || dtype === 'uint64')
      return /^[+-]?\d+$/.test(text.trim()) ? BigInt(text.trim()) : BigInt(value);
    const range = INT_RANGES[dtype];
    if (range && (value < range[0] || value > range[1])) {
      throw usageError(
        `--fill ${inputName}=${text}: out of range for ${dtype}`,
        `give a value from ${range[0]} to ${range[1]}`,
      );
    }
  }
  return value;
}
