import { SignJWT } from 'jose';

/** User tokens as integrators mint them: HS256 over AUTH_JWT_SECRET, sub = username, exp set. */
export async function mintUserTokens(
  secret: string,
  usernames: readonly string[],
  ttlS = 6 * 3600,
): Promise<Map<string, string>> {
  const key = new TextEncoder().encode(secret);
  const nowS = Math.floor(Date.now() / 1000);
  const tokens = new Map<string, string>();
  for (const username of usernames) {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(username)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + ttlS)
      .sign(key);
    tokens.set(username, token);
  }
  return tokens;
}
