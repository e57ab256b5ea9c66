/**
 * A local OIDC issuer: a real key pair (jose), its JWKS and discovery document served over HTTP,
 * and JWTs signed as an identity provider signs them. `rogue` signs with a key the issuer never
 * published, for tokens that must be refused.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type CryptoKey } from 'jose';

export interface OidcIssuer {
  issuer: string;
  jwksRequests: number;
  token(claims: JWTPayload & { sub: string }, options?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export interface TokenOptions {
  audience?: string;
  issuer?: string;
  /** seconds from now (negative: already expired) */
  expiresIn?: number;
  notBefore?: number;
  /** sign with a key this issuer does not publish */
  rogue?: boolean;
}

export async function oidcIssuer(): Promise<OidcIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const rogue = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'issuer-key-1', alg: 'ES256', use: 'sig' };
  let jwksRequests = 0;
  let issuer = '';
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['ES256'] }));
    }
    if (req.url === '/jwks') {
      jwksRequests += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ keys: [jwk] }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = (claims: JWTPayload, key: CryptoKey, options: TokenOptions) => {
    const now = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'issuer-key-1', typ: 'JWT' })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? 'tourniquet')
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 600));
    if (options.notBefore !== undefined) jwt = jwt.setNotBefore(now + options.notBefore);
    return jwt.sign(key);
  };

  return {
    get issuer() {
      return issuer;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    token: (claims, options = {}) => sign(claims, options.rogue ? rogue.privateKey : privateKey, options),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
