import "./styles.css";
import { api, ApiError, deviceTokens, onSessionEnded, onStepUpRequired, refreshSession, session } from "./api";
import type { MfaRequired, Me, OrganisationSettings, Problem, SignedIn, StepUpMethod, StepUpProof, TrustedDevice } from "./api";
import { deviceName, formatDate, formatWait, h, replaceChildren } from "./dom";
import { messageFor } from "./messages";

const main = document.getElementById("main") as HTMLElement;
const account = document.getElementById("account") as HTMLElement;

// Timers of the view on screen; a new view stops them.
let stopView: (() => void)[] = [];
// Who is signed in, so that a session the server ended sends them back to sign in with their address filled in.
let signedInEmail: string | undefined;

function show(title: string, view: HTMLElement, focus?: HTMLElement | null): void {
  stopView.forEach((stop) => stop());
  stopView = [];
  replaceChildren(main, view);
  document.title = `${title} · FlexWhere Control Centre`;
  // A new view moves focus to its first field or heading, so keyboard and screen-reader users start there.
  (focus ?? view.querySelector<HTMLElement>("h1"))?.focus();
}

function problemOf(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError({ status: 0, code: "unexpected", detail: "Something went wrong. Try again." });
}

function busy(button: HTMLButtonElement, on: boolean): void {
  button.disabled = on;
  button.setAttribute("aria-busy", String(on));
}

function field(label: string, input: HTMLInputElement, hint?: HTMLElement): HTMLElement {
  return h("div", { class: "field" }, h("label", { for: input.id }, label), hint, input);
}

// ---------------------------------------------------------------- sign-in: e-mail and password

function showSignIn(options: { email?: string; message?: string } = {}): void {
  replaceChildren(account);
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true, spellcheck: "false",
      value: options.email ?? "" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { id: "sign-in-error", class: "error", role: "alert" }, options.message);
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  email.setAttribute("aria-describedby", error.id);
  password.setAttribute("aria-describedby", error.id);

  const form = h("form", { novalidate: true, "aria-labelledby": "sign-in-title" },
    field("E-mail address", email),
    field("Password", password),
    error,
    submit);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    email.removeAttribute("aria-invalid");
    password.removeAttribute("aria-invalid");
    if (!email.value.trim() || !password.value) {
      error.textContent = "Fill in your e-mail address and password.";
      (email.value.trim() ? password : email).focus();
      return;
    }

    busy(submit, true);
    try {
      const answer = await api.login(email.value.trim(), password.value, deviceTokens.get(email.value));
      if (answer.status === "signed_in") {
        session.start(answer);
        await showSignedIn();
      } else if (answer.method === "sms") {
        showCode(email.value.trim(), answer);
      } else {
        error.textContent = "This account signs in with the FlexWhere app, not with an SMS code.";
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

  const view = h("section", { class: "card narrow" },
    h("h1", { id: "sign-in-title", tabindex: "-1" }, "Sign in to the Control Centre"),
    h("p", { class: "lead" }, "Use your work e-mail address. We then send a code to your mobile phone."),
    form,
    h("button", { type: "button", class: "link", onclick: () => showForgotPassword(email.value.trim()) }, "Forgot your password?"));
  show("Sign in", view, options.email ? password : email);
}

// ---------------------------------------------------------------- forgot password, and the e-mailed link

function showForgotPassword(prefill: string): void {
  const email = h("input", { id: "forgot-email", name: "email", type: "email", autocomplete: "username", required: true,
    spellcheck: "false", value: prefill });
  const status = h("p", { id: "forgot-status", role: "status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "E-mail me a link");
  email.setAttribute("aria-describedby", status.id);
  const form = h("form", { novalidate: true, "aria-labelledby": "forgot-title" }, field("E-mail address", email), status, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    busy(submit, true);
    try {
      await api.forgotPassword(email.value.trim());
      status.textContent = "If this address has an account, an e-mail with a link to choose a new password is on its way. " +
        "The link works for one hour.";
    } catch (caught) {
      status.textContent = messageFor(problemOf(caught).problem);
      email.focus();
    } finally {
      busy(submit, false);
    }
  });
  show("Forgot password", h("section", { class: "card narrow" },
    h("h1", { id: "forgot-title", tabindex: "-1" }, "Choose a new password"),
    h("p", { class: "lead" }, "We e-mail you a link to choose a new password."),
    form,
    h("button", { type: "button", class: "link", onclick: () => showSignIn({ email: email.value.trim() }) }, "Back to sign in")), email);
}

/** The view an invitation or reset link opens (#/password?token=…): the token stays in the fragment, never sent to a server. */
function showSetPassword(token: string): void {
  const password = h("input", { id: "new-password", name: "new-password", type: "password", autocomplete: "new-password", required: true,
    minlength: "12" });
  const code = h("input", { id: "link-code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}",
    maxlength: "6" });
  const codeField = field("Code from the text message", code);
  codeField.hidden = true;
  const status = h("p", { id: "set-password-status", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Save password");
  password.setAttribute("aria-describedby", status.id);
  const form = h("form", { novalidate: true, "aria-labelledby": "set-password-title" },
    field("New password (at least 12 characters)", password), codeField, status, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    busy(submit, true);
    try {
      const answer = await api.setPassword(token, password.value, codeField.hidden ? undefined : code.value.trim());
      if (answer.status === "code_sent") {
        codeField.hidden = false;
        status.textContent = `We sent a code to ${answer.phone ?? "your phone"}. Enter it to save your password.`;
        code.focus();
        return;
      }
      history.replaceState(null, "", location.pathname);
      showSignIn({ message: "Your password is saved. Sign in with it." });
    } catch (caught) {
      status.textContent = messageFor(problemOf(caught).problem);
      (codeField.hidden ? password : code).focus();
    } finally {
      busy(submit, false);
    }
  });
  show("Choose a password", h("section", { class: "card narrow" },
    h("h1", { id: "set-password-title", tabindex: "-1" }, "Choose your password"),
    h("p", { class: "lead" }, "A long password of a few unrelated words is easy to remember and hard to guess."),
    form), password);
}

// ---------------------------------------------------------------- second factor: the SMS code

function showCode(email: string, challenge: MfaRequired): void {
  const phone = challenge.phoneHint ?? "your mobile phone";
  const hint = h("p", { id: "code-hint", class: "lead" }, `Enter the code we sent to ${phone}.`);
  const code = h("input", {
    id: "code", name: "code", type: "text", autocomplete: "one-time-code", inputmode: "numeric",
    pattern: "[0-9]*", maxlength: "10", required: true, spellcheck: "false", "aria-describedby": "code-hint code-error",
  });
  const remember = h("input", { id: "remember", name: "remember", type: "checkbox" });
  const error = h("p", { id: "code-error", class: "error", role: "alert" });
  const status = h("p", { class: "status", role: "status" });
  const submit = h("button", { type: "submit", class: "primary" }, "Verify and sign in");
  const resend = h("button", { type: "button", class: "secondary", id: "resend" }, "Send a new code");
  const inbox = h("p", { class: "dev-inbox", hidden: true },
    h("a", { href: "/dev/sms/view", target: "_blank", rel: "noopener" }, "Open the development SMS inbox"),
    " (Development only: the codes the stack would have sent by SMS).");

  // The countdown text is not a live region: announcing every second would drown everything else.
  let resendAt = challenge.resendAfter ? Date.parse(challenge.resendAfter) : Date.now();
  const tick = () => {
    const seconds = Math.ceil((resendAt - Date.now()) / 1000);
    const waiting = seconds > 0;
    resend.disabled = waiting;
    resend.textContent = waiting ? `Send a new code (in ${formatWait(seconds)})` : "Send a new code";
  };
  tick();
  const timer = window.setInterval(tick, 1000);
  stopView.push(() => window.clearInterval(timer));

  const startAgain = (message: string) => showSignIn({ email, message });

  resend.addEventListener("click", async () => {
    error.textContent = "";
    status.textContent = "";
    busy(resend, true);
    try {
      const sent = await api.resend(challenge.loginTicket);
      resendAt = Date.parse(sent.resendAfter);
      status.textContent = `We sent a new code to ${phone}.`;
      code.value = "";
      code.focus();
    } catch (caught) {
      const { problem } = problemOf(caught);
      if (problem.code === "challenge_expired") return startAgain(messageFor(problem));
      if (problem.retryAfterSeconds !== undefined) resendAt = Date.now() + problem.retryAfterSeconds * 1000;
      error.textContent = messageFor(problem);
    } finally {
      resend.removeAttribute("aria-busy");
      tick();
    }
  });

  const form = h("form", { novalidate: true, "aria-labelledby": "code-title" },
    field("Sign-in code", code),
    inbox,
    h("div", { class: "check" }, remember, h("label", { for: "remember" }, "Remember this device for 30 days")),
    error,
    status,
    h("div", { class: "actions" }, submit, resend));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    status.textContent = "";
    const value = code.value.replace(/\s+/g, "");
    if (!/^[0-9]{4,10}$/.test(value)) {
      error.textContent = "Enter the code from the SMS: digits only.";
      code.setAttribute("aria-invalid", "true");
      code.focus();
      return;
    }

    busy(submit, true);
    try {
      const tokens: SignedIn = await api.verify(challenge.loginTicket, value, remember.checked, deviceName());
      session.start(tokens);
      if (remember.checked && tokens.deviceToken) deviceTokens.set(email, tokens.deviceToken);
      await showSignedIn();
    } catch (caught) {
      const { problem } = problemOf(caught);
      if (problem.code === "challenge_expired" || problem.code === "too_many_attempts") return startAgain(messageFor(problem));
      error.textContent = messageFor(problem);
      code.setAttribute("aria-invalid", "true");
      code.value = "";
      code.focus();
    } finally {
      if (submit.isConnected) busy(submit, false);
    }
  });

  const view = h("section", { class: "card narrow" },
    h("h1", { id: "code-title", tabindex: "-1" }, "Enter your sign-in code"),
    hint,
    form,
    h("p", { class: "other-account" },
      h("button", { type: "button", class: "link", onclick: () => showSignIn({ email }) }, "Sign in with another account")));
  show("Sign-in code", view, code);

  void api.developmentInboxAvailable().then((available) => {
    inbox.hidden = !available;
  });
}

// ---------------------------------------------------------------- signed in

async function showSignedIn(): Promise<void> {
  let me: Me;
  try {
    me = await api.me();
  } catch (caught) {
    session.clear();
    return showSignIn({ message: messageFor(problemOf(caught).problem) });
  }

  signedInEmail = me.email;
  const signOut = h("button", { type: "button", class: "secondary" }, "Sign out");
  signOut.addEventListener("click", async () => {
    busy(signOut, true);
    try {
      await api.logout();
    } catch {
      // Signed out here whatever the server said; the refresh token is gone from this tab.
    }
    showSignIn({ email: me.email });
  });
  replaceChildren(account, h("span", { class: "who" }, `${me.displayName} (${me.role})`), signOut);

  const staff = me.role === "Admin" || me.role === "Manager";
  const view = h("div", { class: "signed-in" },
    h("section", { class: "card" },
      h("h1", { tabindex: "-1" }, `Welcome, ${me.displayName}`),
      h("dl", { class: "profile" },
        h("dt", {}, "E-mail address"), h("dd", {}, me.email),
        h("dt", {}, "Role"), h("dd", {}, me.role),
        h("dt", {}, "Organisation"), h("dd", {}, me.organisation),
        h("dt", {}, "Mobile phone for codes"), h("dd", {}, me.phoneHint ?? "none: ask your administrator"))),
    devicesSection(me),
    staff && usersSection(),
    staff && readinessSection(),
    staff && settingsSection(me.role === "Admin"));
  show("Signed in", view);
}

function section(id: string, title: string, ...children: (HTMLElement | string | false)[]): HTMLElement {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, tabindex: "-1" }, title), ...children);
}

function table(caption: string, headings: string[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return h("table", {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, ...headings.map((heading) => h("th", { scope: "col" }, heading)))),
    h("tbody", {}, ...rows));
}

function devicesSection(me: Me): HTMLElement {
  const body = h("div", {}, h("p", {}, "Loading…"));
  const status = h("p", { class: "status", role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  const element = section("devices-title", "Trusted devices",
    h("p", {}, "On these browsers you signed in with “Remember this device”: they skip the SMS code until their trust runs out."),
    status, error, body);
  const heading = element.querySelector("h2") as HTMLElement;

  const load = async () => {
    let devices: TrustedDevice[];
    try {
      devices = await api.devices();
    } catch (caught) {
      replaceChildren(body);
      error.textContent = messageFor(problemOf(caught).problem);
      return;
    }
    if (devices.length === 0) {
      replaceChildren(body, h("p", { class: "empty" }, "No trusted devices: every sign-in asks for an SMS code."));
      return;
    }
    replaceChildren(body, table("Your trusted devices", ["Device", "Trusted since", "Last sign-in", "Trusted until", ""],
      devices.map((device) => {
        const revoke = h("button", { type: "button", class: "secondary", "aria-label": `Revoke ${device.name}` }, "Revoke");
        revoke.addEventListener("click", async () => {
          error.textContent = "";
          status.textContent = "";
          busy(revoke, true);
          try {
            await api.revokeDevice(device.id);
            if (device.current) deviceTokens.forget(me.email);
            status.textContent = `${device.name} is no longer trusted: the next sign-in there asks for a code.`;
            await load();
            heading.focus();
          } catch (caught) {
            error.textContent = messageFor(problemOf(caught).problem);
            busy(revoke, false);
          }
        });
        return h("tr", {},
          h("th", { scope: "row" }, device.name, device.current ? h("span", { class: "badge" }, "this browser") : null),
          h("td", {}, formatDate(device.createdAt)),
          h("td", {}, formatDate(device.lastSignInAt)),
          h("td", {}, formatDate(device.trustedUntil)),
          h("td", {}, revoke));
      })));
  };
  void load();
  return element;
}

function usersSection(): HTMLElement {
  const body = h("div", {}, h("p", {}, "Loading…"));
  void api.users().then(
    (page) => replaceChildren(body,
      h("p", {}, `${page.total} user${page.total === 1 ? "" : "s"} in your organisation. Phone numbers are masked, except your own.`),
      table("Users of your organisation", ["Name", "E-mail address", "Role", "Mobile phone", "Status", "Last sign-in"],
        page.items.map((user) => h("tr", {},
          h("th", { scope: "row" }, user.displayName),
          h("td", {}, user.email),
          h("td", {}, user.role),
          h("td", { class: "phone" }, user.phone ?? "—"),
          h("td", {}, user.active ? "Active" : "Disabled"),
          h("td", {}, formatDate(user.lastSignInAt)))))),
    (caught: unknown) => replaceChildren(body, h("p", { class: "error", role: "alert" }, messageFor(problemOf(caught).problem))));
  return section("users-title", "Users", body);
}

const readinessReasons: Record<string, string> = {
  phone_number_missing: "no mobile phone number",
  phone_number_unusable: "the phone number cannot receive an SMS",
  country_not_allowed: "the phone number is in a country your organisation does not send codes to",
};

function readinessSection(): HTMLElement {
  const body = h("div", {}, h("p", {}, "Loading…"));
  void api.readiness().then(
    (report) => replaceChildren(body,
      h("p", { class: report.notReady.length === 0 ? "ok" : "warning" },
        `${report.ready} of ${report.adminsAndManagers} admins and managers can receive a sign-in code.`),
      report.notReady.length > 0 && h("ul", {}, ...report.notReady.map((entry) =>
        h("li", {}, h("strong", {}, entry.displayName),
          ` (${entry.email}, ${entry.role}): ${readinessReasons[entry.reason] ?? entry.reason}.`)))),
    (caught: unknown) => replaceChildren(body, h("p", { class: "error", role: "alert" }, messageFor(problemOf(caught).problem))));
  return section("readiness-title", "MFA readiness",
      h("p", {}, "Admins and managers sign in to the Control Centre with an SMS code; these are the ones who could not."), body);
}

function settingsSection(canEdit: boolean): HTMLElement {
  const body = h("div", {}, h("p", {}, "Loading…"));
  void api.settings().then(
    (settings) => replaceChildren(body, settingsForm(settings, canEdit)),
    (caught: unknown) => replaceChildren(body, h("p", { class: "error", role: "alert" }, messageFor(problemOf(caught).problem))));
  return section("settings-title", "Organisation settings", body);
}

function settingsForm(settings: OrganisationSettings, canEdit: boolean): HTMLElement {
  const totp = h("input", { id: "mobile-totp", type: "checkbox" });
  const pin = h("input", { id: "mobile-pin", type: "checkbox" });
  const pinLength = h("select", { id: "pin-length" }, ...[4, 5, 6, 7, 8].map((n) => h("option", { value: String(n) }, `${n} digits`)));
  const status = h("p", { class: "status", role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  const save = h("button", { type: "submit", class: "primary" }, "Save settings");

  const fill = (values: OrganisationSettings) => {
    totp.checked = values.mobileTotpRequired;
    pin.checked = values.mobilePinRequired;
    pinLength.value = String(values.pinLength);
  };
  fill(settings);

  const form = h("form", { novalidate: true },
    h("fieldset", { disabled: !canEdit },
      h("legend", {}, "FlexWhere for Mobile"),
      h("div", { class: "check" }, totp,
          h("label", { for: "mobile-totp" }, "Require an authenticator app (TOTP) to sign in on a new phone")),
      h("div", { class: "check" }, pin, h("label", { for: "mobile-pin" }, "Require a PIN to open the app")),
      h("div", { class: "field" }, h("label", { for: "pin-length" }, "PIN length"), pinLength),
      h("p", { class: "note" }, "Control Centre: every sign-in asks for an SMS code; a remembered device stays trusted " +
        `${settings.trustedDevicePeriodDays} days after its last sign-in on it.`),
      canEdit ? h("div", { class: "actions" }, save) : h("p", { class: "note" }, "Only administrators can change these settings.")),
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
      status.textContent = "Settings saved.";
    } catch (caught) {
      error.textContent = messageFor(problemOf(caught).problem);
    } finally {
      busy(save, false);
      // The button was disabled while the step-up dialog was open, so focus had nowhere to return to.
      if (document.activeElement === document.body) save.focus();
    }
  });
  return form;
}

// ---------------------------------------------------------------- step-up: confirm it is you

const stepUpMethods: StepUpMethod[] = ["sms", "totp", "recovery_code"];
const switchTo: Record<StepUpMethod, string> = {
  sms: "Get a code by SMS instead",
  totp: "Use your authenticator app instead",
  recovery_code: "Use a recovery code instead",
};

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
  let phone = "your mobile phone";
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
  const resend = h("button", { type: "button", class: "link" }, "Send a new code");
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const alternatives = h("div", { class: "alternatives" });
  const inbox = h("p", { class: "dev-inbox", hidden: true },
    h("a", { href: "/dev/sms/view", target: "_blank", rel: "noopener" }, "Open the development SMS inbox"),
    " (Development only).");

  const form = h("form", { novalidate: true, "aria-labelledby": "step-up-title" },
    prompt, codeField, inbox, error, status, h("div", { class: "actions" }, submit, cancel));
  const dialog = h("dialog", { class: "step-up", "aria-labelledby": "step-up-title", "aria-describedby": "step-up-why" },
    h("h2", { id: "step-up-title" }, "Confirm it is you"),
    h("p", { id: "step-up-why", class: "lead" },
      `This change needs a fresh code: sensitive changes are allowed only within ${minutes} minutes of entering one.`),
    form,
    alternatives);

  // As on the sign-in code step, the countdown is not a live region.
  const tick = () => {
    const seconds = Math.ceil((resendAt - Date.now()) / 1000);
    resend.disabled = seconds > 0;
    resend.textContent = seconds > 0 ? `Send a new code (in ${formatWait(seconds)})` : "Send a new code";
  };
  const timer = window.setInterval(tick, 1000);

  const render = () => {
    const awaitingSms = mode === "sms" && ticket === null;
    codeField.hidden = mode === undefined || awaitingSms;
    submit.hidden = mode === undefined;
    inbox.hidden = !inboxAvailable || mode !== "sms" || ticket === null;
    submit.textContent = awaitingSms ? "Send a code by SMS" : "Confirm";
    code.value = "";
    code.removeAttribute("aria-invalid");
    if (mode === "recovery_code") {
      prompt.textContent = "Enter one of your recovery codes. Each code works once.";
      codeLabel.textContent = "Recovery code";
      code.className = "recovery";
      code.setAttribute("autocomplete", "off");
      code.removeAttribute("inputmode");
      code.setAttribute("maxlength", "24");
    } else {
      prompt.textContent = mode === undefined ? "Your account has no second factor this page can check. Ask your administrator."
        : mode === "totp" ? "Enter the 6-digit code your authenticator app shows."
        : awaitingSms ? "We will text a code to your mobile phone."
        : `Enter the code we sent to ${phone}.`;
      codeLabel.textContent = mode === "totp" ? "Authenticator code" : "Code from the SMS";
      code.className = "";
      code.setAttribute("autocomplete", "one-time-code");
      code.setAttribute("inputmode", "numeric");
      code.setAttribute("maxlength", "6");
    }
    tick();
    replaceChildren(alternatives, mode === "sms" && ticket !== null && resend, ...usable.filter((method) => method !== mode).map((method) =>
      h("button", { type: "button", class: "link", onclick: () =>
          { mode = method; error.textContent = ""; status.textContent = ""; render(); } }, switchTo[method])));
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
      status.textContent = `We sent a code to ${phone}.`;
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
        ? "This code has expired or was already used. Send a new code."
        : "Too many wrong codes. Send a new code.";
      return;
    }
    error.textContent = problem.code === "invalid_code" && mode !== "sms" && problem.attemptsLeft === undefined
      ? (mode === "recovery_code" ? "That recovery code is not right, or it was already used."
          : "That code is not right. Check your authenticator app and try again.")
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

    const value = mode === "recovery_code" ? code.value.trim() : code.value.replace(/\s+/g, "");
    if (mode === "recovery_code" ? value === "" : !/^[0-9]{6}$/.test(value)) {
      error.textContent = mode === "recovery_code" ? "Enter one of your recovery codes." : mode === "totp"
          ? "Enter the 6 digits your authenticator app shows." : "Enter the 6 digits from the SMS.";
      code.setAttribute("aria-invalid", "true");
      code.focus();
      return;
    }
    const proof: StepUpProof = mode === "sms" ? { method: "sms", stepUpTicket: ticket!, code: value } : { method: mode, code: value };
    busy(submit, true);
    try {
      await api.stepUp(proof);
      confirmed = true;
      dialog.close();
    } catch (caught) {
      refused(problemOf(caught).problem);
    } finally {
      busy(submit, false);
    }
  });

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
  onStepUpRequired(confirmItIsYou);
  onSessionEnded((problem) => {
    // Several sections may learn it at once: one sign-in view is enough.
    if (main.querySelector("#sign-in-title")) return;
    document.querySelector<HTMLDialogElement>("dialog.step-up")?.close();
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
