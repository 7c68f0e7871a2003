#!/usr/bin/env python3
"""Writes docs/reliability.md from the JSON figures the reliability suite leaves (one file per scenario)."""
import argparse
import json
import pathlib

TITLES = {
    "r1-delivery": "R1 — delivery under faults",
    "r2-challenge-guessing": "R2 — random guesses against SMS challenges",
    "r2-password-lockout": "R2 — password guessing, in parallel, across replicas",
    "r2-pin-guessing": "R2 — PIN guessing, in parallel, across replicas",
    "r2-rate-limit-replicas": "R2 — the Gateway's per-IP limit with two Gateway replicas",
    "r3-bad-input": "R3 — generated bad input through the Gateway",
    "r4-outages": "R4 — outages during sign-in",
    "r5-isolation": "R5 — tenant isolation",
    "r6-secrets": "R6 — secrets at rest and in logs",
}

KEPT_HEADING = "\n## Failure analyses\n"

INTRO = """# Reliability and security suite (issue 8)

`tests/Reliability.Tests` proves six properties against real servers (PostgreSQL, Redis, RabbitMQ
from the test fixtures or the AppHost) and the real services. Each test could fail: it counts what
must never happen and asserts the count is zero.

| | what is checked | how |
|---|---|---|
| R1 | every `SendSms` ends exactly once at the provider, or in `send-sms_error` with an `SmsFailed`; every `SendEmail` reaches the mail server, every copy with the message's one `Message-ID`, and a second copy only of an e-mail the server kept before the killed Notifier recorded it (at most kills × 16, see [the SMTP window](#one-e-mail-per-sendemail-and-the-smtp-window)) | the built Notifier as its own process, killed with SIGKILL and started again 3 times, RabbitMQ stopped and started once, a fake Twilio (Kestrel, through the real Twilio SDK) answering 20 % of requests 429 or 503 at random; the fake counts accepted messages per recipient; a wave of e-mails published just before each kill, to an SMTP server on a loopback socket (`SmtpSink`) that answers each message 50 ms late, counting copies per recipient |
| R2 | a challenge dies after 5 wrong codes (the right code is refused after them), random guesses never pass; parallel password guessing locks the account within 10 tries; 30 parallel wrong PINs end the mobile session at the 5th (fewer than 5 judged, one `pin_locked`, the right PIN and the refresh token refused after it); the Gateway's per-IP limit holds with 2 Gateway replicas | the whole AppHost with `--Replicas=2` (two replicas of every service) |
| R3 | malformed requests to every public route: 0 answers 5xx, every 4xx is `application/problem+json` with a `code`, a refused request writes nothing (row counts and a checksum of every PostgreSQL table, Redis keys other than rate-limit counters, before and after each request; after an accepted request the next one waits until nothing changes for 300 ms, since a sign-in's SMS goes on writing after the answer) | generated from a seed: wrong types, missing and extra fields, huge bodies, deep JSON, invalid UTF-8, injection strings, odd phone formats, missing, forged, expired and malformed tokens, bad ids, wrong content types; each request from a client address of its own, so the Gateway's per-IP limit does not answer in the validation's place |
| R4 | Redis, RabbitMQ or PostgreSQL stopped: the Gateway's `/health` says 503 within 30 s; a sign-in that needs a code gets 503 and never tokens or a false "code sent"; a code from before the outage cannot be redeemed without Redis; each recovers by itself (Gateway health back to 200, a whole SMS sign-in works) | Aspire's stop and start commands on the AppHost's server resources |
| R5 | every organisation-scoped route with another organisation's ids and tokens answers 404 and shows none of its data; lists show only the caller's organisation; nothing changes | two organisations of the same shape |
| R6 | no code, password, token or full phone number in Redis (all keys and values), PostgreSQL (every text column; phone numbers only in `users.PhoneNumber`) or any service's log | after the other runs, with every secret the suite handled |

## How to run it

- CI size (part of `./test.sh`): `dotnet test tests/Reliability.Tests` — R1 with 500 messages and 150 e-mails, R3
  with 1,000 requests, R2 with 8 challenges; about four minutes on two cores.
- Full size: `scripts/reliability-full.sh` — R1 with 10,000 messages and 2,000 e-mails, R3 with 10,000 requests, R2
  with 50 challenges; about 14 minutes on two cores; it rewrites this file with the figures below.
- `FLEXWHERE_RELIABILITY=full` selects the full size; `FLEXWHERE_RELIABILITY_RESULTS=<folder>` makes
  each scenario write its figures there as JSON.
- R1 runs its own RabbitMQ and Redis (test fixtures) and the built Notifier as a process; R2-R6 share
  one AppHost (the end-to-end fixture) with two replicas of every service. When R1 fails it keeps the
  Notifier's log (with MassTransit's endpoint life at Debug) and the broker's, and says where.

## Defects the suite found (all fixed in the services, none excluded from the suite)

| found by | defect | fix |
|---|---|---|
| R1 (full size) | the Notifier could send an SMS twice when killed after Twilio accepted it | an attempt record in the claim script; a redelivery asks Twilio for the message before sending |
| R1 (full size) | a delivered SMS reported as failed when its sender died | the fault consumer asks Twilio before publishing `SmsFailed` |
| R1 (CI size, beside the stack) | after a RabbitMQ restart `send-sms` stalled for good: RabbitMQ.Client 7 can wait forever for a publisher confirm of a channel that died ([rabbitmq-dotnet-client#1930](https://github.com/rabbitmq/rabbitmq-dotnet-client/issues/1930)), so a consumer publishing `SmsSent` never finished and MassTransit could not restart the endpoint | every event the Notifier publishes waits for its confirm at most `Notifier:Sending:PublishTimeout` (15 s); the SendSms then comes back, finds the SMS sent and publishes the event again |
| R1 (full size, 2026-11-28 17:00) | one SMS delivered *and* reported failed: its SendSms had used up its retries, gone to the error queue with an SmsFailed, and the Notifier was killed before the ack that follows the move, so the copy came back to the next Notifier, which sent it | the fault path records that the message was given up (a `gave-up` key, unless it was sent meanwhile, in one script); the claim refuses a given-up message, so the copy is acknowledged without a send |
| R1 (CI size, clean-clone CI 2026-11-28 22:01) | one of 500 SendSms lost from the error queue: MassTransit publishes a message's fault just before it moves the message to `send-sms_error`; the fault consumer gave it up and published `SmsFailed`, then the Notifier was killed before the move, and the next Notifier acknowledged the copy it found given up (last session's fix) without moving it anywhere | a copy of a given-up message throws `SmsGivenUpException`, which is not retried, so it goes to the error queue; its fault publishes no second `SmsFailed`. The suite now waits (at most a minute) for every reported failure to reach the error queue, since such a copy gets there only once the Notifier is up again |
| R1 (CI size, 2026-11-30 01:35, seed 23696883) | one SMS delivered *and* reported failed: the Notifier was killed after MassTransit published the fault of a SendSms whose retries were used up (its lookup refused with 429) but before the message left `send-sms`; the next Notifier got the fault and the copy at once, and while the copy held the claim and sent, the fault consumer's lookup found nothing yet and gave the message up | the fault consumer decides under the message's claim, like a sender: it waits while a copy holds it (then the copy's SMS counts as sent, or the copy finds the message given up and is not sent), and the give-up script refuses while another consumer holds the claim |
| R1 (CI size, clean-clone run 2026-11-30 02:23, seed 27021535, load average above 40) | 7 of 500 SMS accepted twice by Twilio: the first messages' sends took longer than the 1 s attempt timeout of the suite's Notifier (the fake Twilio answered late on the busy machine but had taken the message), and the Polly pipeline retried the POST at once | the pipeline retries a send only when Twilio answered (429, 5xx, transient codes) or the request never left (no connection); a timed-out or broken send fails the message's delivery, whose next try asks Twilio for the message first (the attempt record). `TwilioSendingTests.Abandons_a_hung_attempt_after_the_attempt_timeout_and_looks_it_up_before_sending_again` fails without it |
| R2 | parallel wrong PINs answered 500 (two requests raced past the limit; one read the PIN row the other had deleted) | one `UPDATE … RETURNING` counts each guess; only the guess that reaches the limit ends the session; a late guess that finds the PIN already deleted answers `session_revoked`, not `pin_not_set` (found by the clean-clone CI run) |
| R3 | — (0 answers 5xx; the suite's own fault: all its requests came from one client address, so 1,563 of 10,000 met the Gateway's per-IP limit, 429, instead of the validation) | fixed in the suite: an address per request |
| R4 | Accounts answered 500 with PostgreSQL down | 503 `accounts_unavailable` with Retry-After |
| R4 | with PostgreSQL down a sign-in waited about a minute for its 503 (EF's default retrying strategy) | 3 retries at most 2 s apart |
| R4 | the Gateway's `/health` stayed 200 with RabbitMQ down (MassTransit calls its consumers Degraded while reconnecting) | readiness answers 503 for Degraded too |
| R4 | the Gateway's `/health` stayed 200 with PostgreSQL down (Accounts' check only opened a connection, which the pool hands out without asking the server) | the check runs `SELECT 1` |
| R4 | the AppHost's local PostgreSQL could not start again after a stop (initdb on every start), and a stop ended in SIGKILL (SIGTERM is PostgreSQL's smart shutdown, which waits for the services' pooled connections) | initdb only into an empty folder; SIGTERM becomes a fast shutdown |
| R5, R6 | — (the suite's own faults: a connection kept across R4's restart; a number a live challenge must keep counted as a leak) | fixed in the suite |
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("output")
    parser.add_argument("--started", required=True)
    parser.add_argument("--finished", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--summary", required=True)
    parser.add_argument("--machine", required=True)
    parser.add_argument("--heading", default="Figures of the last full run")
    parser.add_argument("--note", default="")
    args = parser.parse_args()

    figures = {}
    for path in sorted(pathlib.Path(args.results).glob("*.json")):
        figures[path.stem] = json.loads(path.read_text())

    lines = [INTRO, f"## {args.heading}", ""]
    if args.note:
        lines += [args.note, ""]
    lines.append(f"- command: `{args.command}`")
    lines.append(f"- run: {args.started} to {args.finished} (UTC)")
    lines.append(f"- machine: {args.machine}")
    lines.append(f"- test result: `{args.summary.strip()}`")
    lines.append("")
    for key, title in TITLES.items():
        lines.append(f"### {title}")
        lines.append("")
        if key not in figures:
            lines.append("Not measured in this run (the test did not get far enough to write its figures).")
            lines.append("")
            continue
        lines.append("| figure | value |")
        lines.append("|---|---|")
        for name, value in figures[key].items():
            if name in ("scenario",):
                continue
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items())
            lines.append(f"| {name} | {value} |")
        lines.append("")
    # The hand-written analyses after the figures stay as they are.
    output = pathlib.Path(args.output)
    previous = output.read_text() if output.exists() else ""
    kept = previous.find(KEPT_HEADING)
    if kept >= 0:
        lines += ["", previous[kept:].rstrip("\n")]
    output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
