// The user list of admins and managers, and the dialogs in which admins add and change users.
import { api } from "./api";
import type { Me, OrganisationSettings, Problem, User } from "./api";
import { h, replaceChildren } from "./dom";
import { formatDate, t } from "./messages";
import { busy, changed as stale, field, messages, onChanged, openDialog, problemOf, refusal, section, table } from "./ui";

interface ListContext {
  me: Me;
  /** Users of a linked organisation come from its directory: names, roles and numbers are changed there. */
  linked: boolean;
  /** Shows the list again (after a change) and puts the focus on this user's name, or on the heading. */
  reload: (focusUserId?: string) => Promise<void>;
  announce: (message: string) => void;
}

export function usersSection(me: Me, settings: Promise<OrganisationSettings>): HTMLElement {
  const isAdmin = me.role === "Admin";
  const intro = h("p", {});
  const status = h("p", { class: "status", role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  const add = h("button", { type: "button", class: "secondary", hidden: true }, t.addUser);
  const body = h("div", {}, h("p", {}, t.loading));
  const search = h("input", { id: "users-search", name: "search", type: "search", autocomplete: "off", spellcheck: "false",
    maxlength: "200" });
  const find = h("form", { novalidate: true, role: "search", class: "inline-form" },
    field(t.usersSearch, search), h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, t.usersSearchButton)));
  const previous = h("button", { type: "button", class: "secondary" }, t.previousPage);
  const next = h("button", { type: "button", class: "secondary" }, t.nextPage);
  const where = h("span", { class: "note" });
  const pager = h("div", { class: "actions pager", hidden: true }, previous, where, next);
  const element = section("users-title", t.usersTitle, intro, h("div", { class: "actions" }, add), find, status, error, body, pager);
  const heading = element.querySelector("h2") as HTMLElement;
  let page = 1;

  const context: ListContext = {
    me,
    linked: false,
    announce: (message) => {
      status.textContent = message;
    },
    reload: async (focusUserId) => {
      await load();
      (body.querySelector<HTMLElement>(`button[data-user="${focusUserId ?? ""}"]`) ?? heading).focus();
    },
  };
  add.addEventListener("click", () => {
    status.textContent = "";
    openAdder(context);
  });

  const load = async () => {
    try {
      const [found, linked] = await Promise.all([api.users(page, search.value),
        settings.then((values) => values.linkedDatabase, () => false)]);
      context.linked = linked;
      intro.textContent = `${t.usersCount(found.total)} ${!isAdmin ? t.usersReadOnly : linked ? t.usersLinked : t.usersHowTo}`;
      add.hidden = !isAdmin || linked;
      error.textContent = "";
      const pages = Math.max(1, Math.ceil(found.total / found.pageSize));
      pager.hidden = pages === 1;
      previous.disabled = page <= 1;
      next.disabled = page >= pages;
      where.textContent = t.pageOf(page, pages);
      replaceChildren(body, table(t.usersCaption, t.usersHeadings, found.items.map((user) => userRow(user, isAdmin, context))));
    } catch (caught) {
      replaceChildren(body);
      error.textContent = refusal(caught);
    }
  };
  find.addEventListener("submit", (event) => {
    event.preventDefault();
    page = 1;
    void load();
  });
  const turn = (by: number) => {
    page += by;
    void load().then(() => heading.focus());
  };
  previous.addEventListener("click", () => turn(-1));
  next.addEventListener("click", () => turn(1));
  onChanged("users", element, () => void load());
  void load();
  return element;
}

function userRow(user: User, canEdit: boolean, context: ListContext): HTMLTableRowElement {
  const name = canEdit
    ? h("button", { type: "button", class: "link", "data-user": user.id, onclick: () => openEditor(user, context) }, user.displayName)
    : user.displayName;
  return h("tr", {},
    h("th", { scope: "row" }, name),
    h("td", {}, user.email),
    h("td", {}, t.roles[user.role] ?? user.role),
    h("td", { class: "phone" }, user.phone ?? "—"),
    h("td", {}, statusOf(user)),
    h("td", {}, formatDate(user.lastSignInAt)));
}

function statusOf(user: User): string {
  return [
    user.active ? t.statusActive : t.statusDisabled,
    user.invitationPending && t.statusInvited,
    (user.lockedUntil || user.secondFactorLockedUntil) && t.statusLocked,
    user.phone && !user.phoneVerified && t.unverified,
  ].filter(Boolean).join(", ");
}

function roleSelect(id: string, role: string): HTMLSelectElement {
  const select = h("select", { id }, ...["Employee", "Manager", "Admin"].map((value) =>
    h("option", { value }, t.roles[value] ?? value)));
  select.value = role;
  return select;
}

/** A phone field with the country code asked for inline, and the API's refusal shown at the field. */
function phoneField(id: string, extraHint?: HTMLElement) {
  const input = h("input", { id, name: "phone", type: "tel", autocomplete: "off", spellcheck: "false", placeholder: "+31 6 …",
    "aria-describedby": `${id}-hint ${id}-error` });
  const error = h("p", { id: `${id}-error`, class: "error", role: "alert" });
  const status = h("p", { class: "status", role: "status" });
  const element = h("div", { class: "field" },
    h("label", { for: id }, t.phone),
    h("p", { id: `${id}-hint`, class: "note" }, t.phoneHint, extraHint && " ", extraHint),
    input,
    error,
    status);
  return {
    input,
    element,
    status,
    clear: () => {
      error.textContent = "";
      status.textContent = "";
      input.removeAttribute("aria-invalid");
    },
    refuse: (message: string) => {
      error.textContent = message;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    },
  };
}

const isPhoneProblem = (problem: Problem) => problem.code.startsWith("phone_") || problem.code === "country_not_allowed";

// ---------------------------------------------------------------- edit a user

function openEditor(user: User, context: ListContext): void {
  const own = user.id === context.me.id;
  let changed = false;
  const locked = !!(user.lockedUntil || user.secondFactorLockedUntil);
  let gone = false;

  const dialog = openDialog("user-edit", t.editTitle(user.displayName), [
    h("p", { class: "lead" }, user.email),
    context.linked && h("p", { class: "note" }, t.linkedReadOnly),
    detailsForm(user, own, context.linked, () => (changed = true)),
    !own && phoneForm(user, context.linked, () => (changed = true)),
    !own && accessPart(user, locked, context.linked, () => (changed = true), () => {
      gone = true;
      dialog.close();
    }),
    own && h("p", { class: "note" }, t.ownAccount),
  ], () => document.querySelector<HTMLElement>("#user-edit :is(input, select, button):not(:disabled)"),
  () => {
    if (gone) {
      context.announce(t.userDeleted(user.email));
      void context.reload();
    } else if (changed) {
      void context.reload(user.id);
    }
  });
}

function detailsForm(user: User, own: boolean, linked: boolean, changed: () => void): HTMLElement {
  const name = h("input", { id: "user-name", name: "name", type: "text", autocomplete: "off", required: true, value: user.displayName,
    maxlength: "200" });
  const role = roleSelect("user-role", user.role);
  role.disabled = own;
  const save = h("button", { type: "submit", class: "primary" }, t.saveDetails);
  const lines = messages();
  const form = h("form", { novalidate: true },
    h("fieldset", { disabled: linked },
      h("legend", {}, t.details), field(t.name, name), field(t.role, role), h("div", { class: "actions" }, save)),
    lines.error, lines.status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    lines.clear();
    busy(save, true);
    try {
      await api.updateUser(user.id, { displayName: name.value.trim(), role: role.value });
      changed();
      lines.status.textContent = t.detailsSaved;
    } catch (caught) {
      lines.error.textContent = refusal(caught);
    } finally {
      busy(save, false);
      if (document.activeElement === document.body) save.focus();
    }
  });
  return form;
}

function phoneForm(user: User, linked: boolean, changed: () => void): HTMLElement {
  const current = h("span", {}, user.phone ? t.phoneCurrent(user.phone) : t.phoneNone);
  const phone = phoneField("user-phone", current);
  const save = h("button", { type: "submit", class: "primary" }, t.savePhone);
  const status = phone.status;
  const form = h("form", { novalidate: true },
    h("fieldset", { disabled: linked }, h("legend", {}, t.phoneLegend), phone.element, h("div", { class: "actions" }, save)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    phone.clear();
    if (!phone.input.value.trim()) return phone.refuse(t.phoneEmpty);
    busy(save, true);
    try {
      const answer = await api.changePhone(user.id, phone.input.value.trim());
      changed();
      phone.input.value = "";
      if ("state" in answer) {
        stale("phone-changes");
        status.textContent = answer.applyAfter ? t.phoneScheduled(answer.phoneHint ?? "", formatDate(answer.applyAfter))
          : t.phoneWaiting(answer.phoneHint ?? "");
      } else {
        current.textContent = answer.phone ? t.phoneCurrent(answer.phone) : t.phoneNone;
        status.textContent = t.phoneSaved(answer.phone ?? "");
      }
    } catch (caught) {
      phone.refuse(refusal(caught));
    } finally {
      busy(save, false);
      if (document.activeElement === document.body) save.focus();
    }
  });
  return form;
}

/** Disable or enable, unlock, reset the second factors, send the invitation again: each a button, each answered in place. */
function accessPart(user: User, locked: boolean, linked: boolean, changed: () => void, deleted: () => void): HTMLElement {
  const lines = messages();
  const action = (label: () => string, help: string | false, path: () => Parameters<typeof api.userAction>[1], done: () => string) => {
    const helpId = `user-${path().replace("/", "-")}-help`;
    const button = h("button", { type: "button", class: "secondary", "aria-describedby": help ? helpId : undefined }, label());
    button.addEventListener("click", async () => {
      lines.clear();
      busy(button, true);
      try {
        await api.userAction(user.id, path());
        changed();
        lines.status.textContent = done();
        button.textContent = label();
      } catch (caught) {
        lines.error.textContent = refusal(caught);
      } finally {
        busy(button, false);
        if (document.activeElement === document.body) button.focus();
      }
    });
    return h("div", { class: "action" }, button, help && h("span", { id: helpId, class: "note" }, help));
  };

  // One button that follows the account's state.
  let active = user.active;
  const toggle = action(() => (active ? t.disable : t.enable), false, () => (active ? "disable" : "enable"), () => {
    active = !active;
    return active ? t.enabledNow : t.disabledNow;
  });
  return h("fieldset", {},
    h("legend", {}, t.access),
    toggle,
    locked && action(() => t.unlock, t.unlockHelp(formatDate(user.secondFactorLockedUntil ?? user.lockedUntil)), () => "unlock",
      () => t.unlocked),
    action(() => t.resetMfa, t.resetMfaHelp, () => "mfa/reset", () => t.mfaResetDone),
    user.invitationPending && user.active && action(() => t.resendInvitation, t.invitationHelp, () => "invitation",
      () => t.invitationSent),
    !linked && deleteButton(user, lines, deleted),
    lines.error,
    lines.status);
}

/** Two steps: the first click asks again with the user's name, the second deletes. */
function deleteButton(user: User, lines: ReturnType<typeof messages>, deleted: () => void): HTMLElement {
  let armed = false;
  const button = h("button", { type: "button", class: "secondary danger", "aria-describedby": "user-delete-help" }, t.deleteUser);
  button.addEventListener("click", async () => {
    lines.clear();
    if (!armed) {
      armed = true;
      button.textContent = t.deleteConfirm(user.displayName);
      return;
    }
    busy(button, true);
    try {
      await api.deleteUser(user.id);
      deleted();
    } catch (caught) {
      lines.error.textContent = refusal(caught);
      busy(button, false);
    }
  });
  return h("div", { class: "action" }, button, h("span", { id: "user-delete-help", class: "note" }, t.deleteHelp));
}

// ---------------------------------------------------------------- add a user

function openAdder(context: ListContext): void {
  const email = h("input", { id: "new-email", name: "email", type: "email", autocomplete: "off", spellcheck: "false", required: true,
    "aria-describedby": "new-email-error" });
  const emailError = h("p", { id: "new-email-error", class: "error", role: "alert" });
  const name = h("input", { id: "new-name", name: "name", type: "text", autocomplete: "off", required: true, maxlength: "200" });
  const role = roleSelect("new-role", "Employee");
  const phone = phoneField("new-phone");
  const submit = h("button", { type: "submit", class: "primary" }, t.createUser);
  const lines = messages();
  const form = h("form", { novalidate: true },
    h("div", { class: "field" }, h("label", { for: email.id }, t.email), email, emailError),
    field(t.name, name),
    field(t.role, role),
    phone.element,
    lines.error,
    h("div", { class: "actions" }, submit));
  let created: User | undefined;

  const dialog = openDialog("user-add", t.addTitle, [h("p", { class: "lead" }, t.addLead), form], () => email, () => {
    if (!created) return;
    context.announce(t.userCreated(created.email));
    void context.reload(created.id);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    lines.clear();
    phone.clear();
    emailError.textContent = "";
    email.removeAttribute("aria-invalid");
    busy(submit, true);
    try {
      created = await api.createUser({ email: email.value.trim(), displayName: name.value.trim(), role: role.value,
        phone: phone.input.value.trim() || undefined });
      dialog.close();
    } catch (caught) {
      const { problem } = problemOf(caught);
      if (isPhoneProblem(problem)) {
        phone.refuse(refusal(caught));
      } else if (problem.code.startsWith("email_")) {
        emailError.textContent = refusal(caught);
        email.setAttribute("aria-invalid", "true");
        email.focus();
      } else {
        lines.error.textContent = refusal(caught);
      }
    } finally {
      busy(submit, false);
    }
  });
}
