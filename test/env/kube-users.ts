/** User behind the admin static token; in group `system:masters`. */
export const ADMIN_USER = 'meshwarden-admin';

/** User behind the second static token: only `system:authenticated`, so only RBAC objects tests create grant it anything. */
export const RESTRICTED_USER = 'meshwarden-restricted';
