/** The error codes of retention, the legal hold and personal data (docs/retention.md, docs/privacy.md); part of ERROR_CODES. */
export const COMPLIANCE_ERROR_CODES = {
  retention_out_of_range: {
    status: 400,
    description: 'A retention is outside what an organization may choose: audit events 30 to 36500 days, decisions 180 to 36500 days, or null (docs/retention.md).',
  },
  legal_hold_reason_required: { status: 400, description: 'Placing a legal hold needs a reason (1 to 1000 characters): the matter or case it is for.' },
  legal_hold_already_placed: { status: 409, description: 'The organization is already on legal hold; release it first to place another.' },
  legal_hold_not_placed: { status: 409, description: 'The organization is not on legal hold, so there is nothing to release.' },
  legal_hold_active: {
    status: 409,
    description: 'The organization is on legal hold: nothing of its data may be deleted until the hold is released (docs/retention.md).',
  },
  erasure_confirmation_mismatch: {
    status: 400,
    description: 'The erasure’s `confirm` is neither the person’s email address nor `ERASE <userId>`; nothing was erased.',
  },
  person_not_found: { status: 404, description: 'No member of the organization has this id (the id is mistyped, or the person belongs to another organization).' },
  erasure_last_admin: {
    status: 409,
    description: 'The person is the organization’s last admin; make someone else admin before erasing them.',
  },
  person_already_erased: { status: 409, description: 'The person was already erased; their key is destroyed and nothing personal is left to erase.' },
  erasure_other_organizations: {
    status: 409,
    description: 'The person also belongs to other organizations; each must remove them first, since erasure destroys their data everywhere.',
  },
} as const satisfies Record<string, { status: number; description: string }>;
