import type { Problem } from "./api";

// Every text of the page, in English and in Dutch (informal "je", as the e-mails and text messages).
// The page reads them through `t`, which follows the language chosen with setLocale.

export type Locale = "en" | "nl";

const en = {
  language: "English",
  switchLanguage: "Nederlands",
  switchLanguageLocale: "nl" as Locale,
  unexpected: "Something went wrong. Try again.",
  unreachable: "The Control Centre cannot be reached. Check your connection and try again.",
  loading: "Loading…",
  cancel: "Cancel",
  close: "Close",
  yourMobile: "your mobile phone",
  devInbox: "Open the development SMS inbox",

  signInPage: "Sign in",
  signInTitle: "Sign in to the Control Centre",
  signInLead: "Use your work e-mail address. We then send a code to your mobile phone.",
  email: "E-mail address",
  password: "Password",
  signIn: "Sign in",
  fillInBoth: "Fill in your e-mail address and password.",
  appOnly: "This account signs in with the FlexWhere app, not with an SMS code.",
  forgotLink: "Forgot your password?",
  passkeySignIn: "Sign in with a passkey",

  forgotPage: "Forgot password",
  forgotTitle: "Choose a new password",
  forgotLead: "We e-mail you a link to choose a new password.",
  forgotSubmit: "E-mail me a link",
  forgotSent: "If this address has an account, an e-mail with a link to choose a new password is on its way. " +
    "The link works for one hour.",
  backToSignIn: "Back to sign in",

  setPasswordPage: "Choose a password",
  setPasswordTitle: "Choose your password",
  setPasswordLead: "A long password of a few unrelated words is easy to remember and hard to guess.",
  newPassword: "New password (at least 12 characters)",
  linkCode: "Code from the text message",
  savePassword: "Save password",
  linkCodeSent: (phone: string | undefined) => `We sent a code to ${phone ?? "your phone"}. Enter it to save your password.`,
  passwordSaved: "Your password is saved. Sign in with it.",

  codePage: "Sign-in code",
  codeTitle: "Enter your sign-in code",
  codeHint: (phone: string) => `Enter the code we sent to ${phone}.`,
  code: "Sign-in code",
  remember: "Remember this device for 30 days",
  verify: "Verify and sign in",
  resend: "Send a new code",
  resendIn: (wait: string) => `Send a new code (in ${wait})`,
  devInboxNote: " (Development only: the codes the stack would have sent by SMS).",
  newCodeSent: (phone: string) => `We sent a new code to ${phone}.`,
  codeDigitsOnly: "Enter the code from the SMS: digits only.",
  otherAccount: "Sign in with another account",
  otherWays: "Other ways to sign in",
  sendMeSms: "Send me a code by SMS",
  signInWith: {
    passkey: "Use a passkey instead",
    totp: "Use your authenticator app instead",
    sms: "Enter the code from the SMS instead",
  } as Record<string, string>,
  passkeyPage: "Passkey",
  passkeyTitle: "Confirm with your passkey",
  passkeyLead: "Use the passkey on this device, on your phone or on your security key: your browser asks for it.",
  usePasskey: "Use my passkey",
  totpPage: "Authenticator code",
  totpTitle: "Enter the code from your authenticator app",

  securityTitle: "My security",
  securityLead: "Stronger ways to sign in than a code by SMS: a passkey cannot be phished, and an authenticator app needs no phone signal.",
  passkeysTitle: "Passkeys",
  passkeysLead: "A passkey signs you in with this device's screen lock or a security key instead of a code.",
  noPasskeys: "No passkeys yet.",
  passkeysCaption: "Your passkeys",
  passkeysHeadings: ["Name", "Added", "Last used", "Synced", "Actions"],
  yes: "Yes",
  no: "No",
  passkeyName: "Name for the passkey",
  passkeyNameHint: "To tell your passkeys apart: the device or key it is on.",
  passkeyNameExample: "Work laptop",
  passkeyNameEmpty: "Give the passkey a name.",
  addPasskey: "Add a passkey",
  passkeyAdded: (name: string) => `Passkey “${name}” added: you can use it at your next sign-in.`,
  rename: "Rename",
  renameLabel: (name: string) => `Rename ${name}`,
  renameTitle: (name: string) => `Rename ${name}`,
  passkeyRenamed: (name: string) => `Passkey renamed to “${name}”.`,
  remove: "Remove",
  removeLabel: (name: string) => `Remove ${name}`,
  passkeyRemoved: (name: string) => `Passkey “${name}” removed: it no longer signs you in.`,
  authenticatorTitle: "Authenticator app",
  authenticatorLead: "An app such as Microsoft Authenticator or Google Authenticator shows a new 6-digit code every 30 seconds. " +
    "It is the same app the FlexWhere mobile app uses.",
  linkAuthenticator: "Link an authenticator app",
  removeAuthenticator: "Remove the authenticator app",
  authenticatorSteps: "Scan this QR code with your authenticator app, then enter the 6-digit code the app shows.",
  qrCaption: "QR code to add FlexWhere to your authenticator app",
  secretIntro: "Cannot scan it? Enter this key in the app:",
  confirmAuthenticator: "Link the app",
  authenticatorLinked: "Your authenticator app is linked: you can sign in with its codes.",
  authenticatorRemoved: "Your authenticator app is removed: its codes no longer sign you in.",

  signedInPage: "Signed in",
  signOut: "Sign out",
  welcome: (name: string) => `Welcome, ${name}`,
  role: "Role",
  roles: { Admin: "Admin", Manager: "Manager", Employee: "Employee" } as Record<string, string>,
  organisation: "Organisation",
  phoneForCodes: "Mobile phone for codes",
  noPhone: "none: ask your administrator",

  devicesTitle: "Trusted devices",
  devicesLead: "On these browsers you signed in with “Remember this device”: they skip the SMS code until their trust runs out.",
  noDevices: "No trusted devices: every sign-in asks for an SMS code.",
  devicesCaption: "Your trusted devices",
  devicesHeadings: ["Device", "Trusted since", "Last sign-in", "Trusted until", "Actions"],
  thisBrowser: "this browser",
  revoke: "Revoke",
  revokeLabel: (device: string) => `Revoke ${device}`,
  revoked: (device: string) => `${device} is no longer trusted: the next sign-in there asks for a code.`,

  usersTitle: "Users",
  usersCount: (total: number) => `${total} user${total === 1 ? "" : "s"} in your organisation. Phone numbers are masked, except your own.`,
  usersHowTo: "Choose a name to change the user's details, phone number or sign-in.",
  usersReadOnly: "Only administrators change users; you change your own number under “Your mobile number”.",
  usersLinked: "Names, roles and numbers come from your organisation's linked database: change them there.",
  usersCaption: "Users of your organisation",
  usersHeadings: ["Name", "E-mail address", "Role", "Mobile phone", "Status", "Last sign-in"],
  editLabel: (name: string) => `Edit ${name}`,
  statusActive: "Active",
  statusDisabled: "Disabled",
  statusInvited: "Invited",
  statusLocked: "Locked",
  unverified: "number not yet confirmed",
  addUser: "Add a user",

  editTitle: (name: string) => `Edit ${name}`,
  addTitle: "Add a user",
  addLead: "The new user gets an e-mail with a link to choose a password.",
  name: "Name",
  phone: "Mobile phone",
  phoneLegend: "Number for sign-in codes",
  phoneHint: "With the country code: +31 6 … for a Dutch mobile number.",
  phoneCurrent: (masked: string) => `Now: ${masked}.`,
  phoneNone: "No number yet.",
  save: "Save",
  saveDetails: "Save name and role",
  savePhone: "Save number",
  details: "Details",
  detailsSaved: "Name and role saved.",
  phoneSaved: (masked: string) => `Number saved: ${masked}. It is confirmed by the first sign-in code sent to it.`,
  phoneWaiting: (masked: string) => `The new number ${masked} is waiting for a second admin: ` +
    "another administrator of your organisation approves it before it is used.",
  phoneScheduled: (masked: string, when: string) => `No second admin can approve the new number ${masked} now: ` +
    `it applies by itself on ${when}, unless an administrator rejects it before then.`,
  phoneEmpty: "Enter the new number.",
  ownAccount: "You change your own number under “Your mobile number”; your role and sign-in are changed by another administrator.",
  linkedReadOnly: "Name, role and number come from your organisation's linked database: change them there.",
  access: "Sign-in",
  disable: "Disable account",
  enable: "Enable account",
  disabledNow: "The account is disabled: its sessions and trusted devices have ended.",
  enabledNow: "The account is enabled: the user can sign in again.",
  resetMfa: "Reset sign-in factors",
  resetMfaHelp: "For a lost phone: ends the user's trusted devices, recovery codes and sessions.",
  mfaResetDone: "Sign-in factors reset: the next sign-in needs a new code.",
  unlock: "Unlock",
  unlockHelp: (until: string) => `Locked after wrong attempts until ${until}.`,
  unlocked: "Unlocked: the user can sign in again.",
  resendInvitation: "Send the invitation again",
  invitationHelp: "This user has not chosen a password yet.",
  invitationSent: "A new invitation is on its way; the earlier link no longer works.",
  createUser: "Add user and send invitation",
  userCreated: (email: string) => `${email} is added: the invitation is on its way.`,

  readinessTitle: "MFA readiness",
  readinessLead: "Admins and managers sign in to the Control Centre with an SMS code; these are the ones who could not.",
  readinessSummary: (ready: number, total: number) => `${ready} of ${total} admins and managers can receive a sign-in code.`,
  readinessReasons: {
    phone_number_missing: "no mobile phone number",
    phone_number_unusable: "the phone number cannot receive an SMS",
    country_not_allowed: "the phone number is in a country your organisation does not send codes to",
  } as Record<string, string>,

  settingsTitle: "Organisation settings",
  mobileTotp: "Require an authenticator app (TOTP) to sign in on a new phone",
  mobilePin: "Require a PIN to open the app",
  pinLength: "PIN length",
  digits: (n: number) => `${n} digits`,
  trustNote: (days: number) => "Control Centre: every sign-in asks for an SMS code; a remembered device stays trusted " +
    `${days} days after its last sign-in on it.`,
  adminsOnly: "Only administrators can change these settings.",
  saveSettings: "Save settings",
  settingsSaved: "Settings saved.",

  stepUpTitle: "Confirm it is you",
  stepUpWhy: (minutes: number) =>
    `This change needs a fresh code: sensitive changes are allowed only within ${minutes} minutes of entering one.`,
  switchTo: {
    passkey: "Use a passkey instead",
    sms: "Get a code by SMS instead",
    totp: "Use your authenticator app instead",
    recovery_code: "Use a recovery code instead",
  } as Record<string, string>,
  sendBySms: "Send a code by SMS",
  confirm: "Confirm",
  devInboxShort: " (Development only).",
  recoveryPrompt: "Enter one of your recovery codes. Each code works once.",
  passkeyStepUp: "Confirm with your passkey: your browser asks for it.",
  noFactor: "Your account has no second factor this page can check. Ask your administrator.",
  totpPrompt: "Enter the 6-digit code your authenticator app shows.",
  smsWillSend: "We will text a code to your mobile phone.",
  recoveryCode: "Recovery code",
  totpCode: "Authenticator code",
  smsCode: "Code from the SMS",
  codeSent: (phone: string) => `We sent a code to ${phone}.`,
  stepUpExpired: "This code has expired or was already used. Send a new code.",
  stepUpTooMany: "Too many wrong codes. Send a new code.",
  recoveryWrong: "That recovery code is not right, or it was already used.",
  totpWrong: "That code is not right. Check your authenticator app and try again.",
  enterRecovery: "Enter one of your recovery codes.",
  enterTotp: "Enter the 6 digits your authenticator app shows.",
  enterSms: "Enter the 6 digits from the SMS.",

  approvalsTitle: "Approvals",
  approvalsLead: "A new number of an administrator applies only once a second administrator approves it: neither the one who asked " +
    "for it nor the one whose number it is.",
  noApprovals: "No number changes are waiting.",
  approvalsCaption: "Number changes waiting for approval",
  approvalsHeadings: ["Whose number", "New number", "Asked by", "Asked on", "Waiting", "Actions"],
  askedByYou: "you",
  anAdministrator: "an administrator",
  waitsUntil: (when: string) => `For a second administrator, until ${when}`,
  appliesBy: (when: string) => `Applies by itself on ${when}, unless rejected`,
  approve: "Approve",
  reject: "Reject",
  approveLabel: (email: string) => `Approve the new number of ${email}`,
  rejectLabel: (email: string) => `Reject the new number of ${email}`,
  anotherApproves: "Another administrator approves this.",
  approvedNow: (email: string, masked: string) => `The new number ${masked} of ${email} is approved and applies now.`,
  rejectedNow: (email: string) => `The new number of ${email} is rejected: the old number stays.`,

  revokeAllDevices: "Revoke all trusted devices",
  allDevicesRevoked: "No browser is trusted any more: every sign-in asks for a code again.",
  sessionsTitle: "Active sessions",
  sessionsLead: "Where your account is signed in now. End a session you do not recognise, and change your password.",
  sessionsCaption: "Your active sessions",
  sessionsHeadings: ["Where", "Signed in", "Last active", "Ends", "Actions"],
  clients: { "control-centre": "Control Centre", mobile: "FlexWhere app" } as Record<string, string>,
  thisSession: "this session",
  endSession: "End",
  endSessionLabel: (where: string, when: string) => `End the session of ${where} signed in ${when}`,
  sessionEnded: "The session has ended.",
  endOthers: "End every other session",
  othersEnded: (n: number) => n === 0 ? "There were no other sessions." : `${n} other session${n === 1 ? "" : "s"} ended.`,
  recoveryTitle: "Recovery codes",
  recoveryLead: "A recovery code signs you in once when your phone and passkeys are out of reach. A new set replaces the old one.",
  recoveryStatus: (n: number, when: string) => `You have ${n} unused recovery code${n === 1 ? "" : "s"}, created ${when}.`,
  noRecoveryCodes: "You have no recovery codes yet.",
  createRecoveryCodes: "Create new recovery codes",
  recoveryShownOnce: "Your new recovery codes, shown only this once: keep them somewhere safe, away from this device. The old codes " +
    "no longer work.",
  recoveryCodesLabel: "Your new recovery codes",
  copyCodes: "Copy",
  downloadCodes: "Download",
  codesCopied: "The codes are copied.",
  copyFailed: "This browser did not let the page copy: select the codes and copy them yourself.",
  recoveryFileHeader: (email: string, when: string) => `FlexWhere recovery codes for ${email}, created ${when}. Each works once.`,
  passwordTitle: "Password",
  currentPassword: "Current password",
  changePassword: "Change password",
  passwordChanged: "Your password is changed. Your other sessions and trusted devices have ended.",
  passwordFields: "Fill in your current and your new password.",

  unverifiedTitle: "Numbers not yet confirmed",
  unverifiedLead: "No code has reached these numbers yet: a typo shows only at the first sign-in. Ask these people to check their " +
    "number.",
  exportCsv: "Export as CSV",
  readinessExported: "The readiness report is downloaded (mfa-readiness.csv).",
  auditTitle: "Audit log",
  auditLead: "Security events of your organisation, newest first. Phone numbers are masked.",
  auditEvent: "Event",
  auditAllEvents: "All events",
  auditUser: "User",
  auditAllUsers: "All users",
  auditFrom: "From",
  auditTo: "Up to and including",
  auditShow: "Show",
  auditCaption: "Audit log entries",
  auditHeadings: ["When", "Event", "By", "About", "Address", "Details"],
  auditNone: "No events match these filters.",
  auditCount: (shown: number, total: number) => `${shown} of ${total} events.`,
  auditMore: "Show more",
  auditExported: "The audit log is downloaded with these filters (audit-log.csv).",

  deliveryFailed: (phone: string) => `Your phone's network reported that the code to ${phone} was not delivered. Send a new code, ` +
    "or choose another way below.",
  deliveryNotSent: (phone: string) => `The code to ${phone} could not be sent. Send a new code, or choose another way below.`,

  myPhoneTitle: "Your mobile number",
  myPhoneLead: (current: string) => `Your sign-in codes go to ${current}. A new number is confirmed with a code sent to it.`,
  myPhoneNone: "no number yet",
  sendCodeToNumber: "Send a code to the new number",
  myPhoneCode: "Code sent to the new number",
  myPhoneCodeSent: (masked: string) => `We sent a code to ${masked}. Enter it to confirm the number.`,
  confirmNumber: "Confirm number",
  myPhoneChanged: (masked: string) => `Your number is now ${masked}. Your other sessions and trusted devices have ended.`,
  myPhonePending: (masked: string) => `${masked} is confirmed and waits for a second administrator to approve it.`,
  usersSearch: "Search by name or e-mail address",
  usersSearchButton: "Search",
  previousPage: "Previous page",
  nextPage: "Next page",
  pageOf: (page: number, pages: number) => `Page ${page} of ${pages}`,
  deleteUser: "Delete this user",
  deleteConfirm: (name: string) => `Delete ${name} for good`,
  deleteHelp: "Deleting cannot be undone; disabling keeps the account and its history.",
  userDeleted: (email: string) => `${email} is deleted.`,

  tryAgainIn: (wait: string) => ` Try again in ${wait}.`,
  tryAgainLater: " Try again later.",
  seconds: (n: number) => `${n} second${n === 1 ? "" : "s"}`,
  minutes: (n: number) => `${n} minutes`,
  hours: (n: number) => `${n} hours`,
  problems: {
    username_login_disabled: "Sign in with your e-mail address: user names can no longer be used to sign in.",
    invalid_credentials: "The e-mail address or password is not right.",
    link_expired: "This link no longer works: it has expired or was used already. Ask for a new one with \"Forgot your password?\".",
    phone_number_missing: "Your account has no mobile phone number to send a sign-in code to. Ask your administrator to add one.",
    unavailable: "We cannot send a sign-in code right now. Try again in a few minutes.",
    invalid_code: "That code is not right. Check the SMS and try again.",
    challenge_expired: "This code has expired or was already used. Sign in again to get a new code.",
    too_many_attempts: "Too many wrong codes. Sign in again to get a new code.",
    step_up_required: "This change needs you to confirm it is you with a fresh code. Try it again to get one.",
    step_up_method_not_available: "That way of confirming it is you is not available for your account. Choose another.",
    session_revoked: "Your session has ended. Sign in again.",
    invalid_password: "Your current password is not right.",
    passkey_cancelled: "The passkey prompt was closed or timed out, or there is no passkey for this site here. Try again or choose " +
      "another way.",
    passkey_exists: "This device or key already holds a passkey of your account.",
    passkey_unsupported: "This browser cannot use passkeys here. Choose another way.",
  } as Record<string, string>,
  attemptsLeft: (left: number) => `That code is not right. You have ${left} attempt${left === 1 ? "" : "s"} left.`,
  accountLocked: "This account is locked after too many failed sign-ins.",
  rateLimited: "Too many attempts from this network.",
  secondFactorLocked: "Too many wrong codes in a row: codes for your account are locked for now.",
  resendTooSoon: "A new code can be sent soon.",
  sendLimit: "No more codes can be sent for now.",
};

export type Texts = typeof en;

const nl: Texts = {
  language: "Nederlands",
  switchLanguage: "English",
  switchLanguageLocale: "en",
  unexpected: "Er ging iets mis. Probeer het opnieuw.",
  unreachable: "Het Control Centre is niet bereikbaar. Controleer je verbinding en probeer het opnieuw.",
  loading: "Laden…",
  cancel: "Annuleren",
  close: "Sluiten",
  yourMobile: "je mobiele telefoon",
  devInbox: "Open de sms-inbox voor ontwikkelaars",

  signInPage: "Inloggen",
  signInTitle: "Inloggen bij het Control Centre",
  signInLead: "Gebruik je zakelijke e-mailadres. Daarna sturen we een code naar je mobiele telefoon.",
  email: "E-mailadres",
  password: "Wachtwoord",
  signIn: "Inloggen",
  fillInBoth: "Vul je e-mailadres en je wachtwoord in.",
  appOnly: "Dit account logt in met de FlexWhere-app, niet met een code per sms.",
  forgotLink: "Wachtwoord vergeten?",
  passkeySignIn: "Inloggen met een passkey",

  forgotPage: "Wachtwoord vergeten",
  forgotTitle: "Kies een nieuw wachtwoord",
  forgotLead: "We mailen je een link waarmee je een nieuw wachtwoord kiest.",
  forgotSubmit: "Mail me een link",
  forgotSent: "Hoort er een account bij dit adres? Dan is er een e-mail onderweg met een link om een nieuw wachtwoord te kiezen. " +
    "De link werkt een uur.",
  backToSignIn: "Terug naar inloggen",

  setPasswordPage: "Wachtwoord kiezen",
  setPasswordTitle: "Kies je wachtwoord",
  setPasswordLead: "Een lang wachtwoord van een paar losse woorden onthoud je makkelijk en raadt een ander moeilijk.",
  newPassword: "Nieuw wachtwoord (minstens 12 tekens)",
  linkCode: "Code uit de sms",
  savePassword: "Wachtwoord opslaan",
  linkCodeSent: (phone) => `We hebben een code gestuurd naar ${phone ?? "je telefoon"}. Vul die in om je wachtwoord op te slaan.`,
  passwordSaved: "Je wachtwoord is opgeslagen. Je kunt er nu mee inloggen.",

  codePage: "Inlogcode",
  codeTitle: "Vul je inlogcode in",
  codeHint: (phone) => `Vul de code in die we naar ${phone} hebben gestuurd.`,
  code: "Inlogcode",
  remember: "Onthoud dit apparaat 30 dagen",
  verify: "Controleren en inloggen",
  resend: "Stuur een nieuwe code",
  resendIn: (wait) => `Stuur een nieuwe code (over ${wait})`,
  devInboxNote: " (alleen in Development: de codes die anders per sms verstuurd waren).",
  newCodeSent: (phone) => `We hebben een nieuwe code gestuurd naar ${phone}.`,
  codeDigitsOnly: "Vul de code uit de sms in: alleen cijfers.",
  otherAccount: "Inloggen met een ander account",
  otherWays: "Andere manieren om in te loggen",
  sendMeSms: "Stuur me een code per sms",
  signInWith: {
    passkey: "Liever je passkey",
    totp: "Liever je authenticator-app",
    sms: "Liever de code uit de sms",
  },
  passkeyPage: "Passkey",
  passkeyTitle: "Bevestig met je passkey",
  passkeyLead: "Gebruik de passkey op dit apparaat, op je telefoon of op je beveiligingssleutel: je browser vraagt erom.",
  usePasskey: "Mijn passkey gebruiken",
  totpPage: "Code uit de app",
  totpTitle: "Vul de code uit je authenticator-app in",

  securityTitle: "Mijn beveiliging",
  securityLead: "Veiliger inloggen dan met een code per sms: een passkey kan niet worden gephisht en een authenticator-app heeft " +
    "geen bereik nodig.",
  passkeysTitle: "Passkeys",
  passkeysLead: "Met een passkey log je in met de schermvergrendeling van dit apparaat of met een beveiligingssleutel, zonder code.",
  noPasskeys: "Nog geen passkeys.",
  passkeysCaption: "Je passkeys",
  passkeysHeadings: ["Naam", "Toegevoegd", "Laatst gebruikt", "Gesynchroniseerd", "Acties"],
  yes: "Ja",
  no: "Nee",
  passkeyName: "Naam van de passkey",
  passkeyNameHint: "Zo houd je je passkeys uit elkaar: het apparaat of de sleutel waar hij op staat.",
  passkeyNameExample: "Werklaptop",
  passkeyNameEmpty: "Geef de passkey een naam.",
  addPasskey: "Passkey toevoegen",
  passkeyAdded: (name) => `Passkey ‘${name}’ toegevoegd: je kunt hem de volgende keer gebruiken om in te loggen.`,
  rename: "Naam wijzigen",
  renameLabel: (name) => `Naam wijzigen van ${name}`,
  renameTitle: (name) => `Naam wijzigen van ${name}`,
  passkeyRenamed: (name) => `De passkey heet nu ‘${name}’.`,
  remove: "Verwijderen",
  removeLabel: (name) => `${name} verwijderen`,
  passkeyRemoved: (name) => `Passkey ‘${name}’ verwijderd: je kunt er niet meer mee inloggen.`,
  authenticatorTitle: "Authenticator-app",
  authenticatorLead: "Een app zoals Microsoft Authenticator of Google Authenticator laat elke 30 seconden een nieuwe code van 6 cijfers " +
    "zien. Het is dezelfde app die de mobiele FlexWhere-app gebruikt.",
  linkAuthenticator: "Authenticator-app koppelen",
  removeAuthenticator: "Authenticator-app verwijderen",
  authenticatorSteps: "Scan deze QR-code met je authenticator-app en vul daarna de code van 6 cijfers in die de app laat zien.",
  qrCaption: "QR-code om FlexWhere aan je authenticator-app toe te voegen",
  secretIntro: "Lukt scannen niet? Vul deze sleutel in de app in:",
  confirmAuthenticator: "App koppelen",
  authenticatorLinked: "Je authenticator-app is gekoppeld: je kunt met de codes ervan inloggen.",
  authenticatorRemoved: "Je authenticator-app is verwijderd: de codes ervan werken niet meer.",

  signedInPage: "Ingelogd",
  signOut: "Uitloggen",
  welcome: (name) => `Welkom, ${name}`,
  role: "Rol",
  roles: { Admin: "Beheerder", Manager: "Manager", Employee: "Medewerker" },
  organisation: "Organisatie",
  phoneForCodes: "Mobiel nummer voor codes",
  noPhone: "geen: vraag het je beheerder",

  devicesTitle: "Vertrouwde apparaten",
  devicesLead: "Op deze browsers heb je ingelogd met ‘Onthoud dit apparaat’: daar vragen we geen sms-code tot het vertrouwen verloopt.",
  noDevices: "Geen vertrouwde apparaten: elke keer dat je inlogt, vragen we een sms-code.",
  devicesCaption: "Je vertrouwde apparaten",
  devicesHeadings: ["Apparaat", "Vertrouwd sinds", "Laatst ingelogd", "Vertrouwd tot", "Acties"],
  thisBrowser: "deze browser",
  revoke: "Intrekken",
  revokeLabel: (device) => `${device} intrekken`,
  revoked: (device) => `${device} wordt niet meer vertrouwd: daar vragen we de volgende keer weer een code.`,

  usersTitle: "Gebruikers",
  usersCount: (total) => `${total} ${total === 1 ? "gebruiker" : "gebruikers"} in je organisatie. ` +
    "Telefoonnummers zijn afgeschermd, behalve je eigen nummer.",
  usersHowTo: "Kies een naam om de gegevens, het telefoonnummer of het inloggen van die gebruiker te wijzigen.",
  usersReadOnly: "Alleen beheerders wijzigen gebruikers; je eigen nummer wijzig je onder ‘Je mobiele nummer’.",
  usersLinked: "Namen, rollen en nummers komen uit de gekoppelde database van je organisatie: wijzig ze daar.",
  usersCaption: "Gebruikers van je organisatie",
  usersHeadings: ["Naam", "E-mailadres", "Rol", "Mobiel nummer", "Status", "Laatst ingelogd"],
  editLabel: (name) => `${name} wijzigen`,
  statusActive: "Actief",
  statusDisabled: "Uitgeschakeld",
  statusInvited: "Uitgenodigd",
  statusLocked: "Geblokkeerd",
  unverified: "nummer nog niet bevestigd",
  addUser: "Gebruiker toevoegen",

  editTitle: (name) => `${name} wijzigen`,
  addTitle: "Gebruiker toevoegen",
  addLead: "De nieuwe gebruiker krijgt een e-mail met een link om een wachtwoord te kiezen.",
  name: "Naam",
  phone: "Mobiel nummer",
  phoneLegend: "Nummer voor inlogcodes",
  phoneHint: "Met landcode: +31 6 … voor een Nederlands mobiel nummer.",
  phoneCurrent: (masked) => `Nu: ${masked}.`,
  phoneNone: "Nog geen nummer.",
  save: "Opslaan",
  saveDetails: "Naam en rol opslaan",
  savePhone: "Nummer opslaan",
  details: "Gegevens",
  detailsSaved: "Naam en rol opgeslagen.",
  phoneSaved: (masked) => `Nummer opgeslagen: ${masked}. De eerste inlogcode naar dit nummer bevestigt het.`,
  phoneWaiting: (masked) => `Het nieuwe nummer ${masked} wacht op een tweede beheerder: ` +
    "een andere beheerder van je organisatie keurt het goed voordat het gebruikt wordt.",
  phoneScheduled: (masked, when) => `Er is nu geen tweede beheerder die het nieuwe nummer ${masked} kan goedkeuren: ` +
    `het gaat vanzelf in op ${when}, tenzij een beheerder het eerder afwijst.`,
  phoneEmpty: "Vul het nieuwe nummer in.",
  ownAccount: "Je eigen nummer wijzig je onder ‘Je mobiele nummer’; je rol en inloggen laat je door een andere beheerder wijzigen.",
  linkedReadOnly: "Naam, rol en nummer komen uit de gekoppelde database van je organisatie: wijzig ze daar.",
  access: "Inloggen",
  disable: "Account uitschakelen",
  enable: "Account inschakelen",
  disabledNow: "Het account is uitgeschakeld: de sessies en vertrouwde apparaten zijn beëindigd.",
  enabledNow: "Het account is ingeschakeld: de gebruiker kan weer inloggen.",
  resetMfa: "Inlogmethoden opnieuw instellen",
  resetMfaHelp: "Bij een verloren telefoon: beëindigt de vertrouwde apparaten, herstelcodes en sessies van de gebruiker.",
  mfaResetDone: "Inlogmethoden opnieuw ingesteld: bij de volgende keer inloggen is een nieuwe code nodig.",
  unlock: "Deblokkeren",
  unlockHelp: (until) => `Geblokkeerd na te veel mislukte pogingen, tot ${until}.`,
  unlocked: "Gedeblokkeerd: de gebruiker kan weer inloggen.",
  resendInvitation: "Uitnodiging opnieuw sturen",
  invitationHelp: "Deze gebruiker heeft nog geen wachtwoord gekozen.",
  invitationSent: "Er is een nieuwe uitnodiging onderweg; de vorige link werkt niet meer.",
  createUser: "Toevoegen en uitnodiging sturen",
  userCreated: (email) => `${email} is toegevoegd: de uitnodiging is onderweg.`,

  readinessTitle: "MFA-gereedheid",
  readinessLead: "Beheerders en managers loggen in op het Control Centre met een sms-code; hieronder staat wie dat nu niet kan.",
  readinessSummary: (ready, total) => `${ready} van de ${total} beheerders en managers kunnen een inlogcode ontvangen.`,
  readinessReasons: {
    phone_number_missing: "geen mobiel nummer",
    phone_number_unusable: "het nummer kan geen sms ontvangen",
    country_not_allowed: "het nummer is van een land waar je organisatie geen codes naartoe stuurt",
  },

  settingsTitle: "Instellingen van de organisatie",
  mobileTotp: "Authenticator-app (TOTP) verplicht bij inloggen op een nieuwe telefoon",
  mobilePin: "Pincode verplicht om de app te openen",
  pinLength: "Lengte van de pincode",
  digits: (n) => `${n} cijfers`,
  trustNote: (days) => "Control Centre: bij elke keer inloggen vragen we een sms-code; een onthouden apparaat blijft " +
    `${days} dagen na de laatste keer inloggen vertrouwd.`,
  adminsOnly: "Alleen beheerders kunnen deze instellingen wijzigen.",
  saveSettings: "Instellingen opslaan",
  settingsSaved: "Instellingen opgeslagen.",

  stepUpTitle: "Bevestig dat jij het bent",
  stepUpWhy: (minutes) =>
    `Voor deze wijziging is een verse code nodig: gevoelige wijzigingen kun je alleen doen binnen ${minutes} minuten na een code.`,
  switchTo: {
    passkey: "Liever je passkey",
    sms: "Liever een code per sms",
    totp: "Liever je authenticator-app",
    recovery_code: "Liever een herstelcode",
  },
  sendBySms: "Stuur een code per sms",
  confirm: "Bevestigen",
  devInboxShort: " (alleen in Development).",
  recoveryPrompt: "Vul een van je herstelcodes in. Elke code werkt één keer.",
  passkeyStepUp: "Bevestig met je passkey: je browser vraagt erom.",
  noFactor: "Je account heeft geen tweede stap die deze pagina kan controleren. Vraag het je beheerder.",
  totpPrompt: "Vul de code van 6 cijfers in die je authenticator-app laat zien.",
  smsWillSend: "We sturen een code per sms naar je mobiele telefoon.",
  recoveryCode: "Herstelcode",
  totpCode: "Code uit de authenticator-app",
  smsCode: "Code uit de sms",
  codeSent: (phone) => `We hebben een code gestuurd naar ${phone}.`,
  stepUpExpired: "Deze code is verlopen of al gebruikt. Vraag een nieuwe code aan.",
  stepUpTooMany: "Te veel verkeerde codes. Vraag een nieuwe code aan.",
  recoveryWrong: "Die herstelcode klopt niet, of is al gebruikt.",
  totpWrong: "Die code klopt niet. Kijk in je authenticator-app en probeer het opnieuw.",
  enterRecovery: "Vul een van je herstelcodes in.",
  enterTotp: "Vul de 6 cijfers in die je authenticator-app laat zien.",
  enterSms: "Vul de 6 cijfers uit de sms in.",

  approvalsTitle: "Goedkeuringen",
  approvalsLead: "Een nieuw nummer van een beheerder gaat pas in als een tweede beheerder het goedkeurt: niet degene die erom " +
    "vroeg en niet degene van wie het nummer is.",
  noApprovals: "Er wachten geen nummerwijzigingen.",
  approvalsCaption: "Nummerwijzigingen die op goedkeuring wachten",
  approvalsHeadings: ["Van wie", "Nieuw nummer", "Gevraagd door", "Gevraagd op", "Wacht", "Acties"],
  askedByYou: "jij",
  anAdministrator: "een beheerder",
  waitsUntil: (when) => `Op een tweede beheerder, tot ${when}`,
  appliesBy: (when) => `Gaat vanzelf in op ${when}, tenzij afgewezen`,
  approve: "Goedkeuren",
  reject: "Afwijzen",
  approveLabel: (email) => `Nieuw nummer van ${email} goedkeuren`,
  rejectLabel: (email) => `Nieuw nummer van ${email} afwijzen`,
  anotherApproves: "Een andere beheerder keurt dit goed.",
  approvedNow: (email, masked) => `Het nieuwe nummer ${masked} van ${email} is goedgekeurd en geldt nu.`,
  rejectedNow: (email) => `Het nieuwe nummer van ${email} is afgewezen: het oude nummer blijft.`,

  revokeAllDevices: "Alle vertrouwde apparaten intrekken",
  allDevicesRevoked: "Geen enkele browser wordt nog vertrouwd: elke inlog vraagt weer om een code.",
  sessionsTitle: "Actieve sessies",
  sessionsLead: "Waar je account nu is ingelogd. Beëindig een sessie die je niet herkent, en wijzig je wachtwoord.",
  sessionsCaption: "Je actieve sessies",
  sessionsHeadings: ["Waar", "Ingelogd", "Laatst actief", "Eindigt", "Acties"],
  clients: { "control-centre": "Control Centre", mobile: "FlexWhere-app" },
  thisSession: "deze sessie",
  endSession: "Beëindigen",
  endSessionLabel: (where, when) => `Sessie van ${where}, ingelogd ${when}, beëindigen`,
  sessionEnded: "De sessie is beëindigd.",
  endOthers: "Alle andere sessies beëindigen",
  othersEnded: (n) => n === 0 ? "Er waren geen andere sessies." : `${n} andere ${n === 1 ? "sessie" : "sessies"} beëindigd.`,
  recoveryTitle: "Herstelcodes",
  recoveryLead: "Met een herstelcode log je één keer in als je telefoon en passkeys niet bij de hand zijn. Een nieuwe set vervangt " +
    "de oude.",
  recoveryStatus: (n, when) => `Je hebt ${n} ongebruikte ${n === 1 ? "herstelcode" : "herstelcodes"}, gemaakt op ${when}.`,
  noRecoveryCodes: "Je hebt nog geen herstelcodes.",
  createRecoveryCodes: "Nieuwe herstelcodes maken",
  recoveryShownOnce: "Je nieuwe herstelcodes, alleen nu te zien: bewaar ze op een veilige plek, niet op dit apparaat. De oude codes " +
    "werken niet meer.",
  recoveryCodesLabel: "Je nieuwe herstelcodes",
  copyCodes: "Kopiëren",
  downloadCodes: "Downloaden",
  codesCopied: "De codes zijn gekopieerd.",
  copyFailed: "Deze browser liet de pagina niet kopiëren: selecteer de codes en kopieer ze zelf.",
  recoveryFileHeader: (email, when) => `FlexWhere-herstelcodes voor ${email}, gemaakt op ${when}. Elke code werkt één keer.`,
  passwordTitle: "Wachtwoord",
  currentPassword: "Huidig wachtwoord",
  changePassword: "Wachtwoord wijzigen",
  passwordChanged: "Je wachtwoord is gewijzigd. Je andere sessies en vertrouwde apparaten zijn beëindigd.",
  passwordFields: "Vul je huidige en je nieuwe wachtwoord in.",

  unverifiedTitle: "Nummers nog niet bevestigd",
  unverifiedLead: "Er is nog geen code op deze nummers aangekomen: een tikfout merk je pas bij de eerste inlog. Vraag deze mensen " +
    "hun nummer te controleren.",
  exportCsv: "Exporteren als CSV",
  readinessExported: "Het gereedheidsoverzicht is gedownload (mfa-readiness.csv).",
  auditTitle: "Auditlog",
  auditLead: "Beveiligingsgebeurtenissen van je organisatie, nieuwste eerst. Telefoonnummers zijn gemaskeerd.",
  auditEvent: "Gebeurtenis",
  auditAllEvents: "Alle gebeurtenissen",
  auditUser: "Gebruiker",
  auditAllUsers: "Alle gebruikers",
  auditFrom: "Van",
  auditTo: "Tot en met",
  auditShow: "Tonen",
  auditCaption: "Regels van de auditlog",
  auditHeadings: ["Wanneer", "Gebeurtenis", "Door", "Over", "Adres", "Details"],
  auditNone: "Geen gebeurtenissen bij deze filters.",
  auditCount: (shown, total) => `${shown} van ${total} gebeurtenissen.`,
  auditMore: "Meer tonen",
  auditExported: "De auditlog is gedownload met deze filters (audit-log.csv).",

  deliveryFailed: (phone) => `Het netwerk van je telefoon meldt dat de code naar ${phone} niet is afgeleverd. Laat een nieuwe ` +
    "code sturen, of kies hieronder een andere manier.",
  deliveryNotSent: (phone) => `De code naar ${phone} kon niet worden verstuurd. Laat een nieuwe code sturen, of kies hieronder een ` +
    "andere manier.",

  myPhoneTitle: "Je mobiele nummer",
  myPhoneLead: (current) => `Je inlogcodes gaan naar ${current}. Een nieuw nummer bevestig je met een code die we ernaartoe sturen.`,
  myPhoneNone: "nog geen nummer",
  sendCodeToNumber: "Stuur een code naar het nieuwe nummer",
  myPhoneCode: "Code die naar het nieuwe nummer is gestuurd",
  myPhoneCodeSent: (masked) => `We hebben een code gestuurd naar ${masked}. Vul die in om het nummer te bevestigen.`,
  confirmNumber: "Nummer bevestigen",
  myPhoneChanged: (masked) => `Je nummer is nu ${masked}. Je andere sessies en vertrouwde apparaten zijn beëindigd.`,
  myPhonePending: (masked) => `${masked} is bevestigd en wacht op goedkeuring van een tweede beheerder.`,
  usersSearch: "Zoek op naam of e-mailadres",
  usersSearchButton: "Zoeken",
  previousPage: "Vorige pagina",
  nextPage: "Volgende pagina",
  pageOf: (page, pages) => `Pagina ${page} van ${pages}`,
  deleteUser: "Deze gebruiker verwijderen",
  deleteConfirm: (name) => `${name} definitief verwijderen`,
  deleteHelp: "Verwijderen kan niet ongedaan worden; uitschakelen bewaart het account en de geschiedenis.",
  userDeleted: (email) => `${email} is verwijderd.`,

  tryAgainIn: (wait) => ` Probeer het over ${wait} opnieuw.`,
  tryAgainLater: " Probeer het later opnieuw.",
  seconds: (n) => `${n} ${n === 1 ? "seconde" : "seconden"}`,
  minutes: (n) => `${n} minuten`,
  hours: (n) => `${n} uur`,
  problems: {
    username_login_disabled: "Log in met je e-mailadres: met een gebruikersnaam inloggen kan niet meer.",
    invalid_credentials: "Het e-mailadres of het wachtwoord klopt niet.",
    link_expired: "Deze link werkt niet meer: hij is verlopen of al gebruikt. Vraag een nieuwe aan via ‘Wachtwoord vergeten?’.",
    phone_number_missing: "Je account heeft geen mobiel nummer om een inlogcode naar te sturen. Vraag je beheerder er een toe te voegen.",
    unavailable: "We kunnen nu geen inlogcode sturen. Probeer het over een paar minuten opnieuw.",
    invalid_code: "Die code klopt niet. Kijk in de sms en probeer het opnieuw.",
    challenge_expired: "Deze code is verlopen of al gebruikt. Log opnieuw in om een nieuwe code te krijgen.",
    too_many_attempts: "Te veel verkeerde codes. Log opnieuw in om een nieuwe code te krijgen.",
    step_up_required: "Voor deze wijziging moet je met een verse code bevestigen dat jij het bent. Probeer het opnieuw voor een code.",
    step_up_method_not_available: "Die manier om te bevestigen dat jij het bent, is niet beschikbaar voor je account. Kies een andere.",
    session_revoked: "Je sessie is beëindigd. Log opnieuw in.",
    passkey_cancelled: "De vraag om je passkey is gesloten of verlopen, of hier staat geen passkey voor deze site. Probeer het opnieuw " +
      "of kies een andere manier.",
    passkey_exists: "Op dit apparaat of deze sleutel staat al een passkey van je account.",
    passkey_unsupported: "Deze browser kan hier geen passkeys gebruiken. Kies een andere manier.",
    passkey_not_accepted: "Deze passkey wordt hier niet geaccepteerd. Gebruik een andere passkey of een andere manier om in te loggen.",
    passkey_prompt_expired: "De vraag om je passkey is verlopen of al beantwoord. Probeer het opnieuw.",
    passwordless_not_allowed: "Je organisatie staat inloggen met alleen een passkey niet toe: log in met je e-mailadres en wachtwoord " +
      "en gebruik daarna je passkey.",
    passkey_required: "Je organisatie vraagt beheerders om een passkey en je hebt er nog geen. Gebruik een herstelcode of vraag een " +
      "andere beheerder je tweede stap te resetten.",
    passkey_required_first: "Voeg eerst zelf een passkey toe, anders sluit deze regel jou buiten.",
    last_passkey: "Dit is je laatste passkey en je organisatie vraagt beheerders om een passkey: voeg eerst een andere toe.",
    factor_not_allowed: "Je organisatie staat deze manier van inloggen niet toe.",
    second_factor_not_allowed: "Deze manier van inloggen is nu niet mogelijk voor je account. Kies een andere.",
    totp_already_enrolled: "Je authenticator-app is al gekoppeld. Verwijder hem eerst als je een andere wilt koppelen.",
    totp_not_enrolled: "Koppel eerst je authenticator-app.",
    code_not_sent: "Er is al een code gestuurd. Vraag zo nodig een nieuwe code aan.",
    password_too_short: "Dit wachtwoord is te kort: kies er een van minstens 12 tekens.",
    password_too_long: "Dit wachtwoord is te lang: kies een korter wachtwoord.",
    password_too_common: "Dit wachtwoord wordt te vaak gebruikt en is makkelijk te raden. Kies een ander.",
    password_too_predictable: "Dit wachtwoord is te voorspelbaar (bijvoorbeeld je e-mailadres erin). Kies een ander.",
    phone_country_code_missing: "Vul het nummer in met de landcode, bijvoorbeeld +31 6 12345678 in plaats van 06 12345678.",
    phone_invalid: "Dit is geen geldig telefoonnummer. Controleer de cijfers en de landcode, bijvoorbeeld +31 6 12345678.",
    phone_fixed_line: "Dit is een vast nummer en dat kan geen sms ontvangen. Vul een mobiel nummer in.",
    phone_premium_rate: "Dit is een betaalnummer en dat kan niet voor codes gebruikt worden. Vul een mobiel nummer in.",
    phone_not_mobile: "Dit nummer kan geen sms ontvangen (geen mobiel nummer). Vul een mobiel nummer in.",
    email_invalid: "Dit is geen geldig e-mailadres. Vul een adres in zoals naam@voorbeeld.nl.",
    email_taken: "Dit e-mailadres is al in gebruik: elk account heeft een eigen e-mailadres nodig.",
    already_signed_up: "Deze gebruiker heeft al een wachtwoord en kan ‘Wachtwoord vergeten?’ gebruiken.",
    own_account: "Dit kun je niet bij je eigen account doen. Vraag het een andere beheerder van je organisatie.",
    managed_by_linked_database: "Deze gebruiker komt uit de gekoppelde database van je organisatie: wijzig het daar.",
    second_admin_required: "Voor een nieuw nummer van een beheerder is een tweede beheerder nodig. Vraag het een andere beheerder.",
    approver_too_new: "Je bent nog te kort beheerder om dit goed te keuren. Vraag het een andere beheerder.",
    invalid_password: "Je huidige wachtwoord klopt niet.",
    phone_change_closed: "Over deze wijziging is al beslist, of hij is na 7 dagen verlopen.",
    country_not_allowed: "Je organisatie stuurt geen codes naar nummers in dit land.",
    forbidden: "Dit mag je niet doen met je rol.",
    not_found: "Deze gebruiker bestaat niet (meer). Laad de pagina opnieuw.",
    validation_failed: "Controleer wat je hebt ingevuld.",
  },
  attemptsLeft: (left) => `Die code klopt niet. Je kunt het nog ${left} keer proberen.`,
  accountLocked: "Dit account is geblokkeerd na te veel mislukte inlogpogingen.",
  rateLimited: "Te veel pogingen vanaf dit netwerk.",
  secondFactorLocked: "Te vaak achter elkaar een verkeerde code: codes voor je account zijn voorlopig geblokkeerd.",
  resendTooSoon: "Je kunt zo een nieuwe code laten sturen.",
  sendLimit: "Er kunnen voorlopig geen codes meer worden gestuurd.",
};

const tables: Record<Locale, Texts> = { en, nl };
const chosenKey = "flexwhere.cc.locale";

/** The texts of the page's language; setLocale switches it. */
export let t: Texts = en;
let current: Locale = "en";

export function locale(): Locale {
  return current;
}

export function setLocale(next: Locale): void {
  current = next;
  t = tables[next];
  document.documentElement.lang = next;
}

export function isLocale(value: unknown): value is Locale {
  return value === "en" || value === "nl";
}

/** Before sign-in: the language chosen in this browser, else the browser's own (nl* is Dutch, anything else English). */
export function browserLocale(): Locale {
  const chosen = localStorage.getItem(chosenKey);
  if (isLocale(chosen)) return chosen;
  return /^nl\b/i.test(navigator.language) ? "nl" : "en";
}

export function rememberLocale(chosen: Locale): void {
  localStorage.setItem(chosenKey, chosen);
}

const dateFormats: Record<Locale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" }),
  nl: new Intl.DateTimeFormat("nl-NL", { dateStyle: "medium", timeStyle: "short" }),
};

/** A date and time in the page's language: "30 Nov 2026, 07:03" or "30 nov 2026, 07:03". */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "—" : dateFormats[current].format(date);
}

/** "45 seconds", "2 minutes": for Retry-After and countdowns. */
export function formatWait(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 90) return t.seconds(whole);
  const minutes = Math.ceil(whole / 60);
  if (minutes < 90) return t.minutes(minutes);
  return t.hours(Math.ceil(minutes / 60));
}

/**
 * What a person reads for an API refusal: what happened and what to do next. The page switches on the
 * problem's code, never on its English text; a code without its own text shows the API's `detail`, which
 * is in English (the Dutch table translates the codes the page's forms can meet).
 */
export function messageFor(problem: Problem): string {
  const wait = problem.retryAfterSeconds !== undefined ? t.tryAgainIn(formatWait(problem.retryAfterSeconds)) : t.tryAgainLater;
  switch (problem.code) {
    case "account_locked":
      return t.accountLocked + wait;
    case "rate_limited":
      return t.rateLimited + wait;
    case "second_factor_locked":
      return t.secondFactorLocked + wait;
    case "resend_too_soon":
      return t.resendTooSoon + wait;
    case "send_limit_reached":
      return t.sendLimit + wait;
    case "mfa_unavailable":
    case "sms_not_sent":
    case "service_unavailable":
      return t.problems.unavailable;
    case "invalid_code":
      return problem.attemptsLeft === undefined ? t.problems.invalid_code : t.attemptsLeft(problem.attemptsLeft);
    case "network_error":
      return t.unreachable;
    case "validation_failed":
      return current === "en" ? problem.detail ?? t.fillInBoth : t.problems.validation_failed;
    default:
      return t.problems[problem.code] ?? problem.detail ?? problem.title ?? t.unexpected;
  }
}
