// The organisation as admins and managers see it: the MFA readiness (with the numbers no code has proved yet) and, for admins,
// the audit log with its filters. Both export CSV files the API makes (masked numbers, formulas defused).
import { api } from "./api";
import type { AuditEntry, AuditFilter, MfaReadinessEntry } from "./api";
import { h, replaceChildren } from "./dom";
import { formatDate, t } from "./messages";
import { busy, field, loaded, messages, refusal, saveFile, section, table } from "./ui";

/** "Export as CSV": the API makes the file, the browser saves it under name, and the status line says so. */
function exportButton(name: string, make: () => Promise<string>, saved: string, lines: ReturnType<typeof messages>): HTMLButtonElement {
  const button = h("button", { type: "button", class: "secondary" }, t.exportCsv);
  button.addEventListener("click", async () => {
    lines.clear();
    busy(button, true);
    try {
      saveFile(name, await make(), "text/csv");
      lines.status.textContent = saved;
    } catch (caught) {
      lines.error.textContent = refusal(caught);
    } finally {
      busy(button, false);
    }
  });
  return button;
}

export function readinessSection(): HTMLElement {
  const lines = messages();
  const exportCsv = exportButton("mfa-readiness.csv", api.readinessCsv, t.readinessExported, lines);
  const person = (entry: MfaReadinessEntry, what: string) =>
    h("li", {}, h("strong", {}, entry.displayName), ` (${entry.email}, ${t.roles[entry.role] ?? entry.role}): ${what}.`);
  return section("readiness-title", t.readinessTitle, h("p", {}, t.readinessLead), loaded(api.readiness(), (report) => [
    h("p", { class: report.notReady.length === 0 ? "ok" : "warning" }, t.readinessSummary(report.ready, report.adminsAndManagers)),
    report.notReady.length > 0 && h("ul", {}, ...report.notReady.map((entry) =>
      person(entry, t.readinessReasons[entry.reason] ?? entry.reason))),
    report.unverifiedNumbers.length > 0 && h("div", { class: "part", role: "group", "aria-labelledby": "unverified-title" },
      h("h3", { id: "unverified-title" }, t.unverifiedTitle),
      h("p", { class: "note" }, t.unverifiedLead),
      h("ul", {}, ...report.unverifiedNumbers.map((entry) => person(entry, entry.phoneHint ?? "—")))),
  ]), h("div", { class: "actions" }, exportCsv), lines.status, lines.error);
}

export function auditSection(): HTMLElement {
  const event = h("select", { id: "audit-event" }, h("option", { value: "" }, t.auditAllEvents));
  const user = h("select", { id: "audit-user" }, h("option", { value: "" }, t.auditAllUsers));
  const from = h("input", { id: "audit-from", type: "date" });
  const to = h("input", { id: "audit-to", type: "date" });
  const show = h("button", { type: "submit", class: "primary" }, t.auditShow);
  const lines = messages();
  const exportCsv = exportButton("audit-log.csv", () => api.auditCsv(filter()), t.auditExported, lines);
  const count = h("p", { id: "audit-count", role: "status" });
  const body = h("div", {});
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t.auditMore);
  const form = h("form", { novalidate: true, class: "filters", "aria-label": t.auditTitle },
    field(t.auditEvent, event), field(t.auditUser, user), field(t.auditFrom, from), field(t.auditTo, to),
    h("div", { class: "actions" }, show, exportCsv));

  void Promise.all([api.auditEvents(), api.users()]).then(([events, users]) => {
    event.append(...events.map((name) => h("option", { value: name }, eventName(name))));
    user.append(...users.items.map((item) => h("option", { value: item.id }, `${item.displayName} (${item.email})`)));
  }, (caught: unknown) => {
    lines.error.textContent = refusal(caught);
  });

  // The dates are days in the person's own time zone: from its first moment up to the end of the "to" day.
  const filter = (): AuditFilter => ({
    event: event.value || undefined,
    userId: user.value || undefined,
    from: from.value ? new Date(`${from.value}T00:00`).toISOString() : undefined,
    to: to.value ? new Date(new Date(`${to.value}T00:00`).getTime() + 86_400_000).toISOString() : undefined,
  });
  let shown: AuditEntry[] = [];
  let page = 1;

  const load = async (next: number) => {
    lines.clear();
    busy(show, true);
    try {
      const answer = await api.audit(filter(), next);
      page = next;
      shown = next === 1 ? answer.items : [...shown, ...answer.items];
      count.textContent = t.auditCount(shown.length, answer.total);
      more.hidden = shown.length >= answer.total;
      replaceChildren(body, shown.length === 0 ? h("p", { class: "empty" }, t.auditNone)
        : table(t.auditCaption, t.auditHeadings, shown.map(row)));
    } catch (caught) {
      lines.error.textContent = refusal(caught);
    } finally {
      busy(show, false);
    }
  };
  form.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    void load(1);
  });
  more.addEventListener("click", () => void load(page + 1));
  void load(1);
  return section("audit-title", t.auditTitle, h("p", {}, t.auditLead), form, lines.status, lines.error, count, body,
    h("div", { class: "actions" }, more));
}

/** The event in the reader's language; an event the page does not know yet keeps its code. */
function eventName(code: string): string {
  return t.auditEventNames[code] ?? code;
}

function row(entry: AuditEntry): HTMLTableRowElement {
  return h("tr", {},
    h("th", { scope: "row" }, formatDate(entry.at)),
    h("td", { class: "event" }, eventName(entry.event)),
    h("td", {}, entry.actorEmail ?? "—"),
    h("td", {}, entry.subjectEmail ?? "—"),
    h("td", {}, entry.clientIp ?? "—"),
    h("td", { class: "details" }, entry.details ?? ""));
}
