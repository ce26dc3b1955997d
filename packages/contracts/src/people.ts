import { z } from 'zod';
import { dateTimeSchema } from './instants.js';
import { PERMISSIONS, roleSchema } from './roles.js';

/** Organizations, people, memberships, API keys, sessions and first-run setup. */

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_… id` });
export const organizationIdSchema = id('org');
export const userIdSchema = id('usr');
export const apiKeyIdSchema = id('key');
export const sessionIdSchema = id('ses');
const timestamp = z.string().describe('RFC 3339 timestamp');

const name = z.string().trim().min(1, { message: 'must not be empty' }).max(200);
const email = z.email({ message: 'must be an email address' }).max(320);

export const organizationSchema = z
  .object({
    id: organizationIdSchema,
    name: z.string(),
    auditRetentionDays: z.number().int().nullable().describe('Days audit events are kept; null keeps them forever'),
    agentTokenAudiences: z
      .array(z.string())
      .describe("Audiences, besides AIM itself, that the organization's agents may ask tokens for (docs/agent-identity.md §5a)"),
    autoApproveLowRiskCapabilities: z.boolean().describe('Low-risk capabilities declared at self-registration are granted without a person'),
    approvalTimeoutSeconds: z.number().int().describe('How long a pending decision waits for a person before it turns into deny'),
    createdAt: timestamp,
  })
  .meta({ id: 'Organization' });

export const createOrganizationSchema = z
  .object({ name: name.describe('Display name of the organization') })
  .meta({ id: 'CreateOrganization', examples: [{ name: 'Acme Robotics' }] });

export const updateOrganizationSchema = z
  .object({
    name: name.optional(),
    auditRetentionDays: z.number().int().min(30).max(36500).nullable().optional().describe('null keeps audit events forever'),
    agentTokenAudiences: z
      .array(z.string().trim().min(1).max(200))
      .max(50)
      .refine((list) => new Set(list).size === list.length, { message: 'must not repeat an audience' })
      .optional()
      .describe("Audiences, besides AIM itself, that the organization's agents may ask tokens for; [] allows none"),
    autoApproveLowRiskCapabilities: z.boolean().optional(),
    approvalTimeoutSeconds: z.number().int().min(30).max(86_400).optional(),
  })
  .meta({ id: 'UpdateOrganization', examples: [{ name: 'Acme Robotics EU' }] });

export const userSchema = z
  .object({ id: userIdSchema, email: z.string(), name: z.string(), createdAt: timestamp })
  .meta({ id: 'User' });

export const membershipSchema = z
  .object({ organization: organizationSchema.pick({ id: true, name: true }), role: roleSchema })
  .meta({ id: 'Membership' });

export const meSchema = z
  .object({
    user: userSchema,
    organization: organizationSchema.pick({ id: true, name: true }).nullable().describe('The organization this session acts for'),
    role: roleSchema.nullable(),
    permissions: z
      .array(z.enum(PERMISSIONS))
      .describe('What your role lets you do in this organization (docs/permissions.md); empty without one. The dashboard shows controls by it; the server checks every request.'),
    memberships: z.array(membershipSchema),
    sessionId: sessionIdSchema,
    csrfToken: z.string().describe('Send it in the x-csrf-token header of every POST, PUT, PATCH and DELETE made with the session cookie'),
  })
  .meta({ id: 'Me' });

export const switchOrganizationSchema = z
  .object({ organizationId: organizationIdSchema })
  .meta({ id: 'SwitchOrganization', examples: [{ organizationId: 'org_01j0000000000000000000000a' }] });

export const memberSchema = z
  .object({ user: userSchema, role: roleSchema, joinedAt: timestamp })
  .meta({ id: 'Member' });
export const memberListSchema = z.object({ members: z.array(memberSchema) }).meta({ id: 'MemberList' });
export const updateMemberSchema = z.object({ role: roleSchema }).meta({ id: 'UpdateMember', examples: [{ role: 'manager' }] });
export const memberParamsSchema = z.object({ userId: userIdSchema });

export const apiKeySchema = z
  .object({
    id: apiKeyIdSchema,
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to tell keys apart'),
    role: roleSchema,
    createdBy: userIdSchema.describe('The person who created it; the key never does more than they may'),
    createdAt: timestamp,
    expiresAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
    useCount: z.number().int().nonnegative(),
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });
export const createdApiKeySchema = z
  .object({ apiKey: apiKeySchema, key: z.string().describe('The key itself. Shown once: store it now.') })
  .meta({ id: 'CreatedApiKey' });
export const apiKeyListSchema = z.object({ apiKeys: z.array(apiKeySchema) }).meta({ id: 'ApiKeyList' });
export const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: roleSchema.optional().describe('At most your own role; defaults to it'),
    expiresAt: dateTimeSchema().optional().describe('When the key stops working'),
  })
  .meta({ id: 'CreateApiKey', examples: [{ name: 'CI deploys' }] });
export const apiKeyParamsSchema = z.object({ apiKeyId: apiKeyIdSchema });

export const sessionSchema = z
  .object({
    id: sessionIdSchema,
    current: z.boolean(),
    authMethod: z.enum(['oidc', 'passkey', 'setup']),
    userAgent: z.string().nullable(),
    clientIp: z.string().nullable().describe('The address the session signed in from, as AIM saw it'),
    createdAt: timestamp,
    lastSeenAt: timestamp,
    expiresAt: timestamp,
  })
  .meta({ id: 'Session' });
export const sessionListSchema = z.object({ sessions: z.array(sessionSchema) }).meta({ id: 'SessionList' });
export const sessionParamsSchema = z.object({ sessionId: sessionIdSchema });
export const revokedCountSchema = z.object({ revoked: z.number().int().nonnegative() }).meta({ id: 'RevokedCount' });

export const setupSchema = z
  .object({
    token: z.string().min(16).describe('AIM_BOOTSTRAP_TOKEN, or the token of the one-time setup link printed at first start'),
    organization: createOrganizationSchema,
    admin: z.object({ email, name }),
  })
  .meta({
    id: 'Setup',
    examples: [{ token: '<token>', organization: { name: 'Acme Robotics' }, admin: { email: 'ada@acme.example', name: 'Ada Lovelace' } }],
  });
export const setupResultSchema = z
  .object({
    organization: organizationSchema,
    user: userSchema,
    apiKey: createdApiKeySchema.nullable().describe('An admin API key, shown once (bootstrap token only)'),
  })
  .meta({ id: 'SetupResult' });

export const okSchema = z.object({ ok: z.literal(true) }).meta({ id: 'Ok' });

export const invitationIdSchema = id('inv');
export const invitationSchema = z
  .object({
    id: invitationIdSchema,
    email: z.string(),
    role: roleSchema,
    invitedBy: userIdSchema.nullable(),
    createdAt: timestamp,
    expiresAt: timestamp,
    acceptedAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'Invitation' });
export const createdInvitationSchema = invitationSchema
  .extend({
    link: z.string().describe('The invitation link, shown once (AIM keeps only a hash of its token): give it to the person if the mail does not reach them'),
  })
  .meta({ id: 'CreatedInvitation' });
export const invitationListSchema = z.object({ invitations: z.array(invitationSchema) }).meta({ id: 'InvitationList' });
export const createInvitationSchema = z
  .object({ email, role: roleSchema })
  .meta({ id: 'CreateInvitation', examples: [{ email: 'grace@acme.example', role: 'member' }] });
export const invitationParamsSchema = z.object({ invitationId: invitationIdSchema });
export const acceptInvitationSchema = z
  .object({ token: z.string().min(16).max(200) })
  .meta({ id: 'AcceptInvitation', examples: [{ token: '<token from the invitation link>' }] });
export const acceptedInvitationSchema = z
  .object({ organization: organizationSchema.pick({ id: true, name: true }), role: roleSchema })
  .meta({ id: 'AcceptedInvitation' });
export const invitationPreviewSchema = z
  .object({
    organization: organizationSchema.pick({ id: true, name: true }),
    role: roleSchema,
    email: z.string().describe('The invited address: the new account carries it, and an identity provider must vouch for it'),
    invitedBy: z.object({ name: z.string() }).nullable().describe('Who invited (null once they left the organization)'),
    expiresAt: timestamp,
    accountExists: z.boolean().describe('An AIM account already uses the address: sign in, then accept (POST /api/v1/invitations/accept)'),
    providers: z
      .array(z.object({ id: z.string(), displayName: z.string(), startUrl: z.string().describe('Send the browser here to join through this provider') }))
      .describe("Identity providers to join through: the deployment's, and the organization's own when it verified the address's domain"),
  })
  .meta({ id: 'InvitationPreview' });

export const identityProviderListSchema = z
  .object({
    providers: z.array(
      z.object({
        id: z.string(),
        displayName: z.string(),
        startUrl: z.string().describe('Send the browser here to sign in (add ?returnTo=/path to come back to a page)'),
      }),
    ),
  })
  .meta({ id: 'IdentityProviderList' });
export const oidcStartParamsSchema = z.object({ providerId: z.string().regex(/^(google|microsoft|okta|oidc|idp_[0-9a-z]{26})$/) });
export const oidcStartQuerySchema = z.object({
  returnTo: z.string().max(500).optional(),
  invitation: z
    .string()
    .min(16)
    .max(200)
    .optional()
    .describe('The token of an invitation to accept: the provider must vouch for the invited address, and the session starts in that organization'),
});
export const oidcCallbackQuerySchema = z
  .object({
    state: z.string().max(500).optional(),
    code: z.string().max(4000).optional(),
    error: z.string().max(200).optional(),
    error_description: z.string().max(1000).optional(),
    iss: z.string().max(500).optional(),
    session_state: z.string().max(500).optional(),
  })
  .loose();
export const redirectSchema = z.null().describe('A redirect (see the Location header)');

export const passkeyIdSchema = id('pky');
export const passkeySchema = z
  .object({
    id: passkeyIdSchema,
    name: z.string(),
    deviceType: z.enum(['singleDevice', 'multiDevice']),
    backedUp: z.boolean(),
    transports: z.array(z.string()),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable(),
  })
  .meta({ id: 'Passkey' });
export const passkeyListSchema = z.object({ passkeys: z.array(passkeySchema) }).meta({ id: 'PasskeyList' });
export const passkeyParamsSchema = z.object({ passkeyId: passkeyIdSchema });
const passkeyName = z.string().trim().min(1).max(100);
export const renamePasskeySchema = z.object({ name: passkeyName }).meta({ id: 'RenamePasskey', examples: [{ name: 'Work laptop' }] });
/** A WebAuthn credential as the browser's `PublicKeyCredential.toJSON()` gives it. */
const webauthnCredential = z
  .object({
    id: z.string().max(1024),
    rawId: z.string().max(1024),
    type: z.literal('public-key'),
    response: z.record(z.string(), z.unknown()),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.string().optional(),
  })
  .loose();
export const webauthnOptionsSchema = z
  .record(z.string(), z.unknown())
  .describe('Options for navigator.credentials.create() / get(), in their JSON form')
  .meta({ id: 'WebAuthnOptions' });
export const registerPasskeySchema = z
  .object({ name: passkeyName, credential: webauthnCredential })
  .meta({ id: 'RegisterPasskey', examples: [{ name: 'Work laptop', credential: { id: 'x', rawId: 'x', type: 'public-key', response: {} } }] });
export const joinWithPasskeyOptionsSchema = z
  .object({ token: acceptInvitationSchema.shape.token, name: name.describe('Your name, as the organization will see it') })
  .meta({ id: 'JoinWithPasskeyOptions', examples: [{ token: '<token from the invitation link>', name: 'Grace Hopper' }] });
export const joinWithPasskeySchema = z
  .object({ token: acceptInvitationSchema.shape.token, credential: webauthnCredential })
  .meta({
    id: 'JoinWithPasskey',
    examples: [{ token: '<token from the invitation link>', credential: { id: 'x', rawId: 'x', type: 'public-key', response: {} } }],
  });
export const passkeySignInSchema = z
  .object({ credential: webauthnCredential })
  .meta({ id: 'PasskeySignIn', examples: [{ credential: { id: 'x', rawId: 'x', type: 'public-key', response: {} } }] });

export const identityProviderIdSchema = id('idp');
export const organizationIdentityProviderSchema = z
  .object({
    id: identityProviderIdSchema,
    preset: z.enum(['google', 'microsoft', 'okta', 'oidc']),
    displayName: z.string(),
    issuer: z.string(),
    clientId: z.string(),
    enabled: z.boolean(),
    signInUrl: z.string().describe('Share it with your people: it starts sign-in with this provider'),
    redirectUri: z.string().describe('Register this redirect URI at the provider'),
    createdAt: timestamp,
  })
  .meta({ id: 'OrganizationIdentityProvider' });
export const organizationIdentityProviderListSchema = z
  .object({ identityProviders: z.array(organizationIdentityProviderSchema) })
  .meta({ id: 'OrganizationIdentityProviderList' });
export const createIdentityProviderSchema = z
  .object({
    preset: z.enum(['google', 'microsoft', 'okta', 'oidc']),
    displayName: z.string().trim().min(1).max(100).optional(),
    issuer: z.url().max(500).optional().describe('Required for okta and oidc'),
    tenant: z.string().regex(/^[A-Za-z0-9.-]+$/).max(100).optional().describe('Required for microsoft: tenant id or domain'),
    clientId: z.string().min(1).max(500),
    clientSecret: z.string().min(1).max(2000).describe('Stored encrypted; never shown again'),
  })
  .meta({
    id: 'CreateIdentityProvider',
    examples: [{ preset: 'okta', issuer: 'https://acme.okta.com', clientId: '0oa1example', clientSecret: '<secret>' }],
  });
export const updateIdentityProviderSchema = z
  .object({
    displayName: z.string().trim().min(1).max(100).optional(),
    enabled: z.boolean().optional(),
    clientSecret: z.string().min(1).max(2000).optional(),
  })
  .meta({ id: 'UpdateIdentityProvider', examples: [{ enabled: false }] });
export const identityProviderParamsSchema = z.object({ identityProviderId: identityProviderIdSchema });

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, { message: 'must be a domain name such as acme.example' })
  .max(253);
export const domainSchema = z
  .object({
    domain: z.string(),
    defaultRole: z.enum(['manager', 'member', 'viewer']),
    verified: z.boolean(),
    verifiedAt: timestamp.nullable(),
    verification: z.object({
      recordName: z.string().describe('DNS TXT record to create'),
      recordValue: z.string(),
    }),
    createdAt: timestamp,
  })
  .meta({ id: 'Domain' });
export const domainListSchema = z.object({ domains: z.array(domainSchema) }).meta({ id: 'DomainList' });
export const claimDomainSchema = z
  .object({ domain: domainName, defaultRole: z.enum(['manager', 'member', 'viewer']).default('viewer') })
  .meta({ id: 'ClaimDomain', examples: [{ domain: 'acme.example', defaultRole: 'viewer' }] });
export const domainParamsSchema = z.object({ domain: domainName });
