import { randomInt } from 'node:crypto';

/** Luhn check digit of a string of digits (the digit to append). */
export function luhnCheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function hasValidLuhn(number: string): boolean {
  return /^\d{2,}$/.test(number) && luhnCheckDigit(number.slice(0, -1)) === number.slice(-1);
}

/** Uniformly random digits from the CSPRNG: numbers that cannot be guessed from one another. */
export function randomDigits(count: number, firstNonZero = false): string {
  let out = '';
  for (let i = 0; i < count; i++)
    out += String(i === 0 && firstNonZero ? randomInt(1, 10) : randomInt(0, 10));
  return out;
}

export function withLuhn(body: string): string {
  return body + luhnCheckDigit(body);
}
