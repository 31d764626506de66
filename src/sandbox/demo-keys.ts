/**
 * The private halves of the demo webhook-signing keys (public on purpose, like every demo secret): the Telnyx
 * emulator signs its webhooks with the Ed25519 key whose public key is DEMO_SECRETS.TELNYX_PUBLIC_KEY, the SendGrid
 * emulator its event webhooks with the P-256 key whose public key is DEMO_SECRETS.SENDGRID_WEBHOOK_KEY. Live mode
 * refuses those public keys (config/secrets.ts), so nothing signed with these is ever trusted outside demo mode.
 */
export const DEMO_SIGNING_KEYS = {
  /** PKCS#8 DER, base64. */
  telnyxEd25519: 'MC4CAQAwBQYDK2VwBCIEIGXSn8nTcdKUs5KFW7v/IkKA/pnq+egjREoVY/WpXXms',
  /** PKCS#8 DER, base64. */
  sendgridP256:
    'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgL0IiHbMImvW24jQXF+ZBfJjb+qsRVTmnyXGaBQbuNfmhRANCAASFCeKFe1XofICoclZ38zwvrzQ+/8dbwhkZjwakPY70Rtx+RU2dgPfT9GyCfOoCZQp/jooE+dpz82O0g/kj+axP',
} as const;
