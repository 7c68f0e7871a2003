// "My security" of admins and managers: their passkeys (add, rename, remove), their authenticator app (link with a
// QR code, remove) and their recovery codes (a new set, shown once). Adding and removing need a fresh factor: the page's
// step-up dialog asks for it (api.ts).
import { api } from "./api";
import type { AuthenticatorEnrollment, Me, Passkey } from "./api";
import { h, replaceChildren } from "./dom";
import { formatDate, t } from "./messages";
import { createPasskey, passkeysSupported } from "./passkeys";
import { busy, field, messages, openDialog, problemOf, refusal, saveFile, section, table } from "./ui";

export function securitySection(me: Me): HTMLElement {
  const lines = messages();
  const element = section("security-title", t.securityTitle, h("p", {}, t.securityLead), lines.status, lines.error,
    passkeysPart(lines), authenticatorPart(lines), recoveryPart(me, lines));
  return element;
}

type Lines = ReturnType<typeof messages>;

// ---------------------------------------------------------------- passkeys

function passkeysPart(lines: Lines): HTMLElement {
  const body = h("div", {}, h("p", {}, t.loading));
  const heading = h("h3", { id: "passkeys-title", tabindex: "-1" }, t.passkeysTitle);

  // After a change the focus goes to the given element, or to the heading when that one is gone with the old list.
  const load = async (focus?: HTMLElement) => {
    try {
      const passkeys = await api.passkeys();
      replaceChildren(body, passkeys.length === 0 ? h("p", { class: "empty" }, t.noPasskeys)
        : table(t.passkeysCaption, t.passkeysHeadings, passkeys.map((passkey) => passkeyRow(passkey, lines, () => load(heading)))));
    } catch (caught) {
      replaceChildren(body);
      lines.error.textContent = refusal(caught);
    }
    if (focus) (focus.isConnected ? focus : heading).focus();
  };
  void load();

  const name = h("input", { id: "passkey-name", name: "passkey-name", type: "text", autocomplete: "off", maxlength: "100",
    required: true, placeholder: t.passkeyNameExample, "aria-describedby": "passkey-name-hint" });
  const add = h("button", { type: "submit", class: "primary" }, t.addPasskey);
  const form = h("form", { novalidate: true, class: "inline-form", hidden: !passkeysSupported() },
    field(t.passkeyName, name, h("p", { id: "passkey-name-hint", class: "note" }, t.passkeyNameHint)), h("div", { class: "actions" }, add));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    lines.clear();
    name.removeAttribute("aria-invalid");
    const chosen = name.value.trim();
    if (!chosen) {
      lines.error.textContent = t.passkeyNameEmpty;
      name.setAttribute("aria-invalid", "true");
      name.focus();
      return;
    }
    busy(add, true);
    try {
      const prompt = await api.passkeyRegistrationOptions();
      const added = await api.registerPasskey(prompt.ceremonyId, chosen, await createPasskey(prompt));
      name.value = "";
      lines.status.textContent = t.passkeyAdded(added.name);
      await load(add);
    } catch (caught) {
      lines.error.textContent = refusal(caught);
    } finally {
      busy(add, false);
      if (document.activeElement === document.body) add.focus();
    }
  });

  return h("div", { class: "part", role: "group", "aria-labelledby": heading.id }, heading, h("p", { class: "note" }, t.passkeysLead),
    body, form);
}

function passkeyRow(passkey: Passkey, lines: Lines, reload: () => Promise<void>): HTMLTableRowElement {
  const rename = h("button", { type: "button", class: "secondary", "aria-label": t.renameLabel(passkey.name) }, t.rename);
  rename.addEventListener("click", () => {
    lines.clear();
    openRename(passkey, (renamed) => {
      lines.status.textContent = t.passkeyRenamed(renamed.name);
      void reload();
    });
  });
  const remove = h("button", { type: "button", class: "secondary", "aria-label": t.removeLabel(passkey.name) }, t.remove);
  remove.addEventListener("click", async () => {
    lines.clear();
    busy(remove, true);
    try {
      await api.removePasskey(passkey.id);
      lines.status.textContent = t.passkeyRemoved(passkey.name);
      await reload();
    } catch (caught) {
      lines.error.textContent = refusal(caught);
      busy(remove, false);
      remove.focus();
    }
  });
  return h("tr", {},
    h("th", { scope: "row" }, passkey.name),
    h("td", {}, formatDate(passkey.createdAt)),
    h("td", {}, formatDate(passkey.lastUsedAt)),
    h("td", {}, passkey.synced ? t.yes : t.no),
    h("td", {}, h("div", { class: "actions" }, rename, remove)));
}

function openRename(passkey: Passkey, renamed: (passkey: Passkey) => void): void {
  const name = h("input", { id: "rename-passkey", name: "name", type: "text", autocomplete: "off", maxlength: "100", required: true,
    value: passkey.name });
  const save = h("button", { type: "submit", class: "primary" }, t.save);
  const lines = messages();
  const form = h("form", { novalidate: true }, field(t.passkeyName, name), lines.error, h("div", { class: "actions" }, save));
  let saved: Passkey | undefined;
  const dialog = openDialog("passkey-rename", t.renameTitle(passkey.name), [form], () => name, () => {
    if (saved) renamed(saved);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    lines.clear();
    if (!name.value.trim()) {
      lines.error.textContent = t.passkeyNameEmpty;
      name.focus();
      return;
    }
    busy(save, true);
    try {
      saved = await api.renamePasskey(passkey.id, name.value.trim());
      dialog.close();
    } catch (caught) {
      lines.error.textContent = refusal(caught);
      name.focus();
    } finally {
      busy(save, false);
    }
  });
}

// ---------------------------------------------------------------- authenticator app

function authenticatorPart(lines: Lines): HTMLElement {
  const heading = h("h3", { id: "authenticator-title", tabindex: "-1" }, t.authenticatorTitle);
  const link = h("button", { type: "button", class: "secondary" }, t.linkAuthenticator);
  const remove = h("button", { type: "button", class: "secondary" }, t.removeAuthenticator);
  const enrollment = h("div", { class: "enrollment", hidden: true });

  link.addEventListener("click", async () => {
    lines.clear();
    busy(link, true);
    try {
      showEnrollment(enrollment, await api.startAuthenticator(), lines, () => {
        enrollment.hidden = true;
        link.focus();
      });
    } catch (caught) {
      lines.error.textContent = refusal(caught);
    } finally {
      busy(link, false);
      if (document.activeElement === document.body) link.focus();
    }
  });
  remove.addEventListener("click", async () => {
    lines.clear();
    busy(remove, true);
    try {
      await api.removeAuthenticator();
      enrollment.hidden = true;
      lines.status.textContent = t.authenticatorRemoved;
    } catch (caught) {
      lines.error.textContent = refusal(caught);
    } finally {
      busy(remove, false);
      if (document.activeElement === document.body) remove.focus();
    }
  });

  return h("div", { class: "part", role: "group", "aria-labelledby": heading.id }, heading, h("p", { class: "note" }, t.authenticatorLead),
    h("div", { class: "actions" }, link, remove), enrollment);
}

/** The new secret as a QR code and as text, and the field for the app's first code, which links it. */
function showEnrollment(enrollment: HTMLElement, secret: AuthenticatorEnrollment, lines: Lines, linked: () => void): void {
  const code = h("input", { id: "authenticator-code", name: "code", type: "text", autocomplete: "one-time-code", inputmode: "numeric",
    maxlength: "6", spellcheck: "false", "aria-describedby": "authenticator-steps" });
  const confirm = h("button", { type: "submit", class: "primary" }, t.confirmAuthenticator);
  const form = h("form", { novalidate: true }, field(t.totpCode, code), h("div", { class: "actions" }, confirm));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    lines.clear();
    const value = code.value.replace(/\s+/g, "");
    if (!/^[0-9]{6}$/.test(value)) {
      lines.error.textContent = t.enterTotp;
      code.setAttribute("aria-invalid", "true");
      code.focus();
      return;
    }
    busy(confirm, true);
    try {
      await api.confirmAuthenticator(value);
      lines.status.textContent = t.authenticatorLinked;
      linked();
    } catch (caught) {
      const { problem } = problemOf(caught);
      lines.error.textContent = problem.code === "invalid_code" && problem.attemptsLeft === undefined ? t.totpWrong : refusal(caught);
      code.setAttribute("aria-invalid", "true");
      code.value = "";
      code.focus();
    } finally {
      busy(confirm, false);
    }
  });

  replaceChildren(enrollment,
    h("p", { id: "authenticator-steps" }, t.authenticatorSteps),
    h("div", { class: "qr" }, qrCode(secret.qrCodeSvg)),
    h("p", {}, t.secretIntro, " ", h("code", { class: "secret", id: "authenticator-secret" }, spaced(secret.secret))),
    form);
  enrollment.hidden = false;
  code.focus();
}

/** The secret in groups of four, as authenticator apps show it and people type it. */
function spaced(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

// The QR code's SVG is read as XML, never as HTML, and only its shapes are copied into the page: no script, link or style
// of it can come along (the content security policy forbids inline script and style anyway).
const svgNamespace = "http://www.w3.org/2000/svg";
const shapes = new Set(["svg", "g", "rect", "path"]);
const shapeAttributes = new Set(["viewBox", "width", "height", "x", "y", "d", "fill", "stroke", "stroke-width", "shape-rendering",
  "transform"]);

function qrCode(svg: string): Element {
  const parsed = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
  const copy = (from: Element): Element | null => {
    if (!shapes.has(from.localName) || from.namespaceURI !== svgNamespace) return null;
    const to = document.createElementNS(svgNamespace, from.localName);
    for (const attribute of Array.from(from.attributes)) {
      if (shapeAttributes.has(attribute.name)) to.setAttribute(attribute.name, attribute.value);
    }
    for (const child of Array.from(from.children)) {
      const copied = copy(child);
      if (copied) to.append(copied);
    }
    return to;
  };
  const image = copy(parsed) ?? document.createElementNS(svgNamespace, "svg");
  image.setAttribute("role", "img");
  image.setAttribute("aria-label", t.qrCaption);
  return image;
}

// ---------------------------------------------------------------- recovery codes

function recoveryPart(me: Me, lines: Lines): HTMLElement {
  const heading = h("h3", { id: "recovery-title", tabindex: "-1" }, t.recoveryTitle);
  const state = h("p", {}, t.loading);
  const shown = h("div", {});
  const create = h("button", { type: "button", class: "secondary" }, t.createRecoveryCodes);

  const load = async () => {
    try {
      const status = await api.recoveryCodes();
      state.textContent = status.remaining > 0 ? t.recoveryStatus(status.remaining, formatDate(status.createdAt)) : t.noRecoveryCodes;
    } catch (caught) {
      state.textContent = "";
      lines.error.textContent = refusal(caught);
    }
  };
  void load();

  create.addEventListener("click", async () => {
    lines.clear();
    busy(create, true);
    try {
      const made = await api.newRecoveryCodes();
      showCodes(shown, me, made.codes, formatDate(made.createdAt), lines);
      await load();
    } catch (caught) {
      lines.error.textContent = refusal(caught);
    } finally {
      busy(create, false);
      if (document.activeElement === document.body) create.focus();
    }
  });

  return h("div", { class: "part", role: "group", "aria-labelledby": heading.id }, heading, h("p", { class: "note" }, t.recoveryLead),
    state, h("div", { class: "actions" }, create), shown);
}

/** The new codes, this once: a list to read, to copy and to download as a text file; the focus goes to the list. */
function showCodes(shown: HTMLElement, me: Me, codes: string[], created: string, lines: Lines): void {
  const list = h("ol", { id: "recovery-codes", class: "recovery-codes", tabindex: "-1", "aria-label": t.recoveryCodesLabel,
    "aria-describedby": "recovery-once" }, ...codes.map((code) => h("li", {}, h("code", {}, code))));
  const text = `${t.recoveryFileHeader(me.email, created)}\n\n${codes.join("\n")}\n`;
  const copy = h("button", { type: "button", class: "secondary" }, t.copyCodes);
  copy.addEventListener("click", async () => {
    lines.clear();
    try {
      await navigator.clipboard.writeText(text);
      lines.status.textContent = t.codesCopied;
    } catch {
      lines.error.textContent = t.copyFailed;
    }
  });
  const download = h("button", { type: "button", class: "secondary" }, t.downloadCodes);
  download.addEventListener("click", () => saveFile("flexwhere-recovery-codes.txt", text, "text/plain"));
  replaceChildren(shown, h("p", { id: "recovery-once", class: "warning" }, t.recoveryShownOnce), list,
    h("div", { class: "actions" }, copy, download));
  list.focus();
}
