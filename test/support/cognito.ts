import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';

const PASSWORD = 'Correct-Horse-Battery-9!';

/** A Cognito user pool of the API (in moto), with a client its users sign in through. */
export interface PortalPool {
  userPoolId: string;
  clientId: string;
  /** a confirmed user, signed in: its refresh token */
  signedInUser(username: string): Promise<string>;
  /** signs an existing user in again: the tokens issued */
  signIn(username: string): ReturnType<typeof authResult>;
  /** uses a refresh token: refused once the user is signed out everywhere */
  refresh(token: string): Promise<unknown>;
}

async function authResult(cognito: CognitoIdentityProviderClient, command: AdminInitiateAuthCommand) {
  return (await cognito.send(command)).AuthenticationResult!;
}

export async function portalPool(cognito: CognitoIdentityProviderClient, name = 'patient-portal'): Promise<PortalPool> {
  const userPoolId = (await cognito.send(new CreateUserPoolCommand({ PoolName: name }))).UserPool!.Id!;
  const clientId = (
    await cognito.send(new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: `${name}-web`, ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))
  ).UserPoolClient!.ClientId!;
  const signIn = (username: string) =>
    authResult(cognito, new AdminInitiateAuthCommand({ UserPoolId: userPoolId, ClientId: clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } }));
  return {
    userPoolId,
    clientId,
    signIn,
    async signedInUser(username) {
      await cognito.send(new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: username, MessageAction: 'SUPPRESS' }));
      await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: PASSWORD, Permanent: true }));
      return (await signIn(username)).RefreshToken!;
    },
    refresh: (token) => cognito.send(new AdminInitiateAuthCommand({ UserPoolId: userPoolId, ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: token } })),
  };
}
