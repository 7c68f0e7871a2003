import "./styles.css";
import { api, deviceTokens, onSessionEnded, onStepUpRequired, refreshSession, session } from "./api";
import type { MfaRequired, Me, OrganisationSettings, Problem, SignedIn, StepUpMethod, StepUpProof, TrustedDevice } from "./api";
import { passkeysSupported, signWithPasskey } from "./passkeys";
import { deviceName, h, replaceChildren } from "./dom";
import { browserLocale, formatDate, formatWait, isLocale, messageFor, rememberLocale, setLocale, t } from "./messages";
import { busy, field, loaded, problemOf, refusal, section, table } from "./ui";
import { securitySection } from "./security";
import { usersSection } from "./users";
import { approvalsSection } from "./approvals";
import { myPhoneSection, passwordSection, sessionsSection } from "./account";
import { auditSection, readinessSection } from "./organisation";

const main = document.getElementById("main") as HTMLElement;
const account = document.getElementById("account") as HTMLElement;

// Timers of the view on screen; a new view stops them.
let stopView: (() => void)[] = [];
// Who is signed in, so that a session the server ended sends them back to sign in with their address filled in.
let signedInEmail: string | undefined;
// Shows the view on screen again, in the language just chosen.
let showAgain: () => void | Promise<void> = () => undefined;

function show(title: string, view: HTMLElement, focus?: HTMLElement | null, again?: () => void | Promise<void>): void {
  stopView.forEach((stop) => stop());
  stopView = [];
  if (again) showAgain = again;
  replaceChildren(main, view);
  document.title = `${title} · FlexWhere Control Centre`;
  // A new view moves focus to its first field or heading, so keyboard and screen-reader users start there.
  (focus ?? view.querySelector<HTMLElement>("h1"))?.focus();
}

// ---------------------------------------------------------------- the header: language, who is signed in

/** The header's right side: the language switch, then whatever the view adds (who is signed in, sign out). */
function header(...children: (HTMLElement | false)[]): void {
  const other = t.switchLanguageLocale;
  const language = h("button", { type: "button", id: "language", class: "secondary", lang: other }, t.switchLanguage);
  language.addEventListener("click", () => void switchLanguage(other));
  replaceChildren(account, language, ...children);
}

/** Signed in, the choice is the account's (it also sets the language of its e-mails and texts); before, this browser's. */
async function switchLanguage(next: "en" | "nl"): Promise<void> {
  if (session.signedIn) {
    try {
      await api.saveLocale(next);
    } catch {
      // Shown in the chosen language anyway; the account keeps its language until a save works.
    }
  }
  rememberLocale(next);
  setLocale(next);
  await showAgain();
  document.getElementById("language")?.focus();
}

// ---------------------------------------------------------------- sign-in: e-mail and password

function showSignIn(options: { email?: string; message?: string } = {}): void {
  header();
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true, spellcheck: "false",
      value: options.email ?? "" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { id: "sign-in-error", class: "error", role: "alert" }, options.message);
  const submit = h("button", { type: "submit", class: "primary" }, t.signIn);
  email.setAttribute("aria-describedby", error.id);
  password.setAttribute("aria-describedby", error.id);

  const form = h("form", { novalidate: true, "aria-labelledby": "sign-in-title" },
    field(t.email, email),
    field(t.password, password),
    error,
    submit);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    email.removeAttribute("aria-invalid");
    password.removeAttribute("aria-invalid");
    if (!email.value.trim() || !password.value) {
      error.textContent = t.fillInBoth;
      (email.value.trim() ? password : email).focus();
      return;
    }

    busy(submit, true);
    try {
      const answer = await api.login(email.value.trim(), password.value, deviceTokens.get(email.value));
      if (answer.status === "signed_in") {
        session.start(answer);
        await showSignedIn();
      } else if (!startSecondFactor(email.value.trim(), answer)) {
        error.textContent = t.appOnly;
      }
    } catch (caught) {
      const { problem } = problemOf(caught);
      error.textContent = messageFor(problem);
      const wrongField = problem.code === "username_login_disabled" ? email : problem.code === "invalid_credentials" ? password : null;
      if (wrongField) {
        wrongField.setAttribute("aria-invalid", "true");
        if (wrongField === password) password.value = "";
        wrongField.focus();
      }
    } finally {
      busy(submit, false);
    }
  });

  // Passwordless, where the organisation allows it: any passkey of this site on this device, no address needed.
  const withPasskey = h("button", { type: "button", class: "secondary", id: "passkey-sign-in", "aria-describedby": error.id,
    hidden: !passkeysSupported() }, t.passkeySignIn);
  withPasskey.addEventListener("click", async () => {
    error.textContent = "";
    busy(withPasskey, true);
    try {
      const prompt = await api.passwordlessOptions();
      session.start(await api.passwordless(prompt.ceremonyId, await signWithPasskey(prompt)));
      await showSignedIn();
    } catch (caught) {
      error.textContent = refusal(caught);
    } finally {
      // Still here (refused): the button again, now that it is enabled.
      if (withPasskey.isConnected) {
        busy(withPasskey, false);
        withPasskey.focus();
      }
    }
  });

  const view = h("section", { class: "card narrow" },
    h("h1", { id: "sign-in-title", tabindex: "-1" }, t.signInTitle),
    h("p", { class: "lead" }, t.signInLead),
    form,
    h("div", { class: "passkey-sign-in" }, withPasskey),
    h("button", { type: "button", class: "link", onclick: () => showForgotPassword(email.value.trim()) }, t.forgotLink));
  show(t.signInPage, view, options.email ? password : email, () => showSignIn({ email: email.value.trim() }));
}

// ---------------------------------------------------------------- forgot password, and the e-mailed link

function showForgotPassword(prefill: string): void {
  header();
  const email = h("input", { id: "forgot-email", name: "email", type: "email", autocomplete: "username", required: true,
    spellcheck: "false", value: prefill });
  const status = h("p", { id: "forgot-status", role: "status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, t.forgotSubmit);
  email.setAttribute("aria-describedby", status.id);
  const form = h("form", { novalidate: true, "aria-labelledby": "forgot-title" }, field(t.email, email), status, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    busy(submit, true);
    try {
      await api.forgotPassword(email.value.trim());
      status.textContent = t.forgotSent;
    } catch (caught) {
      status.textContent = refusal(caught);
      email.focus();
    } finally {
      busy(submit, false);
    }
  });
  show(t.forgotPage, h("section", { class: "card narrow" },
    h("h1", { id: "forgot-title", tabindex: "-1" }, t.forgotTitle),
    h("p", { class: "lead" }, t.forgotLead),
    form,
    h("button", { type: "button", class: "link", onclick: () => showSignIn({ email: email.value.trim() }) }, t.backToSignIn)), email,
    () => showForgotPassword(email.value.trim()));
}

/** The view an invitation or reset link opens (#/password?token=…): the token stays in the fragment, never sent to a server. */
function showSetPassword(token: string): void {
  header();
  const password = h("input", { id: "new-password", name: "new-password", type: "password", autocomplete: "new-password", required: true,
    minlength: "12" });
  const code = h("input", { id: "link-code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}",
    maxlength: "6" });
  const codeField = field(t.linkCode, code);
  codeField.hidden = true;
  const status = h("p", { id: "set-password-status", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, t.savePassword);
  password.setAttribute("aria-describedby", status.id);
  const form = h("form", { novalidate: true, "aria-labelledby": "set-password-title" },
    field(t.newPassword, password), codeField, status, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    busy(submit, true);
    try {
      const answer = await api.setPassword(token, password.value, codeField.hidden ? undefined : code.value.trim());
      if (answer.status === "code_sent") {
        codeField.hidden = false;
        status.textContent = t.linkCodeSent(answer.phone);
        code.focus();
        return;
      }
      history.replaceState(null, "", location.pathname);
      showSignIn({ message: t.passwordSaved });
    } catch (caught) {
      status.textContent = refusal(caught);
      (codeField.hidden ? password : code).focus();
    } finally {
      busy(submit, false);
    }
  });
  show(t.setPasswordPage, h("section", { class: "card narrow" },
    h("h1", { id: "set-password-title", tabindex: "-1" }, t.setPasswordTitle),
    h("p", { class: "lead" }, t.setPasswordLead),
    form), password, () => showSetPassword(token));
}

// ---------------------------------------------------------------- second factor: passkey, authenticator app or SMS code

type Factor = "passkey" | "totp" | "sms";
const signInFactors: Factor[] = ["passkey", "totp", "sms"];

/** A sign-in that waits for its second factor: the factors this user may pick, whether the SMS code went out, and the
 * "Remember this device" choice, which stays when the person picks another factor. */
interface SecondStep {
  email: string;
  challenge: MfaRequired;
  factors: Factor[];
  smsSent: boolean;
  remember: boolean;
}

/** The factor the server prefers first; the others one click away. No SMS is sent until the person picks it. */
function startSecondFactor(email: string, challenge: MfaRequired): boolean {
  const listed = challenge.methods ?? [challenge.method];
  const factors = signInFactors.filter((factor) => listed.includes(factor) || factor === challenge.method);
  const first = signInFactors.find((factor) => factor === challenge.method);
  if (!first) return false;
  showFactor({ email, challenge, factors, smsSent: challenge.method === "sms", remember: false }, first);
  return true;
}

function showFactor(step: SecondStep, factor: Factor, message?: string): void {
  if (factor === "passkey") showPasskeyFactor(step, message);
  else showCode(step, factor, message);
}

function rememberBox(step: SecondStep): HTMLElement {
  const remember = h("input", { id: "remember", name: "remember", type: "checkbox" });
  remember.checked = step.remember;
  remember.addEventListener("change", () => (step.remember = remember.checked));
  return h("div", { class: "check" }, remember, h("label", { for: "remember" }, t.remember));
}

async function finishSignIn(step: SecondStep, tokens: SignedIn): Promise<void> {
  session.start(tokens);
  if (step.remember && tokens.deviceToken) deviceTokens.set(step.email, tokens.deviceToken);
  await showSignedIn();
}

/** A refusal that ends the sign-in's ticket sends the person back to sign in; true when it did. */
function signInOver(step: SecondStep, problem: Problem): boolean {
  if (problem.code !== "challenge_expired" && problem.code !== "too_many_attempts") return false;
  showSignIn({ email: step.email, message: messageFor(problem) });
  return true;
}

/** The other factors of this sign-in, each a button; SMS texts the code first (it is not sent before it is picked). */
function otherFactors(step: SecondStep, current: Factor, error: HTMLElement): HTMLElement {
  const pick = async (factor: Factor, button: HTMLButtonElement) => {
    error.textContent = "";
    if (factor !== "sms" || step.smsSent) return showFactor(step, factor);
    busy(button, true);
    try {
      // The sign-in keeps the factor it started with: a code from the SMS is then sent as method "sms".
      const { method, methods } = step.challenge;
      step.challenge = { ...step.challenge, ...(await api.textCode(step.challenge.loginTicket)), method, methods };
      step.smsSent = true;
      showFactor(step, "sms", t.codeSent(step.challenge.phoneHint ?? t.yourMobile));
    } catch (caught) {
      const { problem } = problemOf(caught);
      if (signInOver(step, problem)) return;
      // Sent already (another tab, or before): the code is on its way, resend works from the code step.
      if (problem.code === "code_not_sent") {
        step.smsSent = true;
        return showFactor(step, "sms");
      }
      error.textContent = messageFor(problem);
      busy(button, false);
    }
  };
  return h("div", { class: "alternatives", role: "group", "aria-label": t.otherWays },
    ...step.factors.filter((factor) => factor !== current).map((factor) => {
      const button = h("button", { type: "button", class: "link", "data-factor": factor },
        factor === "sms" && !step.smsSent ? t.sendMeSms : t.signInWith[factor]);
      button.addEventListener("click", () => void pick(factor, button));
      return button;
    }));
}

function secondFactorView(step: SecondStep, title: string, lead: HTMLElement, form: HTMLElement, error: HTMLElement,
    current: Factor): HTMLElement {
  return h("section", { class: "card narrow" },
    h("h1", { id: "code-title", tabindex: "-1" }, title),
    lead,
    form,
    otherFactors(step, current, error),
    h("p", { class: "other-account" },
      h("button", { type: "button", class: "link", onclick: () => showSignIn({ email: step.email }) }, t.otherAccount)));
}

function showPasskeyFactor(step: SecondStep, message?: string): void {
  header();
  const error = h("p", { id: "code-error", class: "error", role: "alert" }, message);
  const submit = h("button", { type: "submit", class: "primary" }, t.usePasskey);
  const form = h("form", { novalidate: true, "aria-labelledby": "code-title" }, rememberBox(step), error,
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    busy(submit, true);
    try {
      const prompt = await api.passkeyFactorOptions(step.challenge.loginTicket);
      const credential = await signWithPasskey(prompt);
      await finishSignIn(step, await api.passkeyFactor(step.challenge.loginTicket, prompt.ceremonyId, credential, step.remember,
        deviceName()));
    } catch (caught) {
      const { problem } = problemOf(caught);
      if (signInOver(step, problem)) return;
      error.textContent = messageFor(problem);
    } finally {
      if (submit.isConnected) {
        busy(submit, false);
        submit.focus();
      }
    }
  });
  show(t.passkeyPage, secondFactorView(step, t.passkeyTitle, h("p", { class: "lead" }, t.passkeyLead), form, error, "passkey"),
    submit, () => showPasskeyFactor(step));
}

/** Asks every few seconds what became of the SMS code until it is delivered or failed; a failure is said in the error line, with
 * what to do (a new code, or another way below), and the resend opens at once. Stops with the view. */
function followDelivery(step: SecondStep, resendNow: () => void, error: HTMLElement, phone: string): void {
  const ticket = step.challenge.loginTicket;
  let stopped = false;
  stopView.push(() => (stopped = true));
  const poll = async () => {
    if (stopped) return;
    try {
      const { status, delivery } = await api.mfaStatus(ticket);
      if (stopped || status !== "pending") return;
      if (delivery.state === "failed" || delivery.state === "not_sent") {
        // "Another way below" only where the step lists another way.
        const otherWays = step.factors.some((factor) => factor !== "sms");
        error.textContent = delivery.state === "failed" ? t.deliveryFailed(phone, otherWays) : t.deliveryNotSent(phone, otherWays);
        resendNow();
      }
      if (delivery.state !== "queued" && delivery.state !== "sent") return;
    } catch {
      // An ended ticket shows when the code is entered; a failing status call changes nothing on screen.
      return;
    }
    window.setTimeout(() => void poll(), 5000);
  };
  window.setTimeout(() => void poll(), 3000);
}

/** The code step: the code from the SMS (with resend and, in Development, the inbox) or from the authenticator app. */
function showCode(step: SecondStep, factor: "sms" | "totp", message?: string): void {
  header();
  const sms = factor === "sms";
  const { challenge } = step;
  const phone = challenge.phoneHint ?? t.yourMobile;
  const hint = h("p", { id: "code-hint", class: "lead" }, sms ? t.codeHint(phone) : t.totpPrompt);
  const code = h("input", {
    id: "code", name: "code", type: "text", autocomplete: "one-time-code", inputmode: "numeric",
    pattern: "[0-9]*", maxlength: "10", required: true, spellcheck: "false", "aria-describedby": "code-hint code-error",
  });
  const error = h("p", { id: "code-error", class: "error", role: "alert" });
  const status = h("p", { class: "status", role: "status" }, message);
  const submit = h("button", { type: "submit", class: "primary" }, t.verify);
  const resend = h("button", { type: "button", class: "secondary", id: "resend", hidden: !sms }, t.resend);
  const inbox = h("p", { class: "dev-inbox", hidden: true },
    h("a", { href: "/dev/sms/view", target: "_blank", rel: "noopener" }, t.devInbox), t.devInboxNote);

  // The countdown text is not a live region: announcing every second would drown everything else.
  let resendAt = challenge.resendAfter ? Date.parse(challenge.resendAfter) : Date.now();
  const tick = () => {
    const seconds = Math.ceil((resendAt - Date.now()) / 1000);
    const waiting = seconds > 0;
    resend.disabled = waiting;
    resend.textContent = waiting ? t.resendIn(formatWait(seconds)) : t.resend;
  };
  if (sms) tick();

  resend.addEventListener("click", async () => {
    error.textContent = "";
    status.textContent = "";
    busy(resend, true);
    try {
      const sent = await api.resend(challenge.loginTicket);
      resendAt = Date.parse(sent.resendAfter);
      step.challenge = { ...challenge, resendAfter: sent.resendAfter };
      status.textContent = t.newCodeSent(phone);
      code.value = "";
      code.focus();
    } catch (caught) {
      const { problem } = problemOf(caught);
      if (signInOver(step, problem)) return;
      if (problem.retryAfterSeconds !== undefined) resendAt = Date.now() + problem.retryAfterSeconds * 1000;
      error.textContent = messageFor(problem);
    } finally {
      resend.removeAttribute("aria-busy");
      tick();
    }
  });

  const form = h("form", { novalidate: true, "aria-labelledby": "code-title" },
    field(sms ? t.code : t.totpCode, code),
    inbox,
    rememberBox(step),
    error,
    status,
    h("div", { class: "actions" }, submit, resend));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    status.textContent = "";
    const value = code.value.replace(/\s+/g, "");
    if (!(sms ? /^[0-9]{4,10}$/ : /^[0-9]{6}$/).test(value)) {
      error.textContent = sms ? t.codeDigitsOnly : t.enterTotp;
      code.setAttribute("aria-invalid", "true");
      code.focus();
      return;
    }

    busy(submit, true);
    try {
      // The factor is named only when it is not the one the sign-in started with (a client that knows only SMS sends none).
      await finishSignIn(step, await api.verify(challenge.loginTicket, value, step.remember, deviceName(),
        factor === challenge.method ? undefined : factor));
    } catch (caught) {
      const { problem } = problemOf(caught);
      if (signInOver(step, problem)) return;
      error.textContent = !sms && problem.code === "invalid_code" && problem.attemptsLeft === undefined ? t.totpWrong : messageFor(problem);
      code.setAttribute("aria-invalid", "true");
      code.value = "";
      code.focus();
    } finally {
      if (submit.isConnected) busy(submit, false);
    }
  });

  show(sms ? t.codePage : t.totpPage, secondFactorView(step, sms ? t.codeTitle : t.totpTitle, hint, form, error, factor), code,
    () => showCode(step, factor));

  // After show(), which stops the timers of the view before: the countdown ticks, and the code's delivery is followed.
  if (sms) {
    const timer = window.setInterval(tick, 1000);
    stopView.push(() => window.clearInterval(timer));
    followDelivery(step, () => {
      // The provider gave up on this code: a new one may be sent at once.
      resendAt = Date.now();
      tick();
    }, error, phone);
    void api.developmentInboxAvailable().then((available) => {
      inbox.hidden = !available;
    });
  }
}

// ---------------------------------------------------------------- signed in

async function showSignedIn(): Promise<void> {
  let me: Me;
  try {
    me = await api.me();
  } catch (caught) {
    session.clear();
    return showSignIn({ message: refusal(caught) });
  }

  signedInEmail = me.email;
  // The account's language (its choice, else its organisation's) wins over this browser's.
  if (isLocale(me.locale)) setLocale(me.locale);
  const signOut = h("button", { type: "button", class: "secondary" }, t.signOut);
  signOut.addEventListener("click", async () => {
    busy(signOut, true);
    try {
      await api.logout();
    } catch {
      // Signed out here whatever the server said; the refresh token is gone from this tab.
    }
    showSignIn({ email: me.email });
  });
  header(h("span", { class: "who" }, `${me.displayName} (${t.roles[me.role] ?? me.role})`), signOut);

  const staff = me.role === "Admin" || me.role === "Manager";
  // The users section and the settings section both need the settings (is the organisation's directory linked?).
  const settings = staff ? api.settings() : null;
  const view = h("div", { class: "signed-in" },
    h("section", { class: "card" },
      h("h1", { tabindex: "-1" }, t.welcome(me.displayName)),
      h("dl", { class: "profile" },
        h("dt", {}, t.email), h("dd", {}, me.email),
        h("dt", {}, t.role), h("dd", {}, t.roles[me.role] ?? me.role),
        h("dt", {}, t.organisation), h("dd", {}, me.organisation),
        h("dt", {}, t.phoneForCodes), h("dd", {}, me.phoneHint ?? t.noPhone))),
    devicesSection(me),
    sessionsSection(),
    myPhoneSection(me),
    passwordSection(me),
    staff && securitySection(me),
    settings && usersSection(me, settings),
    me.role === "Admin" && approvalsSection(me),
    settings && readinessSection(),
    settings && settingsSection(settings, me.role === "Admin"),
    me.role === "Admin" && auditSection());
  show(t.signedInPage, view, undefined, showSignedIn);
}


function devicesSection(me: Me): HTMLElement {
  const body = h("div", {}, h("p", {}, t.loading));
  const status = h("p", { class: "status", role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  const revokeAll = h("button", { type: "button", class: "secondary", hidden: true }, t.revokeAllDevices);
  const element = section("devices-title", t.devicesTitle, h("p", {}, t.devicesLead), status, error, body,
    h("div", { class: "actions" }, revokeAll));
  const heading = element.querySelector("h2") as HTMLElement;
  // A session this browser's trust opened ends with it: the session-ended handler then shows the sign-in.
  revokeAll.addEventListener("click", async () => {
    error.textContent = "";
    status.textContent = "";
    busy(revokeAll, true);
    try {
      await api.revokeAllDevices();
      deviceTokens.forget(me.email);
      status.textContent = t.allDevicesRevoked;
      await load();
      heading.focus();
    } catch (caught) {
      error.textContent = refusal(caught);
    } finally {
      busy(revokeAll, false);
    }
  });

  const load = async () => {
    let devices: TrustedDevice[];
    try {
      devices = await api.devices();
    } catch (caught) {
      replaceChildren(body);
      error.textContent = refusal(caught);
      return;
    }
    revokeAll.hidden = devices.length === 0;
    if (devices.length === 0) {
      replaceChildren(body, h("p", { class: "empty" }, t.noDevices));
      return;
    }
    replaceChildren(body, table(t.devicesCaption, t.devicesHeadings,
      devices.map((device) => {
        const revoke = h("button", { type: "button", class: "secondary", "aria-label": t.revokeLabel(device.name) }, t.revoke);
        revoke.addEventListener("click", async () => {
          error.textContent = "";
          status.textContent = "";
          busy(revoke, true);
          try {
            await api.revokeDevice(device.id);
            if (device.current) deviceTokens.forget(me.email);
            status.textContent = t.revoked(device.name);
            await load();
            heading.focus();
          } catch (caught) {
            error.textContent = refusal(caught);
            busy(revoke, false);
          }
        });
        return h("tr", {},
          h("th", { scope: "row" }, device.name, device.current ? h("span", { class: "badge" }, t.thisBrowser) : null),
          h("td", {}, formatDate(device.createdAt)),
          h("td", {}, formatDate(device.lastSignInAt)),
          h("td", {}, formatDate(device.trustedUntil)),
          h("td", {}, revoke));
      })));
  };
  void load();
  return element;
}

function settingsSection(settings: Promise<OrganisationSettings>, canEdit: boolean): HTMLElement {
  return section("settings-title", t.settingsTitle, loaded(settings, (values) => [settingsForm(values, canEdit)]));
}

function settingsForm(settings: OrganisationSettings, canEdit: boolean): HTMLElement {
  const totp = h("input", { id: "mobile-totp", type: "checkbox" });
  const pin = h("input", { id: "mobile-pin", type: "checkbox" });
  const pinLength = h("select", { id: "pin-length" }, ...[4, 5, 6, 7, 8].map((n) => h("option", { value: String(n) }, t.digits(n))));
  const status = h("p", { class: "status", role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  const save = h("button", { type: "submit", class: "primary" }, t.saveSettings);

  const fill = (values: OrganisationSettings) => {
    totp.checked = values.mobileTotpRequired;
    pin.checked = values.mobilePinRequired;
    pinLength.value = String(values.pinLength);
  };
  fill(settings);

  const form = h("form", { novalidate: true },
    h("fieldset", { disabled: !canEdit },
      h("legend", {}, "FlexWhere for Mobile"),
      h("div", { class: "check" }, totp, h("label", { for: "mobile-totp" }, t.mobileTotp)),
      h("div", { class: "check" }, pin, h("label", { for: "mobile-pin" }, t.mobilePin)),
      field(t.pinLength, pinLength),
      h("p", { class: "note" }, t.trustNote(settings.trustedDevicePeriodDays)),
      canEdit ? h("div", { class: "actions" }, save) : h("p", { class: "note" }, t.adminsOnly)),
    error,
    status);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    status.textContent = "";
    busy(save, true);
    try {
      const saved = await api.saveSettings({ mobileTotpRequired: totp.checked, mobilePinRequired: pin.checked,
          pinLength: Number(pinLength.value) });
      fill(saved);
      status.textContent = t.settingsSaved;
    } catch (caught) {
      error.textContent = refusal(caught);
    } finally {
      busy(save, false);
      // The button was disabled while the step-up dialog was open, so focus had nowhere to return to.
      if (document.activeElement === document.body) save.focus();
    }
  });
  return form;
}

// ---------------------------------------------------------------- step-up: confirm it is you

const stepUpMethods: StepUpMethod[] = ["passkey", "sms", "totp", "recovery_code"];

/**
 * A sensitive change was refused with step_up_required: a modal dialog asks for a fresh second factor
 * and resolves true once the server accepted it (the change is then sent again), false when the
 * person cancels (Escape, Cancel). No SMS is sent until they ask for one.
 */
function confirmItIsYou(methods: string[], maxAgeSeconds: number | undefined): Promise<boolean> {
  const usable = stepUpMethods.filter((method) => methods.includes(method));
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const minutes = Math.max(1, Math.round((maxAgeSeconds ?? 300) / 60));

  let mode: StepUpMethod | undefined = usable[0];
  let ticket: string | null = null;
  let phone = t.yourMobile;
  let resendAt = Date.now();
  let confirmed = false;
  let inboxAvailable = false;

  const prompt = h("p", { id: "step-up-prompt" });
  const codeLabel = h("label", { for: "step-up-code" });
  const code = h("input", { id: "step-up-code", name: "code", type: "text", spellcheck: "false", required: true,
      "aria-describedby": "step-up-prompt step-up-error" });
  const codeField = h("div", { class: "field" }, codeLabel, code);
  const error = h("p", { id: "step-up-error", class: "error", role: "alert" });
  const status = h("p", { class: "status", role: "status" });
  const submit = h("button", { type: "submit", class: "primary" });
  const resend = h("button", { type: "button", class: "link" }, t.resend);
  const cancel = h("button", { type: "button", class: "secondary" }, t.cancel);
  const alternatives = h("div", { class: "alternatives" });
  const inbox = h("p", { class: "dev-inbox", hidden: true },
    h("a", { href: "/dev/sms/view", target: "_blank", rel: "noopener" }, t.devInbox), t.devInboxShort);

  const form = h("form", { novalidate: true, "aria-labelledby": "step-up-title" },
    prompt, codeField, inbox, error, status, h("div", { class: "actions" }, submit, cancel));
  const dialog = h("dialog", { class: "step-up", "aria-labelledby": "step-up-title", "aria-describedby": "step-up-why" },
    h("h2", { id: "step-up-title" }, t.stepUpTitle),
    h("p", { id: "step-up-why", class: "lead" }, t.stepUpWhy(minutes)),
    form,
    alternatives);

  // As on the sign-in code step, the countdown is not a live region.
  const tick = () => {
    const seconds = Math.ceil((resendAt - Date.now()) / 1000);
    resend.disabled = seconds > 0;
    resend.textContent = seconds > 0 ? t.resendIn(formatWait(seconds)) : t.resend;
  };
  const timer = window.setInterval(tick, 1000);

  const render = () => {
    const awaitingSms = mode === "sms" && ticket === null;
    codeField.hidden = mode === undefined || mode === "passkey" || awaitingSms;
    submit.hidden = mode === undefined;
    inbox.hidden = !inboxAvailable || mode !== "sms" || ticket === null;
    submit.textContent = awaitingSms ? t.sendBySms : mode === "passkey" ? t.usePasskey : t.confirm;
    code.value = "";
    code.removeAttribute("aria-invalid");
    if (mode === "recovery_code") {
      prompt.textContent = t.recoveryPrompt;
      codeLabel.textContent = t.recoveryCode;
      code.className = "recovery";
      code.setAttribute("autocomplete", "off");
      code.removeAttribute("inputmode");
      code.setAttribute("maxlength", "24");
    } else {
      prompt.textContent = mode === undefined ? t.noFactor
        : mode === "passkey" ? t.passkeyStepUp
        : mode === "totp" ? t.totpPrompt
        : awaitingSms ? t.smsWillSend
        : t.codeHint(phone);
      codeLabel.textContent = mode === "totp" ? t.totpCode : t.smsCode;
      code.className = "";
      code.setAttribute("autocomplete", "one-time-code");
      code.setAttribute("inputmode", "numeric");
      code.setAttribute("maxlength", "6");
    }
    tick();
    replaceChildren(alternatives, mode === "sms" && ticket !== null && resend, ...usable.filter((method) => method !== mode).map((method) =>
      h("button", { type: "button", class: "link", onclick: () =>
          { mode = method; error.textContent = ""; status.textContent = ""; render(); } }, t.switchTo[method])));
    (codeField.hidden ? (submit.hidden ? cancel : submit) : code).focus();
  };

  const sendSms = async (button: HTMLButtonElement) => {
    busy(button, true);
    try {
      const sent = await api.stepUpSms();
      ticket = sent.stepUpTicket;
      phone = sent.phoneHint;
      resendAt = Date.parse(sent.resendAfter);
      render();
      status.textContent = t.codeSent(phone);
    } catch (caught) {
      const { problem } = problemOf(caught);
      if (problem.retryAfterSeconds !== undefined) resendAt = Date.now() + problem.retryAfterSeconds * 1000;
      refused(problem);
    } finally {
      busy(button, false);
      tick();
    }
  };

  const refused = (problem: Problem) => {
    // The page-wide session-ended handler has closed this dialog and shown the sign-in.
    if (problem.code === "session_revoked") return;
    if (mode === "sms" && (problem.code === "challenge_expired" || problem.code === "too_many_attempts")) {
      ticket = null;
      render();
      error.textContent = problem.code === "challenge_expired"
        ? t.stepUpExpired
        : t.stepUpTooMany;
      return;
    }
    error.textContent = problem.code === "invalid_code" && mode !== "sms" && problem.attemptsLeft === undefined
      ? (mode === "recovery_code" ? t.recoveryWrong : t.totpWrong)
      : messageFor(problem);
    if (problem.code === "invalid_code" && !codeField.hidden) {
      code.setAttribute("aria-invalid", "true");
      code.value = "";
      code.focus();
    }
  };

  resend.addEventListener("click", () => {
    error.textContent = "";
    status.textContent = "";
    void sendSms(resend);
  });
  cancel.addEventListener("click", () => dialog.close());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    status.textContent = "";
    if (mode === undefined) return;
    if (mode === "sms" && ticket === null) return sendSms(submit);
    if (mode === "passkey") return confirmWith(async () => {
      const prompt = await api.stepUpPasskeyOptions();
      return { method: "passkey", ceremonyId: prompt.ceremonyId, credential: await signWithPasskey(prompt) };
    });

    const value = mode === "recovery_code" ? code.value.trim() : code.value.replace(/\s+/g, "");
    if (mode === "recovery_code" ? value === "" : !/^[0-9]{6}$/.test(value)) {
      error.textContent = mode === "recovery_code" ? t.enterRecovery : mode === "totp" ? t.enterTotp : t.enterSms;
      code.setAttribute("aria-invalid", "true");
      code.focus();
      return;
    }
    const proof: StepUpProof = mode === "sms" ? { method: "sms", stepUpTicket: ticket!, code: value } : { method: mode, code: value };
    await confirmWith(async () => proof);
  });

  const confirmWith = async (proof: () => Promise<StepUpProof>) => {
    busy(submit, true);
    try {
      await api.stepUp(await proof());
      confirmed = true;
      dialog.close();
    } catch (caught) {
      refused(problemOf(caught).problem);
    } finally {
      busy(submit, false);
      if (mode === "passkey" && dialog.open) submit.focus();
    }
  };

  return new Promise((resolve) => {
    // Escape closes a modal <dialog> by itself; every way out ends here.
    dialog.addEventListener("close", () => {
      window.clearInterval(timer);
      dialog.remove();
      if (returnFocus?.isConnected && !(returnFocus instanceof HTMLButtonElement && returnFocus.disabled)) returnFocus.focus();
      resolve(confirmed);
    });
    document.body.append(dialog);
    dialog.showModal();
    render();
    void api.developmentInboxAvailable().then((available) => {
      inboxAvailable = available;
      inbox.hidden = !inboxAvailable || mode !== "sms" || ticket === null;
    });
  });
}

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  setLocale(browserLocale());
  onStepUpRequired(confirmItIsYou);
  onSessionEnded((problem) => {
    // Several sections may learn it at once: one sign-in view is enough.
    if (main.querySelector("#sign-in-title")) return;
    // The step-up dialog and a user's dialog close with the session.
    document.querySelectorAll<HTMLDialogElement>("dialog[open]").forEach((dialog) => dialog.close());
    showSignIn({ email: signedInEmail, message: messageFor(problem) });
  });
  const link = /^#\/password\?token=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (link) {
    showSetPassword(link[1]);
    return;
  }
  // A reload in the same tab keeps the session: the refresh token from sessionStorage buys a new access token.
  if (session.refreshToken && (await refreshSession())) {
    await showSignedIn();
    return;
  }
  showSignIn();
}

void start();
