import { AdminGetUserCommand, AdminUserGlobalSignOutCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { cognitoUserLabel, type CognitoUserRef } from '../../domain/alert';
import { classify, finalFailure } from '../errors';
import { errorName } from './calls';
import { recordWrite } from './ledger';

/**
 * Amazon Cognito user pools: a compromised user of the API signed out everywhere
 * (`AdminUserGlobalSignOut`), which revokes the user's refresh tokens, so no new access or ID
 * token is issued from them. Alerts name the user (pool id and user name), never a token.
 */

/** The user's status; a user or pool that is not there is a final failure saying nothing was changed. */
export async function readCognitoUser(cognito: CognitoIdentityProviderClient, user: CognitoUserRef): Promise<{ status: string; enabled: boolean }> {
  try {
    const found = await cognito.send(new AdminGetUserCommand({ UserPoolId: user.userPoolId, Username: user.username }));
    return { status: found.UserStatus ?? 'UNKNOWN', enabled: found.Enabled ?? true };
  } catch (err) {
    throw notThere(err, user) ?? classify(err, `cognito-idp:AdminGetUser ${cognitoUserLabel(user)}`);
  }
}

function notThere(err: unknown, user: CognitoUserRef) {
  const name = errorName(err);
  if (name === 'UserNotFoundException') return finalFailure(`${cognitoUserLabel(user)} does not exist; nothing was changed`, 'UserNotFoundException');
  if (name === 'ResourceNotFoundException') return finalFailure(`Cognito user pool ${user.userPoolId} does not exist; nothing was changed`, 'ResourceNotFoundException');
  return undefined;
}

export function createCognitoActivities(cognito: CognitoIdentityProviderClient) {
  return {
    /**
     * Signing out again revokes whatever was issued since, and is harmless otherwise, so a retry
     * simply repeats the call; the ledger record's id is stable per activity and user.
     */
    async signOutCognitoUser(input: { user: CognitoUserRef }): Promise<{ signedOut: string }> {
      const { user } = input;
      try {
        await cognito.send(new AdminUserGlobalSignOutCommand({ UserPoolId: user.userPoolId, Username: user.username }));
      } catch (err) {
        throw notThere(err, user) ?? classify(err, `cognito-idp:AdminUserGlobalSignOut ${cognitoUserLabel(user)}`);
      }
      await recordWrite({
        api: 'cognito-idp:AdminUserGlobalSignOut',
        resource: `userpool/${user.userPoolId}/user/${user.username}`,
        before: { refreshTokens: 'valid' },
        after: { refreshTokens: 'revoked' },
      });
      return { signedOut: cognitoUserLabel(user) };
    },
  };
}
