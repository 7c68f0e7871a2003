// Approvals (admins): new numbers of administrators that wait for a second administrator. The one who asked, and the one whose
// number it is, see the change waiting and may reject it; any other administrator approves or rejects it.
import { api } from "./api";
import type { Me, PendingPhoneChange } from "./api";
import { h, replaceChildren } from "./dom";
import { formatDate, t } from "./messages";
import { busy, changed, messages, onChanged, refusal, section, table } from "./ui";

export function approvalsSection(me: Me): HTMLElement {
  const lines = messages();
  const body = h("div", {}, h("p", {}, t.loading));
  const element = section("approvals-title", t.approvalsTitle, h("p", {}, t.approvalsLead), lines.status, lines.error, body);
  const heading = element.querySelector("h2") as HTMLElement;

  const load = async () => {
    try {
      const pending = await api.phoneChanges();
      replaceChildren(body, pending.length === 0 ? h("p", { class: "empty" }, t.noApprovals)
        : table(t.approvalsCaption, t.approvalsHeadings, pending.map((change) => row(change))));
    } catch (caught) {
      replaceChildren(body);
      lines.error.textContent = refusal(caught);
    }
  };

  const decide = async (change: PendingPhoneChange, decision: "approve" | "reject", button: HTMLButtonElement) => {
    lines.clear();
    busy(button, true);
    try {
      await api.decidePhoneChange(change.id, decision);
      lines.status.textContent = decision === "approve" ? t.approvedNow(change.targetEmail, change.phoneHint ?? "—")
        : t.rejectedNow(change.targetEmail);
      changed("users");
      await load();
      heading.focus();
    } catch (caught) {
      lines.error.textContent = refusal(caught);
      busy(button, false);
      if (document.activeElement === document.body) button.focus();
    }
  };

  const row = (change: PendingPhoneChange): HTMLTableRowElement => {
    const mine = change.requestedBy === me.id || change.targetUserId === me.id;
    const button = (decision: "approve" | "reject") => {
      const label = decision === "approve" ? t.approveLabel(change.targetEmail) : t.rejectLabel(change.targetEmail);
      const element = h("button", { type: "button", class: decision === "approve" ? "primary" : "secondary", "aria-label": label },
        decision === "approve" ? t.approve : t.reject);
      element.addEventListener("click", () => void decide(change, decision, element));
      return element;
    };
    return h("tr", {},
      h("th", { scope: "row" }, change.targetEmail),
      h("td", { class: "phone" }, change.phoneHint ?? "—"),
      h("td", {}, change.requestedBy === me.id ? t.askedByYou : change.requestedByEmail ?? t.anAdministrator),
      h("td", {}, formatDate(change.createdAt)),
      h("td", {}, change.applyAfter ? t.appliesBy(formatDate(change.applyAfter)) : t.waitsUntil(formatDate(change.expiresAt))),
      h("td", { class: "row-actions" }, mine ? h("span", { class: "note" }, t.anotherApproves) : button("approve"), button("reject")));
  };

  onChanged("phone-changes", element, () => void load());
  void load();
  return element;
}
