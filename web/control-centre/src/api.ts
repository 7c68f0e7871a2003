// Talks to the Gateway on the page's own origin (docs/api.md). Every error answer is problem+json
// with a stable `code`; the page switches on that code, never on the English text.

export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  attemptsLeft?: number;
  /** step_up_required: the ways this user can confirm it is them; maxAge: how long a proof counts, in seconds. */
  methods?: string[];
  maxAge?: number;
  /** From the Retry-After header, when the answer had one. */
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code);
  }
}

export interface SignedIn {
  status: "signed_in";
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  deviceToken?: string | null;
}

/** The ways to finish a Control Centre sign-in (`methods` of mfa_required, the preferred first). */
export type SecondFactor = "passkey" | "totp" | "sms" | "recovery_code";

export interface MfaRequired {
  status: "mfa_required";
  method: SecondFactor | "totp_enrollment";
  /** Control Centre: every way this user may finish, the preferred first. */
  methods?: string[];
  loginTicket: string;
  phoneHint?: string;
  expiresAt?: string;
  resendAfter?: string;
  attemptsLeft?: number;
}

/** What became of a sign-in's SMS code (GET /api/auth/mfa/status). */
export interface MfaStatus {
  status: "pending" | "verified" | "locked" | "expired";
  delivery: { state: "queued" | "not_sent" | "sent" | "delivered" | "failed"; at?: string | null; reason?: string | null };
}

export interface Me {
  id: string;
  email: string;
  displayName: string;
  role: "Admin" | "Manager" | "Employee";
  organisation: string;
  phoneHint?: string | null;
  /** nl or en: the user's choice, else the organisation's language. */
  locale: string;
}

export interface TrustedDevice {
  id: string;
  name: string;
  createdAt: string;
  lastSignInAt?: string | null;
  trustedUntil: string;
  current: boolean;
}

/** A live sign-in of the signed-in user. */
export interface AccountSession {
  id: string;
  client: "control-centre" | "mobile";
  signedInAt: string;
  lastSeenAt: string;
  expiresAt: string;
  amr: string[];
  /** The trusted device that opened it, when one did. */
  deviceName?: string | null;
  current: boolean;
}

export interface RecoveryCodesStatus {
  remaining: number;
  createdAt?: string | null;
}

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: string;
  active: boolean;
  /** Masked (+31 6 •••• ••78) for everyone but the user themself. */
  phone?: string | null;
  phoneVerified: boolean;
  fromLinkedDatabase: boolean;
  lockedUntil?: string | null;
  secondFactorLockedUntil?: string | null;
  lastSignInAt?: string | null;
  /** No password chosen yet: the invitation can be sent again. */
  invitationPending: boolean;
}

export interface NewUser {
  email: string;
  displayName: string;
  role: string;
  phone?: string;
}

/** The 202 of a number change that waits for a second admin, and each change in the approvals list. */
export interface PendingPhoneChange {
  id: string;
  targetUserId: string;
  targetEmail: string;
  requestedBy: string;
  /** In the approvals list: the address of the admin who asked (gone when that account was deleted). */
  requestedByEmail?: string | null;
  createdAt: string;
  phoneHint?: string | null;
  state: string;
  expiresAt: string;
  /** Set when no second admin can approve it now: the change applies by itself then, unless rejected. */
  applyAfter?: string | null;
}

export interface UserPage {
  items: User[];
  page: number;
  pageSize: number;
  total: number;
}

export interface MfaReadinessEntry {
  id: string;
  email: string;
  displayName: string;
  role: string;
  reason: string;
  phoneHint?: string | null;
}

export interface MfaReadiness {
  adminsAndManagers: number;
  ready: number;
  notReady: MfaReadinessEntry[];
  /** Numbers no code has proved yet: a typo shows only at the first sign-in. */
  unverifiedNumbers: MfaReadinessEntry[];
}

export interface AuditEntry {
  id: number;
  at: string;
  event: string;
  actorEmail?: string | null;
  subjectEmail?: string | null;
  clientIp?: string | null;
  details?: string | null;
}

export interface AuditPage {
  items: AuditEntry[];
  page: number;
  pageSize: number;
  total: number;
}

/** The audit log's filters: from inclusive, to exclusive (ISO 8601). */
export interface AuditFilter {
  event?: string;
  userId?: string;
  from?: string;
  to?: string;
}

export interface OrganisationSettings {
  name: string;
  mobileTotpRequired: boolean;
  mobilePinRequired: boolean;
  pinLength: number;
  trustedDevicePeriodDays: number;
  linkedDatabase: boolean;
}

export type StepUpMethod = "passkey" | "sms" | "totp" | "recovery_code";

export type StepUpProof =
  | { method: "sms"; stepUpTicket: string; code: string }
  | { method: "totp" | "recovery_code"; code: string }
  | { method: "passkey"; ceremonyId: string; credential: unknown };

/** A passkey prompt: WebAuthn JSON for PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON. */
export interface PasskeyPrompt {
  ceremonyId: string;
  options: unknown;
}

export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt?: string | null;
  /** A passkey that syncs between devices (backup eligible). */
  synced: boolean;
}

export interface AuthenticatorEnrollment {
  secret: string;
  otpauthUri: string;
  /** An SVG image of the otpauth URI as a QR code. */
  qrCodeSvg: string;
}

export interface StepUpSmsSent {
  stepUpTicket: string;
  phoneHint: string;
  expiresAt: string;
  resendAfter: string;
}

export interface SteppedUp {
  status: "stepped_up";
  method: StepUpMethod;
  validUntil: string;
}

export interface DevSms {
  to: string;
  body: string;
  sentAt: string;
}

type Method = "GET" | "POST" | "PUT" | "DELETE";

const refreshTokenKey = "flexwhere.cc.refreshToken";
const deviceTokensKey = "flexwhere.cc.deviceTokens";

// The access token lives in memory only; the refresh token in sessionStorage, so a reload in the
// same tab keeps the user signed in and closing the tab ends it.
let accessToken: string | null = null;

export const session = {
  get signedIn(): boolean {
    return accessToken !== null;
  },
  get refreshToken(): string | null {
    return sessionStorage.getItem(refreshTokenKey);
  },
  start(tokens: SignedIn): void {
    accessToken = tokens.accessToken;
    sessionStorage.setItem(refreshTokenKey, tokens.refreshToken);
  },
  clear(): void {
    accessToken = null;
    sessionStorage.removeItem(refreshTokenKey);
  },
};

// A remembered device is remembered per account: another user on the same browser still gets a code.
export const deviceTokens = {
  get(email: string): string | null {
    return readDeviceTokens()[email.trim().toLowerCase()] ?? null;
  },
  set(email: string, token: string): void {
    const all = readDeviceTokens();
    all[email.trim().toLowerCase()] = token;
    localStorage.setItem(deviceTokensKey, JSON.stringify(all));
  },
  forget(email: string): void {
    const all = readDeviceTokens();
    delete all[email.trim().toLowerCase()];
    localStorage.setItem(deviceTokensKey, JSON.stringify(all));
  },
};

function readDeviceTokens(): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(deviceTokensKey) ?? "{}");
    return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** text: a file the API makes (a CSV export), read as it is. */
type Format = "json" | "text";

async function send<T>(method: Method, path: string, body?: unknown, bearer?: string | null, format: Format = "json",
    extraHeaders: Record<string, string> = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: format === "json" ? "application/json" : "text/csv, application/problem+json",
    ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (bearer) headers.Authorization = `Bearer ${bearer}`;

  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError({ status: 0, code: "network_error",
        detail: "The Control Centre cannot be reached. Check your connection and try again." });
  }

  if (response.ok) {
    // 204, and a 202 without a body (a new invitation), carry nothing to read.
    const text = response.status === 204 ? "" : await response.text();
    if (format === "text") return text as T;
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }
  throw new ApiError(await readProblem(response));
}

async function readProblem(response: Response): Promise<Problem> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // Not problem+json (a proxy in between, say): the status alone has to do.
  }
  const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return {
    status: response.status,
    code: typeof body.code === "string" ? body.code : `http_${response.status}`,
    title: typeof body.title === "string" ? body.title : undefined,
    detail: typeof body.detail === "string" ? body.detail : undefined,
    attemptsLeft: typeof body.attemptsLeft === "number" ? body.attemptsLeft : undefined,
    methods: Array.isArray(body.methods) ? body.methods.filter((m): m is string => typeof m === "string") : undefined,
    maxAge: typeof body.maxAge === "number" ? body.maxAge : undefined,
    retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined,
  };
}

function query(values: Record<string, string | undefined>): string {
  return new URLSearchParams(Object.entries(values).filter((entry): entry is [string, string] => !!entry[1])).toString();
}

let refreshing: Promise<boolean> | null = null;

/** Exchanges the refresh token for new tokens; false (and signed out) when it no longer works. */
export function refreshSession(): Promise<boolean> {
  const refreshToken = session.refreshToken;
  if (!refreshToken) return Promise.resolve(false);
  // Refresh tokens are single use: requests that fail together share one refresh.
  refreshing ??= send<SignedIn>("POST", "/api/auth/refresh", { refreshToken })
    .then((tokens) => {
      session.start(tokens);
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof ApiError && error.problem.status === 401) session.clear();
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** Asks the person to confirm it is them (the page's step-up dialog); true once the server accepted a proof. */
export type StepUpHandler = (methods: string[], maxAgeSeconds: number | undefined) => Promise<boolean>;

let stepUpHandler: StepUpHandler | null = null;
let sessionEndedHandler: ((problem: Problem) => void) | null = null;

/** The server ended the session (logout elsewhere, revoked device, stricter policy, idle): the page signs in again. */
export function onSessionEnded(handler: (problem: Problem) => void): void {
  sessionEndedHandler = handler;
}
let steppingUp: Promise<boolean> | null = null;

export function onStepUpRequired(handler: StepUpHandler): void {
  stepUpHandler = handler;
}

function stepUp(problem: Problem): Promise<boolean> {
  if (!stepUpHandler) return Promise.resolve(false);
  // Changes refused together wait for one dialog, not one each.
  steppingUp ??= stepUpHandler(problem.methods ?? [], problem.maxAge).finally(() => {
    steppingUp = null;
  });
  return steppingUp;
}

/**
 * A call with the access token. An expired token is refreshed once and the call repeated; a change
 * that needs a fresh second factor (step_up_required) asks the person once and is repeated after
 * they confirmed — a new token cannot answer that, only the person can.
 */
async function authorised<T>(method: Method, path: string, body?: unknown, format: Format = "json"): Promise<T> {
  let refreshed = false;
  let steppedUp = false;
  for (;;) {
    try {
      return await send<T>(method, path, body, accessToken, format);
    } catch (error) {
      if (!(error instanceof ApiError) || error.problem.status !== 401) throw error;
      const { problem } = error;
      if (problem.code === "step_up_required") {
        if (steppedUp || !(await stepUp(problem))) throw error;
        steppedUp = true;
      } else if (problem.code === "session_revoked") {
        // The session has ended on the server; its refresh token is dead with it.
        session.clear();
        sessionEndedHandler?.(problem);
        throw error;
      } else {
        if (refreshed || !(await refreshSession())) throw error;
        refreshed = true;
      }
    }
  }
}

export const api = {
  login: (email: string, password: string, deviceToken: string | null) =>
    send<SignedIn | MfaRequired>("POST", "/api/auth/login", { email, password, client: "control-centre", deviceToken }),
  /** method: the factor the code is from (sms or totp). */
  verify: (loginTicket: string, code: string, rememberDevice: boolean, deviceName: string, method?: "sms" | "totp") =>
    send<SignedIn>("POST", "/api/auth/mfa/verify", { loginTicket, code, rememberDevice, deviceName, method }),
  /** Texts the code of a sign-in that started with another factor. */
  textCode: (loginTicket: string) => send<MfaRequired>("POST", "/api/auth/mfa/sms", { loginTicket }),
  passkeyFactorOptions: (loginTicket: string) => send<PasskeyPrompt>("POST", "/api/auth/mfa/passkey/options", { loginTicket }),
  passkeyFactor: (loginTicket: string, ceremonyId: string, credential: unknown, rememberDevice: boolean, deviceName: string) =>
    send<SignedIn>("POST", "/api/auth/mfa/passkey", { loginTicket, ceremonyId, credential, rememberDevice, deviceName }),
  passwordlessOptions: () => send<PasskeyPrompt>("POST", "/api/auth/passkey/options"),
  passwordless: (ceremonyId: string, credential: unknown) =>
    send<SignedIn>("POST", "/api/auth/passkey", { ceremonyId, credential, client: "control-centre" }),
  /** The ticket goes in a header: a GET has no body, and a URL ends up in logs. */
  mfaStatus: (loginTicket: string) =>
    send<MfaStatus>("GET", "/api/auth/mfa/status", undefined, null, "json", { "X-Login-Ticket": loginTicket }),
  resend: (loginTicket: string) => send<{ resendAfter: string; expiresAt: string }>("POST", "/api/auth/mfa/resend", { loginTicket }),
  forgotPassword: (email: string) => send<{ status: string }>("POST", "/api/auth/password/forgot", { email }),
  /** With the token of an e-mailed link; admins and managers send it twice: first without a code (which texts one), then with it. */
  setPassword: (token: string, password: string, code?: string) =>
    send<{ status: "code_sent" | "password_set"; phone?: string }>("POST", "/api/auth/password/reset", { token, password, code }),
  logout: async () => {
    const refreshToken = session.refreshToken;
    try {
      if (refreshToken) await send<void>("POST", "/api/auth/logout", { refreshToken });
    } finally {
      session.clear();
    }
  },
  me: () => authorised<Me>("GET", "/api/me"),
  devices: () => authorised<TrustedDevice[]>("GET", "/api/me/devices"),
  revokeDevice: (id: string) => authorised<void>("DELETE", `/api/me/devices/${encodeURIComponent(id)}`),
  revokeAllDevices: () => authorised<{ ended: number }>("DELETE", "/api/me/devices"),
  sessions: () => authorised<AccountSession[]>("GET", "/api/me/sessions"),
  endSession: (id: string) => authorised<void>("DELETE", `/api/me/sessions/${encodeURIComponent(id)}`),
  endOtherSessions: () => authorised<{ ended: number }>("DELETE", "/api/me/sessions"),
  recoveryCodes: () => authorised<RecoveryCodesStatus>("GET", "/api/me/recovery-codes"),
  newRecoveryCodes: () => authorised<{ codes: string[]; createdAt: string }>("POST", "/api/me/recovery-codes"),
  changePassword: (currentPassword: string, newPassword: string) =>
    authorised<void>("PUT", "/api/me/password", { currentPassword, newPassword }),
  saveLocale: (locale: string) => authorised<void>("PUT", "/api/me/locale", { locale }),
  users: (page = 1, search = "") =>
    authorised<UserPage>("GET", `/api/users?${query({ page: String(page), pageSize: "100", search: search.trim() || undefined })}`),
  deleteUser: (id: string) => authorised<void>("DELETE", `/api/users/${encodeURIComponent(id)}`),
  startMyPhone: (phone: string) =>
    authorised<{ verificationTicket: string; phoneHint: string; expiresAt: string }>("POST", "/api/me/phone", { phone }),
  confirmMyPhone: (verificationTicket: string, code: string) =>
    authorised<{ status: "changed" | "pending_approval"; phoneHint: string }>("POST", "/api/me/phone/confirm", { verificationTicket, code }),
  user: (id: string) => authorised<User>("GET", `/api/users/${encodeURIComponent(id)}`),
  createUser: (user: NewUser) => authorised<User>("POST", "/api/users", user),
  updateUser: (id: string, changes: { displayName: string; role: string }) =>
    authorised<User>("PUT", `/api/users/${encodeURIComponent(id)}`, changes),
  /** 200 with the user, or 202 with the change when an admin's number waits for a second admin. */
  changePhone: (id: string, phone: string) =>
    authorised<User | PendingPhoneChange>("PUT", `/api/users/${encodeURIComponent(id)}/phone`, { phone }),
  /** disable, enable, unlock, mfa/reset, invitation: the user's actions without a body. */
  userAction: (id: string, action: "disable" | "enable" | "unlock" | "mfa/reset" | "invitation") =>
    authorised<User | undefined>("POST", `/api/users/${encodeURIComponent(id)}/${action}`),
  phoneChanges: () => authorised<PendingPhoneChange[]>("GET", "/api/phone-changes"),
  decidePhoneChange: (id: string, decision: "approve" | "reject") =>
    authorised<PendingPhoneChange>("POST", `/api/phone-changes/${encodeURIComponent(id)}/${decision}`),
  readinessCsv: () => authorised<string>("GET", "/api/organisation/mfa-readiness.csv", undefined, "text"),
  auditEvents: () => authorised<string[]>("GET", "/api/audit/events"),
  audit: (filter: AuditFilter, page: number) => authorised<AuditPage>("GET", `/api/audit?${query({ ...filter, page: String(page) })}`),
  auditCsv: (filter: AuditFilter) => authorised<string>("GET", `/api/audit/export.csv?${query({ ...filter })}`, undefined, "text"),
  readiness: () => authorised<MfaReadiness>("GET", "/api/organisation/mfa-readiness"),
  settings: () => authorised<OrganisationSettings>("GET", "/api/organisation/settings"),
  saveSettings: (changes: Pick<OrganisationSettings, "mobileTotpRequired" | "mobilePinRequired" | "pinLength">) =>
    authorised<OrganisationSettings>("PUT", "/api/organisation/settings", changes),
  passkeys: () => authorised<Passkey[]>("GET", "/api/me/passkeys"),
  passkeyRegistrationOptions: () => authorised<PasskeyPrompt>("POST", "/api/me/passkeys/options"),
  registerPasskey: (ceremonyId: string, name: string, credential: unknown) =>
    authorised<Passkey>("POST", "/api/me/passkeys", { ceremonyId, name, credential }),
  renamePasskey: (id: string, name: string) => authorised<Passkey>("PUT", `/api/me/passkeys/${encodeURIComponent(id)}`, { name }),
  removePasskey: (id: string) => authorised<void>("DELETE", `/api/me/passkeys/${encodeURIComponent(id)}`),
  startAuthenticator: () => authorised<AuthenticatorEnrollment>("POST", "/api/me/authenticator"),
  confirmAuthenticator: (code: string) => authorised<void>("POST", "/api/me/authenticator/confirm", { code }),
  removeAuthenticator: () => authorised<void>("DELETE", "/api/me/authenticator"),
  stepUpPasskeyOptions: () => authorised<PasskeyPrompt>("POST", "/api/auth/step-up/passkey/options"),
  stepUpSms: () => authorised<StepUpSmsSent>("POST", "/api/auth/step-up/sms"),
  stepUp: (proof: StepUpProof) => authorised<SteppedUp>("POST", "/api/auth/step-up", proof),
  /** The development SMS inbox answers only in Development; elsewhere the Gateway answers 404. */
  developmentInboxAvailable: async () => {
    try {
      return (await fetch("/dev/sms", { headers: { Accept: "application/json" } })).ok;
    } catch {
      return false;
    }
  },
};
