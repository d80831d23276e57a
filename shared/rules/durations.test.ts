import { describe, expect, it } from 'vitest';
import { parseDuration } from './durations.ts';

describe('parseDuration', () => {
  it('reads weeks, days, hours, minutes and seconds', () => {
    // Prepare
    const texts = ['PT5M', 'PT3H', 'P1DT12H', 'PT0.5S', 'P1W', 'PT1H30M15S'];

    // Act
    const lengths = texts.map(parseDuration);

    // Assess
    expect(lengths).toEqual([300_000, 10_800_000, 129_600_000, 500, 604_800_000, 5_415_000]);
  });

  it('refuses months and years, whose length varies', () => {
    // Prepare
    const texts = ['P1M', 'P1Y', 'P1Y2M'];

    // Act
    const messages = texts.map((text) => {
      try {
        parseDuration(text);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    });

    // Assess
    for (const message of messages) expect(message).toMatch(/uses years or months, whose length varies/);
  });

  it('refuses text that is not an ISO-8601 duration', () => {
    // Prepare
    const texts = ['5m', 'P', 'PT', 'pt5m', 'PT5', 'T5M', ''];

    // Act
    const messages = texts.map((text) => {
      try {
        return `accepted ${parseDuration(text)}`;
      } catch (error) {
        return (error as Error).message;
      }
    });

    // Assess
    for (const message of messages) expect(message).toMatch(/is not an ISO-8601 duration; expected for example PT5M/);
  });
});
