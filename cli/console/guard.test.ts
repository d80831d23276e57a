import { describe, expect, it } from 'vitest';
import { checkRequest, type RequestFacts } from './guard.ts';

const request = (facts: Partial<RequestFacts>): RequestFacts => ({
  method: 'GET',
  host: '127.0.0.1:4310',
  origin: undefined,
  fetchSite: undefined,
  contentType: undefined,
  ...facts,
});

describe('checkRequest', () => {
  it("answers the console's own pages by address and by localhost", () => {
    expect(checkRequest(request({}), 4310)).toEqual({ allowed: true });
    expect(
      checkRequest(
        request({ host: 'localhost:4310', origin: 'http://localhost:4310', fetchSite: 'same-origin' }),
        4310,
      ),
    ).toEqual({ allowed: true });
  });

  it('refuses a Host that is not its own, as a rebound DNS name sends it', () => {
    const verdict = checkRequest(request({ host: 'rebind.example:4310' }), 4310);
    expect(verdict).toMatchObject({ allowed: false, status: 421 });
    expect(checkRequest(request({ host: '127.0.0.1:4311' }), 4310)).toMatchObject({ allowed: false, status: 421 });
    expect(checkRequest(request({ host: undefined }), 4310)).toMatchObject({ allowed: false, status: 421 });
  });

  it('refuses a request from another site by its Origin or Sec-Fetch-Site', () => {
    expect(checkRequest(request({ origin: 'http://evil.example' }), 4310)).toMatchObject({
      allowed: false,
      status: 403,
    });
    expect(checkRequest(request({ origin: 'http://127.0.0.1:9999' }), 4310)).toMatchObject({
      allowed: false,
      status: 403,
    });
    expect(checkRequest(request({ fetchSite: 'cross-site' }), 4310)).toMatchObject({ allowed: false, status: 403 });
    expect(checkRequest(request({ fetchSite: 'same-site' }), 4310)).toMatchObject({ allowed: false, status: 403 });
  });

  it('lets a write through only with its own Origin and a JSON body', () => {
    const write = { method: 'POST', origin: 'http://127.0.0.1:4310', fetchSite: 'same-origin' };
    expect(checkRequest(request({ ...write, contentType: 'application/json' }), 4310)).toEqual({ allowed: true });
    expect(checkRequest(request({ ...write, contentType: 'text/plain' }), 4310)).toMatchObject({
      allowed: false,
      status: 415,
    });
    expect(checkRequest(request({ method: 'POST', contentType: 'application/json' }), 4310)).toMatchObject({
      allowed: false,
      status: 403,
    });
  });
});
