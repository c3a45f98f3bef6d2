const encoder = new TextEncoder();

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** `X-Burnrate-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as the contract fixes. */
export async function signatureHeader(secret: string, body: string, unixSeconds: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${unixSeconds}.${body}`));
  return `t=${unixSeconds},v1=${hex(mac)}`;
}

/** Verifies a signature header the way a platform should (constant time, with a tolerance). */
export async function verifySignature(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): Promise<boolean> {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !parts.v1) return false;
  const expected = (await signatureHeader(secret, body, t)).split('v1=')[1]!;
  const a = encoder.encode(expected);
  const b = encoder.encode(parts.v1);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}
