// The signed-in user's sessions (end one, or every other one) and password: for every role.
import { api, deviceTokens } from "./api";
import type { AccountSession, Me } from "./api";
import { h, replaceChildren } from "./dom";
import { formatDate, t } from "./messages";
import { busy, field, messages, refusal, section, table } from "./ui";

export function sessionsSection(): HTMLElement {
  const lines = messages();
  const body = h("div", {}, h("p", {}, t.loading));
  const endOthers = h("button", { type: "button", class: "secondary" }, t.endOthers);
  const element = section("sessions-title", t.sessionsTitle, h("p", {}, t.sessionsLead), lines.status, lines.error, body,
    h("div", { class: "actions" }, endOthers));
  const heading = element.querySelector("h2") as HTMLElement;

  const load = async () => {
    try {
      const sessions = await api.sessions();
      replaceChildren(body, table(t.sessionsCaption, t.sessionsHeadings, sessions.map(row)));
    } catch (caught) {
      replaceChildren(body);
      lines.error.textContent = refusal(caught);
    }
  };

  const row = (session: AccountSession): HTMLTableRowElement => {
    const where = session.deviceName ? `${t.clients[session.client] ?? session.client}, ${session.deviceName}`
      : t.clients[session.client] ?? session.client;
    const end = h("button", { type: "button", class: "secondary", "aria-label": t.endSessionLabel(where, formatDate(session.signedInAt)) },
      t.endSession);
    // Ending this session signs out here: the page's session-ended handler then shows the sign-in.
    end.addEventListener("click", async () => {
      lines.clear();
      busy(end, true);
      try {
        await api.endSession(session.id);
        lines.status.textContent = t.sessionEnded;
        if (session.current) await api.sessions();
        await load();
        heading.focus();
      } catch (caught) {
        if (!element.isConnected) return;
        lines.error.textContent = refusal(caught);
        busy(end, false);
      }
    });
    return h("tr", {},
      h("th", { scope: "row" }, where, session.current ? h("span", { class: "badge" }, t.thisSession) : null),
      h("td", {}, formatDate(session.signedInAt)),
      h("td", {}, formatDate(session.lastSeenAt)),
      h("td", {}, formatDate(session.expiresAt)),
      h("td", {}, end));
  };

  endOthers.addEventListener("click", async () => {
    lines.clear();
    busy(endOthers, true);
    try {
      lines.status.textContent = t.othersEnded((await api.endOtherSessions()).ended);
      await load();
    } catch (caught) {
      lines.error.textContent = refusal(caught);
    } finally {
      busy(endOthers, false);
      if (document.activeElement === document.body) endOthers.focus();
    }
  });
  void load();
  return element;
}

export function passwordSection(me: Me): HTMLElement {
  const current = h("input", { id: "current-password", name: "current-password", type: "password", autocomplete: "current-password",
    required: true });
  const next = h("input", { id: "changed-password", name: "new-password", type: "password", autocomplete: "new-password", required: true,
    minlength: "12" });
  const save = h("button", { type: "submit", class: "primary" }, t.changePassword);
  const lines = messages();
  const form = h("form", { novalidate: true }, field(t.currentPassword, current), field(t.newPassword, next), lines.error, lines.status,
    h("div", { class: "actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    lines.clear();
    if (!current.value || !next.value) {
      lines.error.textContent = t.passwordFields;
      (current.value ? next : current).focus();
      return;
    }
    busy(save, true);
    try {
      await api.changePassword(current.value, next.value);
      // The server revoked every trusted device of the account: this browser's token is dead too.
      deviceTokens.forget(me.email);
      current.value = "";
      next.value = "";
      lines.status.textContent = t.passwordChanged;
    } catch (caught) {
      lines.error.textContent = refusal(caught);
      (lines.error.textContent === t.problems.invalid_password ? current : next).focus();
    } finally {
      busy(save, false);
      if (document.activeElement === document.body) save.focus();
    }
  });
  return section("password-title", t.passwordTitle, form);
}

/** The user's own number: a code to the new number proves it; an admin's new number then waits for a second admin. */
export function myPhoneSection(me: Me): HTMLElement {
  const lead = h("p", {}, t.myPhoneLead(me.phoneHint ?? t.myPhoneNone));
  const phone = h("input", { id: "my-phone", name: "phone", type: "tel", autocomplete: "tel", spellcheck: "false", placeholder: "+31 6 …",
    "aria-describedby": "my-phone-hint" });
  const send = h("button", { type: "submit", class: "primary" }, t.sendCodeToNumber);
  const code = h("input", { id: "my-phone-code", name: "code", type: "text", autocomplete: "one-time-code", inputmode: "numeric",
    maxlength: "6", spellcheck: "false" });
  const confirm = h("button", { type: "submit", class: "primary" }, t.confirmNumber);
  const lines = messages();
  const numberForm = h("form", { novalidate: true },
    field(t.phone, phone, h("p", { id: "my-phone-hint", class: "note" }, t.phoneHint)), h("div", { class: "actions" }, send));
  const codeForm = h("form", { novalidate: true, hidden: true }, field(t.myPhoneCode, code), h("div", { class: "actions" }, confirm));
  let ticket = "";

  numberForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    lines.clear();
    if (!phone.value.trim()) {
      lines.error.textContent = t.phoneEmpty;
      phone.focus();
      return;
    }
    busy(send, true);
    try {
      const started = await api.startMyPhone(phone.value.trim());
      ticket = started.verificationTicket;
      codeForm.hidden = false;
      lines.status.textContent = t.myPhoneCodeSent(started.phoneHint);
      code.focus();
    } catch (caught) {
      lines.error.textContent = refusal(caught);
      phone.setAttribute("aria-invalid", "true");
      phone.focus();
    } finally {
      busy(send, false);
    }
  });
  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    lines.clear();
    busy(confirm, true);
    try {
      const answer = await api.confirmMyPhone(ticket, code.value.replace(/\s+/g, ""));
      codeForm.hidden = true;
      phone.value = "";
      code.value = "";
      phone.removeAttribute("aria-invalid");
      if (answer.status === "changed") {
        deviceTokens.forget(me.email);
        lead.textContent = t.myPhoneLead(answer.phoneHint);
        lines.status.textContent = t.myPhoneChanged(answer.phoneHint);
      } else {
        lines.status.textContent = t.myPhonePending(answer.phoneHint);
      }
      phone.focus();
    } catch (caught) {
      lines.error.textContent = refusal(caught);
      code.value = "";
      code.focus();
    } finally {
      busy(confirm, false);
    }
  });
  return section("my-phone-title", t.myPhoneTitle, lead, numberForm, codeForm, lines.error, lines.status);
}
